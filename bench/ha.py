"""A two-box director pair: common-cause failures (beta factor / MGL) and the risk cost.

Why a common-cause model: two identical boxes in the same rack share the CF batch, the heat
and the power cuts the seed describes, so a fraction beta of failures takes both down at once
and the pair is never better than beta x lambda. For m = 2 the MGL model has only beta (gamma
appears from m = 3), so "MGL derived from the beta factor" for a pair is the beta factor
(docs/reference/models.md#beta-factor-and-mgl, NUREG/CR-5485; SCRAM ccf_group.cc). The repairable 1oo2 formulas are the
standard Markov ones of docs/reference/models.md#repairable-pair. Pure functions; rates per hour.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence

from bench.errors import BenchError

HOURS_PER_YEAR = 8760.0   # 365 d x 24 h


def mgl_q(k: int, m: int, rhos: Sequence[float], qt: float) -> float:
    """Probability of one specific group of k out of m failing together (MGL, NUREG/CR-5485):
    Q_k = 1/C(m-1, k-1) x (rho_1 ... rho_k) x (1 - rho_{k+1}) x Qt, rho_1 = 1, rho_{m+1} = 0.
    `rhos` are beta, gamma, delta, ... (as many as the model uses)."""
    if not 1 <= k <= m:
        raise BenchError("MGL group", f"k = {k} of m = {m}", "1 <= k <= m")
    rho = [1.0] + list(rhos) + [0.0] * m
    rho = rho[:m] + [0.0]                 # rho_1 .. rho_m, then rho_{m+1} = 0
    product = 1.0
    for i in range(k):
        product *= rho[i]
    return product * (1.0 - rho[k]) * qt / math.comb(m - 1, k - 1)


def one_of_two(qt: float, beta: float) -> float:
    """1oo2 (rare-event): Q1^2 + Q2."""
    q1, q2 = mgl_q(1, 2, [beta], qt), mgl_q(2, 2, [beta], qt)
    return q1 * q1 + q2


def two_of_three(qt: float, beta: float, gamma: float) -> float:
    """2oo3 (rare-event): 3 Q1^2 + 3 Q2 + Q3."""
    q = [mgl_q(k, 3, [beta, gamma], qt) for k in (1, 2, 3)]
    return 3 * q[0] ** 2 + 3 * q[1] + q[2]


@dataclass(frozen=True)
class Pair:
    unit_mttf_hours: float
    mttr_hours: float
    beta: float
    mttf_hours: float                 # the pair's mean time to losing both
    failure_rate_per_hour: float      # the pair's failure frequency
    unavailability: float
    single_unavailability: float      # one box alone, for comparison
    unit_failures_per_year: float     # box failures that need a repair visit (pair of boxes)
    failures_per_year: float          # service outages per year
    repair_cost: Optional[float] = None
    income_per_hour: Optional[float] = None

    @property
    def risk_cost_per_year(self) -> Optional[float]:
        """Every box failure costs a repair; every outage also costs the income lost while the
        service is down (about one MTTR)."""
        if self.repair_cost is None or self.income_per_hour is None:
            return None
        return self.unit_failures_per_year * self.repair_cost \
            + self.failures_per_year * self.income_per_hour * self.mttr_hours

    @property
    def income_per_year(self) -> Optional[float]:
        if self.income_per_hour is None:
            return None
        return self.income_per_hour * HOURS_PER_YEAR * (1.0 - self.unavailability)

    @property
    def protected_income_per_year(self) -> Optional[float]:
        """Income the second box saves over running one box alone."""
        if self.income_per_hour is None:
            return None
        return self.income_per_hour * HOURS_PER_YEAR \
            * (self.single_unavailability - self.unavailability)


def pair(unit_mttf_hours: float, mttr_hours: float, beta: float,
         repair_cost: Optional[float] = None, income_per_hour: Optional[float] = None) -> Pair:
    if not math.isfinite(unit_mttf_hours) or unit_mttf_hours <= 0:
        raise BenchError("--mttf-hours", f"is {unit_mttf_hours!r}", "hours > 0")
    if not math.isfinite(mttr_hours) or mttr_hours < 0:
        raise BenchError("--mttr-hours", f"is {mttr_hours!r}", "hours >= 0")
    if not 0 <= beta <= 1:
        raise BenchError("--beta", f"is {beta!r}", "a fraction 0..1 (typically 0.01-0.1)")
    for name, value in (("--repair-cost", repair_cost), ("--income-per-hour", income_per_hour)):
        if value is not None and (not math.isfinite(value) or value < 0):
            raise BenchError(name, f"is {value!r}", "an amount >= 0")
    lam = 1.0 / unit_mttf_hours
    li, lc = (1 - beta) * lam, beta * lam
    r = mttr_hours
    mu = 1.0 / r if r > 0 else math.inf
    # Markov 2 -> 1 -> 0: T2 = [(lam + mu) + 2 li] / [a (lam + mu) - 2 li mu], a = 2 li + lc
    a = 2 * li + lc
    if math.isinf(mu):
        mttf = 1.0 / lc if lc > 0 else math.inf      # instant repair: only CCF can hit both
    else:
        denom = a * (lam + mu) - 2 * li * mu
        mttf = ((lam + mu) + 2 * li) / denom if denom > 0 else math.inf
    w = 2 * li * li * r + lc
    u = (li * r) ** 2 + lc * r
    single_u = lam * r / (1 + lam * r)
    return Pair(unit_mttf_hours=unit_mttf_hours, mttr_hours=r, beta=beta, mttf_hours=mttf,
                failure_rate_per_hour=w, unavailability=u, single_unavailability=single_u,
                unit_failures_per_year=2 * lam * HOURS_PER_YEAR,
                failures_per_year=w * HOURS_PER_YEAR,
                repair_cost=repair_cost, income_per_hour=income_per_hour)
