"""What every bench subcommand shares: number parsing that fails with exit 1, JSON output.

Numbers are taken as text and converted here, not by argparse, so a negative or malformed rate
is bad input (exit 1, `bench: error: --rps: ...`) rather than a usage error with a usage dump.
"""
from __future__ import annotations

import json
import math
import sys
from typing import Optional

from bench.errors import BenchError
from lvslite.wear.model import OPTION_BOUNDS


# Every number a bench command takes, by flag: (lowest, highest), both allowed. The highest
# are sanity bounds far beyond any box (the fastest catalog box forwards about 1e6 pkt/s),
# chosen so that every model stays in finite floating point with all of them at once
# (tests/unit/bench/test_bench_bounds.py); the lowest are what the quantity can be.
# docs/config.md#limits lists them.
LIMITS = {
    "--rps": (0, 1e7), "--kbps": (0, 1e8), "--from": (1e-3, 1e7), "--to": (1e-3, 1e7),
    "--points": (1, 100_000),
    "--persistent": (0, 2_678_400),         # ipvsadm -p's largest: 31 days
    "--keepalive": (1, 1e6), "--request-bytes": (0, 1e7), "--conn-seconds": (0, 2_678_400),
    "--entry-bytes": (1, 65_536), "--tab-bits": (8, 27),   # 8..20 on 32-bit, 27 on 64-bit
    "--rate": (0, 1e10),                    # memory: connections/s; flash: bytes/s
    "--hold": (0, 2_678_400), "--cache-line": (8, 256),
    "--ram-mb": (1, 1_048_576), "--base-mb": (0, 1_048_576),
    "--ci": (0, 1e6), "--cp": (0, 1e6), "--check": (0, 1e6), "--entry": (0, 1e6),
    "--shared": (1, 64), "--budget": (1, 65_536), "--rates": (0, 1e9),
    **{k: v for k, v in OPTION_BOUNDS.items() if k != "--free-fraction"},  # the wear model's
    "--mttf-hours": (1, 1e9), "--mttr-hours": (0, 1e6), "--beta": (0, 1),
    "--repair-cost": (0, 1e12), "--income-per-hour": (0, 1e12),
}
MAX_LIST = 1000    # values in a comma-separated list (--rates)


def number(text: Optional[str], flag: str, *, integer: bool = False, default=None):
    """The value of `flag` as a finite number within LIMITS[flag], or BenchError (exit 1)."""
    if text is None:
        return default
    lo, hi = LIMITS[flag]
    expected = f"a {'whole ' if integer else ''}number {lo:g}..{hi:g}"
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise BenchError(flag, f"is {text!r}", expected) from None
    if not math.isfinite(value):
        raise BenchError(flag, f"is {text!r}, not a finite number", expected)
    if not lo <= value <= hi:
        raise BenchError(flag, f"is {text}, out of range", expected)
    if integer:
        if value != int(value):
            raise BenchError(flag, f"is {text!r}", expected)
        value = int(value)
    return value


def add_catalog(parser) -> None:
    parser.add_argument("--boxes", action="append", default=[], metavar="FILE",
                        help="a JSON file of extra boxes (same format as bench/boxes.json); "
                             "may be repeated; a box with a catalog name replaces it")


def add_json(parser) -> None:
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document on stdout instead of tables")


def emit(doc) -> None:
    json.dump(doc, sys.stdout, indent=2, allow_nan=False, default=_default)
    sys.stdout.write("\n")


def _default(obj):
    raise TypeError(f"not JSON: {obj!r}")


def finite(x):
    """JSON has no infinity: an unbounded figure becomes null."""
    return None if isinstance(x, float) and (math.isinf(x) or math.isnan(x)) else x


def say(text: str, as_json: bool) -> None:
    """Human notes go to stdout, or to stderr when stdout carries JSON."""
    print(text, file=sys.stderr if as_json else sys.stdout)
