"""The bench's one error type: bad input a user can fix (never a bug in the bench).

Every message names the thing, the problem and the fix, so the CLI can print it as
`bench: error: <message>` and exit 1 without a traceback.
"""
from __future__ import annotations


class BenchError(Exception):
    """Input the bench cannot use: an unknown box, a negative rate, a malformed catalog."""

    def __init__(self, where: str, problem: str, expected: str = "") -> None:
        self.where = where
        self.problem = problem
        self.expected = expected
        text = f"{where}: {problem}"
        if expected:
            text += f" ({expected})"
        super().__init__(text)
