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


def number(text: Optional[str], flag: str, *, minimum: float = 0.0, positive: bool = False,
           integer: bool = False, default=None):
    if text is None:
        return default
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise BenchError(flag, f"is {text!r}", "a number") from None
    if not math.isfinite(value):
        raise BenchError(flag, f"is {text!r}", "a finite number")
    if integer:
        if value != int(value):
            raise BenchError(flag, f"is {text!r}", "a whole number")
        value = int(value)
    if value < minimum or (positive and value <= 0):
        raise BenchError(flag, f"is {text}", f"a number {'>' if positive else '>='} {minimum:g}")
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
