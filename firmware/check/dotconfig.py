"""Reads kconfig assignment files: kernel fragments, Buildroot defconfigs, a final .config.

A fragment line is `PREFIXNAME=value` or `# PREFIXNAME is not set`; anything else that is
not a comment or blank is an error here, because a line the real kconfig cannot read is
silently skipped by it. The kernel uses the prefix CONFIG_; Buildroot writes its BR2_ symbols
with no prefix (support/kconfig is built with CONFIG_="", docs/reference/firmware.md#buildroots-kconfig). Pure functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

from firmware.check import CheckError

_SET = re.compile(r"^([A-Za-z0-9_]+)=(.*)$")
_UNSET = re.compile(r"^# ([A-Za-z0-9_]+) is not set\s*$")


@dataclass(frozen=True)
class Request:
    """One assignment a file asks for: `name` without the prefix, value as kconfig spells it."""
    name: str
    value: str  # y, m, n, a number, or a string without its quotes
    where: str  # file:line
    quoted: bool = False


def unquote(raw: str) -> Tuple[str, bool]:
    raw = raw.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return raw[1:-1].replace('\\"', '"').replace("\\\\", "\\"), True
    return raw, False


def parse(text: str, prefix: str, origin: str) -> Tuple[List[Request], List[str]]:
    """Assignments in file order, and the lines that are not assignments (as errors)."""
    reqs, errors = [], []
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        where = f"{origin}:{n}"
        m = _UNSET.match(s)
        if m:
            name = m.group(1)
            if not name.startswith(prefix):
                errors.append(f"{where}: {name} does not start with {prefix} (kconfig ignores it)")
                continue
            reqs.append(Request(name[len(prefix):], "n", where))
            continue
        if not s or s.startswith("#"):
            continue
        m = _SET.match(s)
        if not m:
            errors.append(f"{where}: not a kconfig assignment: {s!r} "
                          f"(expected {prefix}NAME=value or '# {prefix}NAME is not set')")
            continue
        name, raw = m.group(1), m.group(2)
        if not name.startswith(prefix):
            errors.append(f"{where}: {name} does not start with {prefix!r} (kconfig ignores it)")
            continue
        val, quoted = unquote(raw)
        if not quoted and (val == "" or " " in val):
            errors.append(f"{where}: {name}={raw} needs quotes around a string value")
            continue
        reqs.append(Request(name[len(prefix):], val, where, quoted))
    return reqs, errors


def read(paths: Iterable[Path], prefix: str, notes: Optional[List[str]] = None
         ) -> Tuple[List[Request], List[str]]:
    """Merge several files in order; the later assignment of a name wins (merge_config.sh).
    Each override of a different value is added to `notes`."""
    merged: Dict[str, Request] = {}
    errors: List[str] = []
    for p in paths:
        try:
            text = Path(p).read_text()
        except OSError as e:
            raise CheckError(f"{p}: cannot read ({e.strerror}); give an existing fragment file")
        reqs, errs = parse(text, prefix, str(p))
        errors.extend(errs)
        for r in reqs:
            old = merged.pop(r.name, None)
            if old is not None and old.value != r.value and notes is not None:
                notes.append(f"{r.where}: {prefix}{r.name}={r.value} overrides "
                             f"{prefix}{r.name}={old.value} from {old.where}")
            merged[r.name] = r
    return list(merged.values()), errors


def values(text: str, prefix: str) -> Dict[str, str]:
    """Final values of a .config: name (no prefix) -> y/m/n/number/string."""
    out: Dict[str, str] = {}
    for line in text.splitlines():
        s = line.strip()
        m = _UNSET.match(s)
        if m and m.group(1).startswith(prefix):
            out[m.group(1)[len(prefix):]] = "n"
            continue
        m = _SET.match(s)
        if m and m.group(1).startswith(prefix):
            out[m.group(1)[len(prefix):]] = unquote(m.group(2))[0]
    return out
