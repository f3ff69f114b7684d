"""`python -m bench flash`: card life from a write rate, by the agent's own wear model.

Same model as `lvslite wear` on the box (lvslite.wear.model, imported, never copied), so a
lifetime planned here is the lifetime the box will report.
"""
from __future__ import annotations

from bench.cmd.common import LIMITS, add_json, emit, number
from bench.errors import BenchError
from bench.flash import card_profiles, lifetime, parse_bytes
from lvslite.wear.model import LEVELING


def add_arguments(p) -> None:
    p.add_argument("--rate", metavar="BPS", help="host write rate, bytes/s (iostat kB_wrtn/s x 1024)")
    p.add_argument("--capacity", metavar="BYTES", help="card size: bytes, 256MiB, 1GB")
    p.add_argument("--endurance", metavar="E", help="rated erase cycles (default: the card's)")
    p.add_argument("--wear-leveling", choices=LEVELING, help="default: the card's")
    p.add_argument("--card", default="cf-basic", metavar="NAME",
                   help="card class for the defaults (lvslite.wear.model.CARD_PROFILES; "
                        "default cf-basic: 100,000 cycles, no wear leveling)")
    p.add_argument("--hot-interval", metavar="S",
                   help="no wear leveling: seconds between rewrites of the hottest block")
    p.add_argument("--waf", metavar="W", help="write amplification (default 1)")
    p.add_argument("--temp", metavar="C", help="operating temperature (Arrhenius derating)")
    add_json(p)


def run(args) -> int:
    if args.rate is None or args.capacity is None:
        raise BenchError("--rate/--capacity", "missing",
                         "e.g. --rate 2048 --capacity 256MiB (bytes/s written, card size)")
    cards = card_profiles()
    if args.card not in cards:
        raise BenchError("--card", f"is {args.card!r}", "one of: " + " ".join(cards))
    card = cards[args.card]
    life = lifetime(number(args.rate, "--rate"),
                    capacity_bytes=parse_bytes(args.capacity, limits=LIMITS["--capacity"]),
                    endurance_cycles=number(args.endurance, "--endurance",
                                            default=card.endurance_cycles),
                    wear_leveling=args.wear_leveling or card.wear_leveling,
                    waf=number(args.waf, "--waf", default=1.0),
                    hot_interval_s=number(args.hot_interval, "--hot-interval"),
                    temp_c=number(args.temp, "--temp"))
    if args.json:
        emit({"days": life.days, "years": life.years, "model": life.model,
              "formula": life.formula, "endurance_cycles": life.endurance_cycles,
              "explanation": life.explanation, "card": card.name, "card_source": card.source})
        return 0
    if life.days is None:
        print(f"not limited by wear: {life.explanation}")
    else:
        print(f"{life.days:,.1f} days ({life.years:,.2f} years): {life.formula}")
    print(f"  {life.explanation}")
    print(f"  card class {card.name}: {card.source}")
    return 0
