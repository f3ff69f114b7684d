"""The dry-run backend: reads the live table through a real backend, changes nothing, and
prints each operation as the ipvsadm command line that would perform it.

The printed lines are runnable as they are (one `ipvsadm` per line), so an administrator can
review them, or apply them by hand on a box without lvslite.
"""
from __future__ import annotations

import sys

from lvslite.ipvs.ops import Op, command_line
from lvslite.model import Table

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Sequence, TextIO


def render(ops: Sequence[Op]) -> list[str]:
    return [command_line(op) for op in ops]


class DryRun:
    def __init__(self, reader, out: TextIO = None) -> None:
        self.reader = reader          # the backend the live table is read from
        self.out = out if out is not None else sys.stdout

    def dump(self) -> Table:
        return self.reader.dump()

    def apply(self, ops: Sequence[Op]) -> None:
        for line in render(ops):
            self.out.write(line + "\n")

    def close(self) -> None:
        self.reader.close()
