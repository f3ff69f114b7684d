"""Flash lifetime for the bench: a thin seam over the agent's own model (lvslite.wear.model).

The bench never carries its own copy: `lvslite wear` on the box and `python -m bench flash` on
the workstation must give the same answer for the same card. This module only turns the
model's error type into the bench's and parses sizes such as 256MiB.
"""
from __future__ import annotations

import re
from typing import Optional, Tuple

from bench.errors import BenchError

_SIZE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([kKmMgGtT]?)(i?)[bB]?\s*$")
_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4}


def parse_bytes(text: str, flag: str = "--capacity", limits: Tuple[float, float] = (1, 2 ** 50)
                ) -> int:
    """'1073741824', '1GiB' (binary) or '1GB' (decimal) -> bytes, within `limits`."""
    m = _SIZE.match(str(text))
    if not m:
        raise BenchError(flag, f"is {text!r}", "bytes, e.g. 1073741824, 256MiB or 1GB")
    value, unit, binary = float(m.group(1)), m.group(2).lower(), m.group(3)
    base = 1024 if binary else 1000
    lo, hi = limits
    n = value * base ** _POWER[unit]
    if not lo <= n <= hi:      # also catches an overflow to infinity (400 digits)
        raise BenchError(flag, f"is {text!r}", f"a size of {lo:g}..{hi:g} bytes")
    return int(round(n))


def lifetime(rate_Bps: float, *, capacity_bytes: int, endurance_cycles: float,
             wear_leveling: str = "dynamic", waf: float = 1.0,
             hot_interval_s: Optional[float] = None, temp_c: Optional[float] = None):
    """lvslite.wear.model.lifetime, with its errors as BenchError."""
    from lvslite.wear.model import WearModelError, lifetime as wear_lifetime
    try:
        return wear_lifetime(rate_Bps, capacity_bytes=capacity_bytes,
                             endurance_cycles=endurance_cycles, wear_leveling=wear_leveling,
                             waf=waf, hot_interval_s=hot_interval_s, temp_c=temp_c)
    except WearModelError as exc:
        raise BenchError("flash", str(exc)) from None


def card_profiles():
    from lvslite.wear.model import CARD_PROFILES
    return CARD_PROFILES
