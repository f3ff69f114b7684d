"""The cross compiler of the userland: the clang + musl that the ziglang wheel ships.

`zig cc -target x86-linux-musl -mcpu=<cpu>` compiles and links static i386 programs for one
CPU model (i486 here: no CMOV, no CMPXCHG8B, no RDTSC in the code it emits), and builds
musl itself for that CPU on first use (60-90 s, kept in zig's cache inside ours). The wheel
is installed once into the per-user cache (pip --target), pinned, so a fresh clone reuses it.

The wrapper scripts (cc, ar, ranlib) are what the packages' own build systems are given. cc
drops the linker flags zig's linker (lld) rejects (busybox's trylink asks for a link map
and --warn-common): the packages' sources stay as Debian ships them.
"""
from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict

from firmware.cross import cache
from firmware.image.errors import ImageError

ZIG_VERSION = "0.15.2"
TARGET = "x86-linux-musl"
# Linker flags lld does not take; dropped by the cc wrapper (each with its argument when the
# value is separate).
DROPPED = ("-Wl,--warn-common", "-Wl,--verbose", "-Wl,--sort-common",
           "-Wl,--sort-section,alignment")
CC_WRAPPER = """#!/bin/sh
# lvslite cross cc (firmware/cross/toolchain.py): zig cc for {cpu}, musl, static
for a in "$@"; do
  shift
  case "$a" in
  {dropped}) continue ;;
  -Wl,-Map,*|-Wl,-Map=*) continue ;;
  esac
  set -- "$@" "$a"
done
exec "{zig}" cc -target {target} -mcpu={cpu} "$@"
"""


@dataclass
class Toolchain:
    cpu: str
    zig: Path
    bin: Path            # cc, ar, ranlib wrappers

    @property
    def cc(self) -> str:
        return str(self.bin / "cc")

    def env(self) -> Dict[str, str]:
        zc = str(cache.entry("zig-cache", ""))
        return {"ZIG_GLOBAL_CACHE_DIR": zc, "ZIG_LOCAL_CACHE_DIR": zc,
                "CC": self.cc, "AR": str(self.bin / "ar"), "RANLIB": str(self.bin / "ranlib"),
                "STRIP": "strip", "PKG_CONFIG_LIBDIR": "", "PKG_CONFIG_PATH": "",
                "SOURCE_DATE_EPOCH": "0"}

    def version(self) -> str:
        return f"zig {ZIG_VERSION} {TARGET} -mcpu={self.cpu}"


def zig() -> Path:
    """The zig binary of the pinned ziglang wheel, installed once into the cache."""
    dest = cache.entry("tools", f"ziglang-{ZIG_VERSION}")
    exe = dest / "ziglang" / "zig"
    if exe.is_file():
        return exe
    part = cache.start(dest)
    p = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                        "--target", str(part), f"ziglang=={ZIG_VERSION}"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if p.returncode != 0 or not (part / "ziglang" / "zig").is_file():
        raise ImageError(f"could not install ziglang=={ZIG_VERSION} from PyPI (pip exited "
                         f"{p.returncode}):\n{p.stdout[-2000:]}")
    cache.finish(part, dest)
    return exe


def toolchain(cpu: str) -> Toolchain:
    z = zig()
    bindir = cache.entry("tools", f"cc-{ZIG_VERSION}-{cpu}")
    bindir.mkdir(parents=True, exist_ok=True)
    scripts = {
        "cc": CC_WRAPPER.format(cpu=cpu, zig=z, target=TARGET, dropped="|".join(DROPPED)),
        "ar": f'#!/bin/sh\nexec "{z}" ar "$@"\n',
        "ranlib": f'#!/bin/sh\nexec "{z}" ranlib "$@"\n',
    }
    for name, text in scripts.items():
        f = bindir / name
        if not f.is_file() or f.read_text() != text:
            f.write_text(text)
            f.chmod(0o755)
    return Toolchain(cpu, z, bindir)


def build_env(tc: Toolchain) -> Dict[str, str]:
    env = dict(os.environ, **tc.env())
    env["LC_ALL"] = "C"
    return env
