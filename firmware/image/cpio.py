"""Writes an initramfs: a "newc" cpio archive, the format the kernel unpacks at boot.

Pure: entries in, bytes out. Our own writer rather than the host's cpio so the archive's
owners, modes and times do not depend on the build machine (every entry is root's, mtime 0)
and the initramfs is byte-for-byte reproducible (Documentation/driver-api/early-userspace/
buffer-format.rst: header "070701", 13 eight-digit hex fields, name, 4-byte padding).
"""
from __future__ import annotations

import stat
from dataclasses import dataclass
from typing import Iterable, List

TRAILER = "TRAILER!!!"


@dataclass(frozen=True)
class Entry:
    name: str               # path inside the archive, without a leading /
    mode: int               # full st_mode (type bits included)
    data: bytes = b""       # file content, or the target of a symlink
    major: int = 0          # device numbers for character/block nodes
    minor: int = 0


def file(name: str, data: bytes, perm: int = 0o644) -> Entry:
    return Entry(name, stat.S_IFREG | perm, data)


def directory(name: str, perm: int = 0o755) -> Entry:
    return Entry(name, stat.S_IFDIR | perm)


def symlink(name: str, target: str) -> Entry:
    return Entry(name, stat.S_IFLNK | 0o777, target.encode())


def chardev(name: str, major: int, minor: int, perm: int = 0o600) -> Entry:
    return Entry(name, stat.S_IFCHR | perm, b"", major, minor)


def _pad(n: int) -> bytes:
    return b"\0" * (-n % 4)


def _header(ino: int, e: Entry, namesize: int) -> bytes:
    fields = (ino, e.mode, 0, 0, 2 if stat.S_ISDIR(e.mode) else 1, 0, len(e.data),
              0, 0, e.major, e.minor, namesize, 0)
    return b"070701" + b"".join(b"%08X" % f for f in fields)


def archive(entries: Iterable[Entry]) -> bytes:
    """The archive of `entries` in the order given (parents before children) plus the trailer."""
    out: List[bytes] = []
    n = 0
    for n, e in enumerate(list(entries) + [Entry(TRAILER, 0)], start=1):
        name = e.name.lstrip("/").encode() + b"\0"
        head = _header(n if e.name != TRAILER else 0, e, len(name)) + name
        out.append(head + _pad(len(head)))
        out.append(e.data + _pad(len(e.data)))
    return b"".join(out)


def parse(blob: bytes) -> List[Entry]:
    """The entries of a newc archive (for tests and for checking what was built)."""
    out, pos = [], 0
    while True:
        if blob[pos:pos + 6] != b"070701":
            raise ValueError(f"offset {pos}: not a newc header")
        f = [int(blob[pos + 6 + 8 * i: pos + 14 + 8 * i], 16) for i in range(13)]
        namesize, filesize = f[11], f[6]
        pos += 110
        name = blob[pos:pos + namesize - 1].decode()
        pos += namesize + (-(110 + namesize) % 4)
        data = blob[pos:pos + filesize]
        pos += filesize + (-filesize % 4)
        if name == TRAILER:
            return out
        out.append(Entry(name, f[1], data, f[9], f[10]))
