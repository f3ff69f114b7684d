"""Reads which shared libraries an ELF file needs (DT_NEEDED), to prove a pruned root still runs.

Pure: bytes in, names out; it never opens a file (build.py does). Pruning a Debian root by
package is only safe if every binary left behind still finds its libraries, and the target is
i386 while the build host is x86_64, so `ldd` cannot be trusted there; reading the dynamic
section ourselves works for either class and byte order (System V ABI, "Dynamic Section").
"""
from __future__ import annotations

import struct
from typing import List, Optional

MAGIC = b"\x7fELF"
SHT_DYNAMIC = 6      # System V gABI, section header sh_type
DT_NULL, DT_NEEDED = 0, 1


def is_elf(head: bytes) -> bool:
    return head[:4] == MAGIC


def needed(data: bytes) -> Optional[List[str]]:
    """The DT_NEEDED names of an ELF file, [] for a static one, None if it is not ELF.

    Uses the section headers (present in Debian's stripped binaries); a file without them
    (sstrip'ed) reads as needing nothing, which is the safe answer for a *check* only where
    such files do not occur: Debian does not ship any.
    """
    if len(data) < 52 or not is_elf(data):
        return None
    cls, enc = data[4], data[5]
    if cls not in (1, 2) or enc not in (1, 2):
        return None
    end = "<" if enc == 1 else ">"
    if cls == 1:
        shoff, = struct.unpack_from(end + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x2E)
        sh_fmt, dyn_fmt = end + "IIIIIIIIII", end + "iI"
    else:
        shoff, = struct.unpack_from(end + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(end + "HH", data, 0x3A)
        sh_fmt, dyn_fmt = end + "IIQQQQIIQQ", end + "qQ"
    if shoff == 0 or shnum == 0 or shoff + shnum * shentsize > len(data):
        return []
    sections = [struct.unpack_from(sh_fmt, data, shoff + i * shentsize) for i in range(shnum)]
    names: List[str] = []
    for sh in sections:
        if sh[1] != SHT_DYNAMIC:
            continue
        off, size, link = sh[4], sh[5], sh[6]
        if link >= len(sections):
            continue
        str_off = sections[link][4]
        step = struct.calcsize(dyn_fmt)
        for pos in range(off, min(off + size, len(data) - step + 1), step):
            tag, val = struct.unpack_from(dyn_fmt, data, pos)
            if tag == DT_NULL:
                break
            if tag == DT_NEEDED:
                s = str_off + val
                e = data.find(b"\0", s)
                names.append(data[s:e].decode("ascii", "replace"))
    return names
