"""DT_NEEDED reading (firmware/image/elf.py): crafted 32- and 64-bit files, and real ones
checked against binutils' readelf."""
import re
import shutil
import struct
import subprocess
import sys

import pytest
from support import need

from firmware.image import elf


def craft(cls: int, needed, big_endian: bool = False) -> bytes:
    """A minimal ELF with a .dynstr and a .dynamic section naming `needed`."""
    e = ">" if big_endian else "<"
    strtab = b"\0" + b"".join(n.encode() + b"\0" for n in needed)
    offs, pos = [], 1
    for n in needed:
        offs.append(pos)
        pos += len(n) + 1
    dfmt = e + ("iI" if cls == 1 else "qQ")
    dyn = b"".join(struct.pack(dfmt, 1, o) for o in offs) + struct.pack(dfmt, 0, 0)
    ehsize = 52 if cls == 1 else 64
    shentsize = 40 if cls == 1 else 64
    str_off = ehsize
    dyn_off = str_off + len(strtab)
    sh_off = dyn_off + len(dyn)
    shfmt = e + ("IIIIIIIIII" if cls == 1 else "IIQQQQIIQQ")
    null = struct.pack(shfmt, *([0] * 10))
    s_str = struct.pack(shfmt, 0, 3, 0, 0, str_off, len(strtab), 0, 0, 1, 0)
    s_dyn = struct.pack(shfmt, 0, 6, 0, 0, dyn_off, len(dyn), 1, 0, 4, struct.calcsize(dfmt))
    ident = b"\x7fELF" + bytes((cls, 2 if big_endian else 1, 1)) + bytes(9)
    if cls == 1:
        head = ident + struct.pack(e + "HHIIIIIHHHHHH", 3, 3, 1, 0, 0, sh_off, 0, ehsize, 0, 0,
                                   shentsize, 3, 0)
    else:
        head = ident + struct.pack(e + "HHIQQQIHHHHHH", 3, 62, 1, 0, 0, sh_off, 0, ehsize, 0, 0,
                                   shentsize, 3, 0)
    assert len(head) == ehsize
    return head + strtab + dyn + null + s_str + s_dyn


@pytest.mark.parametrize("cls", [1, 2])
@pytest.mark.parametrize("big", [False, True])
def test_crafted_files_give_their_needed_libraries(cls, big):
    libs = ["libc.so.6", "libz.so.1", "libexpat.so.1"]
    assert elf.needed(craft(cls, libs, big)) == libs


def test_static_and_non_elf_files():
    assert elf.needed(craft(1, [])) == []
    assert elf.needed(b"#!/bin/sh\necho not elf\n" + bytes(60)) is None
    assert elf.needed(b"\x7fELF") is None                   # truncated


def test_real_binaries_agree_with_readelf():
    need(shutil.which("readelf") is not None, "readelf (binutils) not installed")
    for path in (sys.executable, shutil.which("ls"), shutil.which("tar")):
        out = subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout
        want = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
        with open(path, "rb") as fh:
            assert elf.needed(fh.read()) == want, path
