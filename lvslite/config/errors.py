"""The config layer's one error type, and how a problem in the config is worded.

A config is rejected with every problem found, not the first one, so an administrator fixes
the file in one pass. Each problem names where it is (a JSON path such as
`services[1].reals[0].address`, or the file itself with a line and column for a syntax
error), what is wrong, and what was expected. Nothing here prints: the CLI does.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Iterable, List, Tuple


class Problem:
    """One thing wrong with the config. `path` is the JSON path ("" = the file itself)."""
    __slots__ = ("source", "path", "what", "expected", "line", "column")

    def __init__(self, source: str, path: str, what: str, expected: str = "",
                 line: int = 0, column: int = 0) -> None:
        self.source = source      # the file name, or "<config>" for text given directly
        self.path = path          # JSON path, "" for problems with the file as a whole
        self.what = what          # what is wrong, naming the value
        self.expected = expected  # what would be right (the fix)
        self.line = line          # 1-based, for syntax and encoding errors only
        self.column = column      # 1-based

    def _values(self) -> tuple:
        return (self.source, self.path, self.what, self.expected, self.line, self.column)

    def __eq__(self, other) -> bool:
        if type(other) is not Problem:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        return "Problem(%r, %r, %r, %r, %r, %r)" % self._values()

    @property
    def where(self) -> str:
        if self.path:
            return self.path
        if self.line:
            return f"{self.source}:{self.line}:{self.column}"
        return self.source

    def __str__(self) -> str:
        tail = f" ({self.expected})" if self.expected else ""
        return f"{self.where}: {self.what}{tail}"


class ConfigError(Exception):
    """The config cannot be used; `problems` lists everything wrong, in file order."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: Tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def paths(self) -> List[str]:
        return [p.where for p in self.problems]


MAX_SHOWN = 60  # characters of a bad value quoted back in a message


def show(value: object) -> str:
    """A value as the user wrote it, safe for any terminal: ASCII only, control characters
    escaped, long strings cut. JSON spellings (true, null, NaN) so the user recognises them."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        if value != value:
            return "NaN"
        if value in (float("inf"), float("-inf")):
            return "Infinity" if value > 0 else "-Infinity"
        return repr(value)
    if isinstance(value, int):
        if value.bit_length() > 64:  # str() of a 5000-digit int raises on Python >= 3.11
            return "a huge integer"
        return str(value)
    if isinstance(value, str):
        cut = value if len(value) <= MAX_SHOWN else value[:MAX_SHOWN] + "..."
        text = cut.encode("unicode_escape").decode("ascii").replace('"', '\\"')
        return f'"{text}"'
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def kind(value: object) -> str:
    """What a JSON value is, for 'got X (expected Y)' messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {show(value)}"
    if isinstance(value, (int, float)):
        return f"the number {show(value)}"
    if isinstance(value, str):
        return f"the string {show(value)}"
    return show(value)
