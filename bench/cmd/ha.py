"""`python -m bench ha`: a two-box director pair with common-cause failures, and its risk cost.

The seed's verdict came from exactly this sum: repairs at the customer (every box failure)
plus income lost in outages (both boxes down) against the income the service earns.
"""
from __future__ import annotations

from bench.cmd.common import add_json, emit, finite, number
from bench.errors import BenchError
from bench.ha import HOURS_PER_YEAR, pair


def add_arguments(p) -> None:
    p.add_argument("--mttf-hours", metavar="H", help="mean time to failure of one box (h)")
    p.add_argument("--mttr-hours", metavar="R", help="mean time to repair one box (h)")
    p.add_argument("--beta", metavar="B", help="common-cause fraction, 0..1 (e.g. 0.05)")
    p.add_argument("--repair-cost", metavar="X", help="cost of one repair (detection to "
                                                      "replacement)")
    p.add_argument("--income-per-hour", metavar="Y", help="income the service earns per hour")
    add_json(p)


def run(args) -> int:
    if args.mttf_hours is None or args.mttr_hours is None or args.beta is None:
        raise BenchError("--mttf-hours/--mttr-hours/--beta", "missing",
                         "e.g. --mttf-hours 552 --mttr-hours 48 --beta 0.1")
    money = (args.repair_cost, args.income_per_hour)
    if (money[0] is None) != (money[1] is None):
        raise BenchError("--repair-cost/--income-per-hour", "only one given",
                         "both, for the yearly risk cost, or neither")
    r = pair(number(args.mttf_hours, "--mttf-hours"),
             number(args.mttr_hours, "--mttr-hours"),
             number(args.beta, "--beta"),
             repair_cost=number(args.repair_cost, "--repair-cost"),
             income_per_hour=number(args.income_per_hour, "--income-per-hour"))
    doc = {"mttf_hours": finite(r.mttf_hours), "failure_rate_per_hour": r.failure_rate_per_hour,
           "unavailability": r.unavailability, "single_unavailability": r.single_unavailability,
           "failures_per_year": r.failures_per_year,
           "unit_failures_per_year": r.unit_failures_per_year,
           "risk_cost_per_year": r.risk_cost_per_year, "income_per_year": r.income_per_year,
           "protected_income_per_year": r.protected_income_per_year}
    if args.json:
        emit(doc)
        return 0
    mttf = "unbounded" if doc["mttf_hours"] is None else f"{r.mttf_hours:,.0f} h " \
        f"({r.mttf_hours / HOURS_PER_YEAR:,.2f} years)"
    print(f"pair (1oo2, beta {r.beta:g}): MTTF {mttf}, {r.failure_rate_per_hour:.3g} outages/h "
          f"({r.failures_per_year:.3g}/year), unavailability {r.unavailability:.3g}")
    print(f"one box alone: unavailability {r.single_unavailability:.3g}; common cause alone "
          f"gives {r.beta / r.unit_mttf_hours * HOURS_PER_YEAR:.3g} outages/year, whatever the repair time")
    if r.risk_cost_per_year is not None:
        print(f"risk cost {r.risk_cost_per_year:,.0f}/year = {r.unit_failures_per_year:.3g} "
              f"repairs x {r.repair_cost:,.0f} + {r.failures_per_year:.3g} outages x "
              f"{r.mttr_hours:g} h x {r.income_per_hour:,.0f}/h")
        print(f"income {r.income_per_year:,.0f}/year; the second box protects "
              f"{r.protected_income_per_year:,.0f}/year of it")
        if r.risk_cost_per_year > r.income_per_year:
            print("the risk cost exceeds the income: the seed's conclusion for its boxes")
    return 0
