"""/proc/mounts: what is mounted where. Pure: callers hand in the file's text.

`lvslite save` finds the card's config partition by its mount point; `lvslite wear sample`
finds the filesystem its log would be written to.
"""
from __future__ import annotations

from lvslite.model import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import List, Optional


class Mount(Record):
    __slots__ = ()
    _fields = ("device", "point", "fstype", "options")
    # options: tuple of the mount options

    def __new__(cls, device: str, point: str, fstype: str, options: tuple):
        return tuple.__new__(cls, (device, point, fstype, options))

    @property
    def read_only(self) -> bool:
        return "ro" in self.options


def unescape(field: str) -> str:
    """/proc/mounts writes space, tab, newline and backslash as octal escapes (\\040)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 4 <= len(field) and field[i + 1:i + 4].isdigit():
            out.append(chr(int(field[i + 1:i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def parse(mounts_text: str) -> List[Mount]:
    """Every mount, in the file's order (a later one is stacked on an earlier one)."""
    mounts = []
    for line in mounts_text.splitlines():
        f = line.split()
        if len(f) >= 4:
            mounts.append(Mount(unescape(f[0]), unescape(f[1]), f[2], tuple(f[3].split(","))))
    return mounts


def find_mount(mounts_text: str, point: str) -> Optional[Mount]:
    """The filesystem mounted exactly at `point` (the last one, if mounts are stacked)."""
    found = None
    for m in parse(mounts_text):
        if m.point == point:
            found = m
    return found


def holding(mounts_text: str, path: str) -> Optional[Mount]:
    """The mount whose filesystem holds the absolute, resolved `path`: the longest mount
    point above it (the last one, if mounts are stacked)."""
    best = None
    for m in parse(mounts_text):
        if ((path == m.point or path.startswith(m.point.rstrip("/") + "/"))
                and (best is None or len(m.point) >= len(best.point))):
            best = m
    return best
