"""The card's MBR partition table: laid out, encoded and read back.

Pure: numbers in, bytes out (and back). The boot code (syslinux's mbr.bin) fills the first
440 bytes; this module owns bytes 440-511: the disk signature that makes root=PARTUUID=
work, four partition entries and the 0x55AA mark. CHS fields are filled with the 255-head,
63-sector translation old BIOSes (comBIOS, tinyBIOS) use, clamped at cylinder 1023 as every
partitioner does; LBA fields are what Linux and syslinux read.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import List, Sequence, Tuple

SECTOR = 512
HEADS, SECTORS = 255, 63


class LayoutError(ValueError):
    """A layout that cannot be made (sizes, alignment); the message says which part."""


@dataclass(frozen=True)
class Partition:
    name: str
    start: int          # bytes from the start of the disk
    size: int           # bytes
    type: int           # MBR partition type byte
    active: bool = False

    @property
    def end(self) -> int:
        return self.start + self.size


def align_up(n: int, align: int) -> int:
    return (n + align - 1) // align * align


def layout(parts: Sequence[Tuple[str, int, int, bool]], align: int) -> List[Partition]:
    """Partitions one after the other from `align`, each start and size rounded up to it.

    parts: (name, size in bytes, type, active). At most four (primary partitions only).
    """
    if not 1 <= len(parts) <= 4:
        raise LayoutError(f"{len(parts)} partitions (an MBR holds 1 to 4 primary ones)")
    if align % SECTOR:
        raise LayoutError(f"alignment {align} is not a multiple of {SECTOR}")
    out, pos = [], align
    for name, size, ptype, active in parts:
        if size <= 0:
            raise LayoutError(f"partition {name}: size {size} (must be more than 0)")
        size = align_up(size, align)
        out.append(Partition(name, pos, size, ptype, active))
        pos += size
    if pos // SECTOR >= 1 << 32:
        raise LayoutError(f"disk of {pos} bytes is beyond what an MBR addresses (2 TiB)")
    return out


def disk_size(parts: Sequence[Partition]) -> int:
    return max(p.end for p in parts)


def chs(lba: int) -> bytes:
    """The 3-byte CHS address of a sector, clamped to 1023/254/63 past the 8 GB limit."""
    c, rem = divmod(lba, HEADS * SECTORS)
    h, s = divmod(rem, SECTORS)
    if c > 1023:
        c, h, s = 1023, HEADS - 1, SECTORS
    else:
        s += 1
    return bytes((h, ((c >> 8) & 3) << 6 | s, c & 0xFF))


def entry(p: Partition) -> bytes:
    first, count = p.start // SECTOR, p.size // SECTOR
    if p.start % SECTOR or p.size % SECTOR:
        raise LayoutError(f"partition {p.name} is not sector-aligned")
    return (bytes((0x80 if p.active else 0,)) + chs(first) + bytes((p.type,))
            + chs(first + count - 1) + struct.pack("<II", first, count))


def table(parts: Sequence[Partition], signature: int) -> bytes:
    """Bytes 440..511 of the MBR: signature, 2 zero bytes, 4 entries, 0x55 0xAA."""
    if len(parts) > 4:
        raise LayoutError(f"{len(parts)} partitions (an MBR holds 4)")
    entries = b"".join(entry(p) for p in parts) + bytes(16 * (4 - len(parts)))
    return struct.pack("<I", signature) + b"\0\0" + entries + b"\x55\xaa"


@dataclass(frozen=True)
class Entry:
    number: int         # 1..4
    type: int
    active: bool
    start: int          # bytes
    size: int           # bytes


def parse(sector0: bytes) -> Tuple[int, List[Entry]]:
    """(disk signature, used entries) of an MBR; ValueError if there is none."""
    if len(sector0) < SECTOR or sector0[510:512] != b"\x55\xaa":
        raise ValueError("no MBR (the first sector does not end in 0x55AA)")
    sig, = struct.unpack_from("<I", sector0, 440)
    out = []
    for i in range(4):
        raw = sector0[446 + 16 * i: 446 + 16 * (i + 1)]
        first, count = struct.unpack_from("<II", raw, 8)
        if raw[4] == 0 or count == 0:
            continue
        out.append(Entry(i + 1, raw[4], raw[0] == 0x80, first * SECTOR, count * SECTOR))
    return sig, out
