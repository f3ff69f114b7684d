"""The userland of the cross route, from Debian's source packages, static against musl.

zlib (for CPython's zlib and binascii), busybox (Debian's busybox-static configuration plus
firmware/cross/busybox.config) and CPython (Debian's python3.11 tree, the modules of
firmware/cross/python-Setup.local built in, one static `python3`). Each is compiled by
toolchain.py's zig cc for one CPU and cached under a key of the source version, the recipe
files and the compiler, so a change to lvslite never rebuilds them. Builds run in a copy of
the cached source tree (cache/build/), never in the tree itself.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

from firmware.cross import cache, debian
from firmware.cross.toolchain import Toolchain, build_env
from firmware.image.errors import ImageError

HERE = Path(__file__).resolve().parent
BUSYBOX_CONFIG = HERE / "busybox.config"
PYTHON_SETUP = HERE / "python-Setup.local"
HOST_PYTHON = "python3.11"      # builds the target's frozen modules; same bytecode as 3.11.2
RECIPE = "1"                    # bump when a recipe below changes its output


@dataclass
class Built:
    path: Path          # the cache entry
    key: str
    seconds: float      # 0 when it came from the cache
    version: str


def _run(cmd: List[str], what: str, cwd: Path, env: Dict[str, str]) -> str:
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    if p.returncode != 0:
        tail = "\n".join(p.stdout.splitlines()[-30:])
        raise ImageError(f"{what}: `{' '.join(cmd)}` exited {p.returncode}:\n{tail}")
    return p.stdout


def _scratch(src: Path, name: str) -> Path:
    work = cache.entry("build", name)
    shutil.rmtree(work, ignore_errors=True)
    work.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, work, symlinks=True)
    return work


def _cached(kind: str, tc: Toolchain, parts: list, log, make: Callable[[Path, Path], None],
            version: str, probe: str) -> Built:
    k = cache.key([kind, version, tc.version(), RECIPE, *parts])
    out = cache.entry("userland", f"{kind}-{tc.cpu}-{k}")
    if (out / probe).exists():
        log(f"{kind}: {version} for {tc.cpu} from the cache ({out.name})")
        return Built(out, k, 0.0, version)
    t0 = time.monotonic()
    part = cache.start(out)
    make(part, cache.entry("build", f"{kind}-{tc.cpu}"))
    (part / "seconds").write_text(f"{time.monotonic() - t0:.0f}\n")     # for image-bench
    cache.finish(part, out)
    cache.prune(out.parent, f"{kind}-{tc.cpu}-", out.name)
    secs = time.monotonic() - t0
    log(f"{kind}: {version} for {tc.cpu} built in {secs:.0f} s")
    return Built(out, k, secs, version)


def zlib(tc: Toolchain, archive: debian.Archive, log=print) -> Built:
    version = archive.source_version("zlib")

    def make(out: Path, work: Path) -> None:
        w = _scratch(archive.source("zlib", version), work.name)
        env = build_env(tc)
        env["CFLAGS"] = "-Os"
        _run(["./configure", "--static", f"--prefix={out}"], "zlib configure", w, env)
        _run(["make", "-j2", "libz.a"], "zlib make", w, env)
        _run(["make", "install"], "zlib install", w, env)
        shutil.rmtree(w)
    return _cached("zlib", tc, [], log, make, version, "lib/libz.a")


def merge_config(base: str, override: str) -> str:
    """A kconfig .config with `override`'s assignments (and `# X is not set`) replacing the
    base's lines for the same symbols; new symbols appended."""
    sym = re.compile(r"^(?:# )?(CONFIG_[A-Za-z0-9_]+)(?:=| is not set)")
    wanted: Dict[str, str] = {}
    for line in override.splitlines():
        m = sym.match(line.strip())
        if m and (line.startswith("CONFIG_") or line.endswith(" is not set")):
            wanted[m.group(1)] = line.strip()
    out, seen = [], set()
    for line in base.splitlines():
        m = sym.match(line)
        if m and m.group(1) in wanted:
            out.append(wanted[m.group(1)])
            seen.add(m.group(1))
        else:
            out.append(line)
    out += [v for s, v in wanted.items() if s not in seen]
    return "\n".join(out) + "\n"


def busybox(tc: Toolchain, archive: debian.Archive, log=print) -> Built:
    version = archive.source_version("busybox")

    def make(out: Path, work: Path) -> None:
        w = _scratch(archive.source("busybox", version), work.name)
        env = build_env(tc)
        base = (w / "debian/config/os/linux").read_text() + \
            (w / "debian/config/pkg/static").read_text()
        (w / ".config").write_text(merge_config(base, BUSYBOX_CONFIG.read_text()))
        # clang warns on every FAST_FUNC (stdcall) variadic declaration: quieted, not changed
        mk = ["make", f"CC={tc.cc}", "HOSTCC=gcc", f"AR={tc.bin / 'ar'}", "STRIP=strip",
              "KCONFIG_NOTIMESTAMP=1", "EXTRA_CFLAGS=-Wno-ignored-attributes"]
        p = subprocess.run(mk + ["oldconfig"], cwd=w, env=env, input="\n" * 2000,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if p.returncode != 0:
            raise ImageError(f"busybox oldconfig exited {p.returncode}:\n{p.stdout[-3000:]}")
        _run(mk + ["-j2", "busybox"], "busybox make", w, env)
        shutil.copy2(w / "busybox", out / "busybox")
        shutil.copy2(w / ".config", out / "config")
        shutil.rmtree(w)
    return _cached("busybox", tc, [BUSYBOX_CONFIG, "-Wno-ignored-attributes"], log, make,
                   version, "busybox")


def python(tc: Toolchain, archive: debian.Archive, zl: Built, log=print) -> Built:
    version = archive.source_version("python3.11")
    host = shutil.which(HOST_PYTHON)
    if host is None:
        raise ImageError(f"{HOST_PYTHON} not found on the build machine: CPython's cross build "
                         "needs the same version to freeze its modules (apt-get install "
                         "python3.11)")

    def make(out: Path, work: Path) -> None:
        w = _scratch(archive.source("python3.11", version), work.name)
        env = build_env(tc)
        env.update({
            "CFLAGS": "-Os -Wno-error=date-time -Wno-date-time",
            "LDFLAGS": "-static", "LINKFORSHARED": " ",
            "READELF": shutil.which("readelf") or "/usr/bin/readelf",
            "CONFIG_SITE": str(w / "config.site"),
        })
        (w / "config.site").write_text(
            "ac_cv_file__dev_ptmx=yes\nac_cv_file__dev_ptc=no\nac_cv_buggy_getaddrinfo=no\n")
        setup = PYTHON_SETUP.read_text().replace("@ZLIB@", str(zl.path))
        (w / "Modules/Setup.local").write_text(setup)
        _run(["./configure", "--host=i486-pc-linux-musl", "--build=x86_64-pc-linux-gnu",
              "--prefix=/usr", "--disable-shared", "--without-ensurepip",
              "--disable-test-modules", "--with-build-python=" + host,
              "--without-static-libpython", "--with-pymalloc"],
             "python configure", w, env)
        _run(["make", "-j2", "python"], "python make", w, env)
        shutil.copy2(w / "python", out / "python3")
        _run(["strip", str(out / "python3")], "strip python3", out, env)
        shutil.copy2(w / "Modules/config.c", out / "config.c")
        shutil.rmtree(w)
    host_version = subprocess.run([host, "-VV"], capture_output=True, text=True).stdout
    return _cached("python", tc, [PYTHON_SETUP, zl.key, host_version], log, make, version,
                   "python3")


def source_lib(archive: debian.Archive, version: Optional[str] = None) -> Path:
    """The standard library (Lib/) of the python3.11 source tree the interpreter came from."""
    return archive.source("python3.11", version) / "Lib"
