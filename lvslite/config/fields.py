"""Typed reads of JSON object members that record a problem instead of raising.

Shared by validate.py (services, reals) and checks.py (health checks). Each reader returns
the value, the default when the key is absent, or INVALID after recording why, so the caller
carries on and every problem of the file is reported in one run. JSON's types are taken
strictly: true is not 1, 1.0 is not an integer, "80" is not a number.
"""
from __future__ import annotations

import math

from lvslite.config.errors import Problem, kind, show

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Iterable, List, Optional, Sequence

INVALID = object()  # "present but wrong; already reported"


class Collector:
    """The problems found so far, in the order met (file order)."""

    def __init__(self, source: str):
        self.source = source
        self.problems: List[Problem] = []

    def add(self, path: str, what: str, expected: str = "") -> None:
        self.problems.append(Problem(self.source, path, what, expected))


def join(path: str, key: object) -> str:
    """services[0] + "weight" -> services[0].weight; odd keys are quoted: services[0]["a b"]."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    text = str(key)
    if text.isidentifier() and text.isascii():
        return f"{path}.{text}" if path else text
    return f"{path}[{show(text)}]"


def suggest(word: str, choices: Sequence[str]) -> Optional[str]:
    """The choice `word` was probably meant to be (typo, wrong case), or None."""
    lower = word.lower()
    for choice in choices:
        if choice.lower() == lower:
            return choice
    best, best_distance = None, max(1, len(word) // 3) + 1
    for choice in choices:
        d = _distance(lower, choice.lower(), best_distance)
        if d < best_distance:
            best, best_distance = choice, d
    return best


def _distance(a: str, b: str, limit: int) -> int:
    """Edit distance (insert, delete, substitute, swap neighbours), or `limit` if larger."""
    if abs(len(a) - len(b)) >= limit or len(a) > 64:
        return limit
    prev2: List[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            cost = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, prev2[j - 2] + 1)
            row.append(cost)
        prev2, prev = prev, row
    return min(prev[-1], limit)


def one_of(choices: Iterable[str]) -> str:
    return "one of " + ", ".join(choices)


def obj(c: Collector, value: object, path: str, keys: Sequence[str], expected: str,
        required: Optional[dict] = None) -> Optional[dict]:
    """`value` as an object with only `keys`; unknown, repeated and missing keys reported.
    `required` maps each required key to what it should hold."""
    if not isinstance(value, dict):
        c.add(path, f"got {kind(value)}", expected)
        return None
    for key in getattr(value, "repeated", ()):
        c.add(join(path, key), "given twice in the same object; the first value would be "
              "silently ignored", "each key once")
    for key in value:
        if key not in keys:
            near = suggest(key, keys)
            c.add(join(path, key), "unknown key",
                  f'did you mean "{near}"?' if near else "known keys: " + ", ".join(keys))
    for key, what in (required or {}).items():
        if key not in value:
            c.add(join(path, key), "missing", what)
    return value


def integer(c: Collector, o: dict, key: str, path: str, lo: int, hi: int, default: object,
            unit: str = "") -> object:
    if key not in o:
        return default
    value = o[key]
    if type(value) is int and lo <= value <= hi:  # the common case, first
        return value
    where, expected = join(path, key), f"a whole number {lo}..{hi}{unit}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        c.add(where, f"got {kind(value)}", expected)
    elif isinstance(value, float):
        c.add(where, f"{show(value)} is not a whole number", expected)
    else:
        c.add(where, f"{show(value)} is out of range", expected)
    return INVALID


def number(c: Collector, o: dict, key: str, path: str, lo: float, hi: float, default: object,
           unit: str = "") -> object:
    """An int or a float (not a boolean, not NaN/Infinity) within [lo, hi]."""
    if key not in o:
        return default
    value = o[key]
    # (math.isfinite would raise on a 400-digit int: ints are finite anyway)
    is_number = type(value) is int or (type(value) is float and math.isfinite(value))
    if is_number and lo <= value <= hi:
        return value
    where, expected = join(path, key), f"a number {lo:g}..{hi:g}{unit}"
    if is_number:
        c.add(where, f"{show(value)} is out of range", expected)
    elif isinstance(value, float):
        c.add(where, f"{show(value)} is not a finite number", expected)
    else:
        c.add(where, f"got {kind(value)}", expected)
    return INVALID


def boolean(c: Collector, o: dict, key: str, path: str, default: object) -> object:
    if key not in o:
        return default
    value = o[key]
    if not isinstance(value, bool):
        c.add(join(path, key), f"got {kind(value)}", "true or false")
        return INVALID
    return value


def string(c: Collector, o: dict, key: str, path: str, default: object, expected: str,
           max_len: int = 4096) -> object:
    if key not in o:
        return default
    value = o[key]
    if not isinstance(value, str):
        c.add(join(path, key), f"got {kind(value)}", expected)
        return INVALID
    if len(value) > max_len:
        c.add(join(path, key), f"is {len(value)} characters long", f"at most {max_len}")
        return INVALID
    return value


def choice(c: Collector, o: dict, key: str, path: str, choices: Sequence[str], default: object,
           aliases: Optional[dict] = None, noun: str = "value") -> object:
    """One of `choices`; `aliases` maps other tools' names (ipvsadm's "nat") to ours."""
    if key not in o:
        return default
    value = o[key]
    if isinstance(value, str) and value in choices:
        return value
    if not isinstance(value, str):
        c.add(join(path, key), f"got {kind(value)}", one_of(choices))
        return INVALID
    near = (aliases or {}).get(value.lower()) or suggest(value, choices)
    c.add(join(path, key), f"unknown {noun} {show(value)}",
          (f'did you mean "{near}"? ' if near else "") + "expected " + one_of(choices))
    return INVALID
