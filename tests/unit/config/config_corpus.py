"""The config corpus: good configs and the malformed ones with the problems each must give.

Shared by the unit tests here and the emulator tests (which apply every bad config and check
the kernel table did not change): import this file, call bad_configs(). No pytest in here.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, NamedTuple

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
GOOD_DIR = FIXTURES / "configs"
BAD_DIR = FIXTURES / "bad-configs"
EXPECTED = BAD_DIR / "expected.json"


class Expected(NamedTuple):
    path: str        # JSON path the message starts with; "" = the file itself
    says: str        # a substring of the message
    line: int = 0    # for syntax and encoding errors: where json/UTF-8 decoding stopped
    column: int = 0


class BadConfig(NamedTuple):
    name: str
    data: bytes
    expected: List[Expected]


def good_configs() -> List[Path]:
    return sorted(GOOD_DIR.glob("*.json"))


def bad_configs(include_generated: bool = True) -> List[BadConfig]:
    table = json.loads(EXPECTED.read_text())["cases"]
    cases = [BadConfig(name, (BAD_DIR / name).read_bytes(),
                       [Expected(e["path"], e["says"], e.get("line", 0), e.get("column", 0))
                        for e in errors])
             for name, errors in sorted(table.items())]
    if include_generated:
        cases.append(BadConfig("huge.json (generated)", huge_config(),
                               [Expected("", "larger than a config may be")]))
    return cases


def huge_config(services: int = 9000) -> bytes:
    """A config that would be valid but for its size: 9000 services x 4 reals, ~2.7 MB,
    over the 2 MiB limit. Made here rather than committed."""
    items = [{"virtual": f"10.{i // 250 % 250}.{i % 250}.1:80", "scheduler": "wrr",
              "reals": [{"address": f"10.200.{i % 250}.{j + 1}:80", "weight": 1}
                        for j in range(4)]}
             for i in range(services)]
    return json.dumps({"services": items}, indent=1).encode()
