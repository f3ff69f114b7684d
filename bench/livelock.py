"""Receive livelock: forwarded output vs offered load, interrupt-driven and NAPI (docs/reference/models.md#receive-livelock-and-shared-interrupts).

Why it matters for these boxes: an interrupt-driven kernel spends c_i of every packet at
interrupt level before it can drop anything, so past the MLFRR the output falls and reaches 0
at 1/c_i (Mogul & Ramakrishnan's livelock). NAPI drops in the NIC ring at ~0 CPU cost, so its
output stays flat at its capacity. On a shared line every interrupt runs all n handlers, which
raises c_i to entry + n x check + rx (docs/reference/models.md#shared-irq-lines): the seed's "steep" degradation.
All times in seconds; pure functions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

from bench.errors import BenchError


@dataclass(frozen=True)
class IrqCosts:
    rx: float            # per-packet work at interrupt level (ISR: copy/enqueue)
    p: float             # per-packet deferred work (IP, IPVS lookup, transmit)
    entry: float = 0.0   # per-interrupt entry/exit
    check: float = 0.0   # per handler on the line: read its status register
    shared: int = 1      # handlers on the line
    budget: int = 64     # NAPI packets per poll (weight_p, docs/reference/models.md#napi)

    def __post_init__(self) -> None:
        for name in ("rx", "p", "entry", "check"):
            value = getattr(self, name)
            if not math.isfinite(value) or value < 0:
                raise BenchError(f"--{name if name != 'rx' else 'ci'}", f"is {value!r}",
                                 "a cost in microseconds >= 0")
        if self.rx + self.p + self.entry + self.check <= 0:
            raise BenchError("--ci/--cp", "both are 0", "a per-packet cost > 0")
        if self.shared < 1:
            raise BenchError("--shared", f"is {self.shared}", "handlers on the line, >= 1")
        if self.budget < 1:
            raise BenchError("--budget", f"is {self.budget}", "packets per NAPI poll, >= 1")

    @property
    def ci(self) -> float:
        """Interrupt-level cost per packet with one interrupt per packet: entry + n x check + rx."""
        return self.entry + self.shared * self.check + self.rx

    @property
    def ci_napi(self) -> float:
        """NAPI under overload: the interrupt's fixed part is paid once per poll of `budget`."""
        return (self.entry + self.shared * self.check) / self.budget + self.rx


def mlfrr(c: IrqCosts) -> float:
    """Maximum loss-free receive rate of the interrupt-driven kernel: 1/(c_i + c_p)."""
    return 1.0 / (c.ci + c.p)


def livelock_onset(c: IrqCosts) -> float:
    """Offered rate at which the interrupt-driven output reaches 0: 1/c_i (inf if c_i = 0)."""
    return 1.0 / c.ci if c.ci > 0 else math.inf


def napi_capacity(c: IrqCosts) -> float:
    return 1.0 / (c.p + c.ci_napi)


def irq_output(rate: float, c: IrqCosts) -> float:
    """docs/reference/models.md#fluid-model: out = rate up to the MLFRR, then (1 - rate c_i)/c_p, then 0."""
    if rate <= mlfrr(c):
        return rate
    if rate >= livelock_onset(c) or c.p == 0:
        return 0.0
    return (1.0 - rate * c.ci) / c.p


def napi_output(rate: float, c: IrqCosts) -> float:
    return min(rate, napi_capacity(c))


@dataclass(frozen=True)
class Curve:
    costs: IrqCosts
    mlfrr: float
    livelock_onset: float
    napi_capacity: float
    points: Tuple[Tuple[float, float, float], ...]   # (offered rate, irq out, napi out)


def default_rates(c: IrqCosts, n: int = 25) -> Tuple[float, ...]:
    """Evenly from 0 to 1.25 x the livelock onset (or 2 x the MLFRR when there is none)."""
    top = livelock_onset(c)
    top = 1.25 * top if math.isfinite(top) else 2 * mlfrr(c)
    return tuple(round(top * i / n) for i in range(n + 1))


def curve(c: IrqCosts, rates: Optional[Sequence[float]] = None) -> Curve:
    rates = tuple(rates) if rates is not None else default_rates(c)
    for r in rates:
        if not math.isfinite(r) or r < 0:
            raise BenchError("--rates", f"contains {r!r}", "offered rates in packets/s >= 0")
    pts = tuple((float(r), irq_output(r, c), napi_output(r, c)) for r in rates)
    return Curve(costs=c, mlfrr=mlfrr(c), livelock_onset=livelock_onset(c),
                 napi_capacity=napi_capacity(c), points=pts)
