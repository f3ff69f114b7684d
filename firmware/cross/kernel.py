"""The Soekris kernels: Debian's linux-source-6.1, `make tinyconfig`, the board's fragments,
built with the host gcc for the board's CPU (MGEODEGX1 for the net4801, MELAN for the
net4501), one bzImage per board, everything built in (no modules, no initramfs).

Order: tinyconfig; merge board/common, the board's fragment and firmware/cross/linux.fragment
with the tree's own scripts/kconfig/merge_config.sh -m; olddefconfig; then the checker
(`python -m firmware check kernel-fragment --dotconfig`) proves every fragment line is in the
real .config before anything is compiled; then `make bzImage`. The result is cached under a
key of the source version, the fragments, the CPU and the host compiler; the O= build folder
stays in the cache too, so a changed fragment recompiles only what it touches.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List

from firmware.boards import Board
from firmware.cross import audit, cache, debian
from firmware.image.errors import ImageError

HERE = Path(__file__).resolve().parent
FIRMWARE = HERE.parent
PACKAGE = "linux-source-6.1"
ROUTE_FRAGMENT = HERE / "linux.fragment"
# Bump when the recipe below changes in a way that changes the kernel.
RECIPE = "2"


@dataclass
class Kernel:
    bzimage: Path
    config: Path
    release: str
    key: str
    seconds: float       # build time (0 when it came from the cache)


def fragments(board: Board) -> List[Path]:
    br = FIRMWARE / "buildroot/board"
    return [br / "common/linux.fragment", br / board.board_dir / "linux.fragment",
            ROUTE_FRAGMENT]


def source_tree(archive: debian.Archive, version: str) -> Path:
    """Debian's linux-source-6.1 tarball, unpacked once into the cache."""
    dest = cache.entry("src", f"{PACKAGE}_{version}")
    tree = dest / PACKAGE
    if (tree / "Makefile").is_file():
        return tree
    deb = archive.download(PACKAGE, version)
    part = cache.start(dest)
    debian.unpack_deb(deb, part / "deb")
    tar = part / "deb/usr/src" / f"{PACKAGE}.tar.xz"
    subprocess.run(["tar", "-xJf", str(tar), "-C", str(part)], check=True)
    shutil.rmtree(part / "deb")
    cache.finish(part, dest)
    return tree


def host_cc() -> str:
    return subprocess.run(["gcc", "--version"], capture_output=True, text=True,
                          check=True).stdout.splitlines()[0]


def build(board: Board, archive: debian.Archive, log: Callable[[str], None] = print,
          jobs: int = 2) -> Kernel:
    if not board.kernel_cpu:
        raise ImageError(f"{board.name}: no kernel_cpu in firmware/boards.json")
    version = archive.binary_version(PACKAGE)
    frags = fragments(board)
    k = cache.key([PACKAGE, version, board.arch, board.kernel_cpu, host_cc(), RECIPE, *frags])
    out = cache.entry("kernel", f"{board.name}-{k}")
    if (out / "bzImage").is_file():
        log(f"kernel: {board.name} from the cache ({out.name})")
        return Kernel(out / "bzImage", out / "config", (out / "release").read_text().strip(),
                      k, 0.0)
    tree = source_tree(archive, version)
    t0 = time.monotonic()
    bdir = cache.entry("build", f"linux-{board.name}")
    bdir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, KBUILD_BUILD_USER="lvslite", KBUILD_BUILD_HOST="lvslite",
               KBUILD_BUILD_TIMESTAMP=f"{PACKAGE} {version}", LC_ALL="C")
    mk = ["make", "-C", str(tree), f"O={bdir}", f"ARCH={board.arch}"]

    def run(cmd: List[str], what: str) -> str:
        p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, cwd=tree)
        if p.returncode != 0:
            tail = "\n".join(p.stdout.splitlines()[-25:])
            raise ImageError(f"kernel {board.name}: {what}: exited {p.returncode}:\n{tail}")
        return p.stdout

    log(f"kernel: {board.name}: {PACKAGE} {version}, tinyconfig + "
        f"{', '.join(str(f.relative_to(FIRMWARE)) for f in frags)}")
    run(mk + ["tinyconfig"], "make tinyconfig")
    run([str(tree / "scripts/kconfig/merge_config.sh"), "-m", "-O", str(bdir),
         str(bdir / ".config"), *map(str, frags)], "merge_config.sh")
    run(mk + ["olddefconfig"], "make olddefconfig")
    check = subprocess.run([sys.executable, "-m", "firmware", "check", "kernel-fragment",
                            "--dotconfig", str(bdir / ".config"), "--linux", str(tree),
                            "--arch", board.arch, *map(str, frags)],
                           cwd=FIRMWARE.parent, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    if check.returncode != 0:
        raise ImageError(f"kernel {board.name}: the fragments did not all take effect in the "
                         f"real .config (nothing compiled):\n{check.stdout}")
    log(f"kernel: {board.name}: every fragment line is in the .config; compiling (make "
        f"-j{jobs} bzImage, about 8 minutes on 2 cores)")
    run(mk + [f"-j{jobs}", "bzImage"], "make bzImage")
    release = run(mk + ["-s", "kernelrelease"], "make kernelrelease").strip().splitlines()[-1]
    # The kernel's own code against the board's CPU: no CMOV, SSE or long NOPs for a Pentium
    # (it probes CPUID and RDTSC itself, so those are not counted: userland=False).
    seen, found = audit.audit([bdir / "vmlinux"], board.isa, userland=False)
    verdict = audit.report(seen, found, board.isa)
    log(f"kernel: {board.name}: vmlinux {verdict}")
    if found:
        raise ImageError(f"kernel {board.name}: vmlinux has instructions a {board.isa} "
                         f"lacks:\n{verdict}")
    part = cache.start(out)
    shutil.copy2(bdir / "arch/x86/boot/bzImage", part / "bzImage")
    shutil.copy2(bdir / ".config", part / "config")
    (part / "audit.txt").write_text(verdict + "\n")
    (part / "seconds").write_text(f"{time.monotonic() - t0:.0f}\n")    # for image-bench
    if (bdir / "modules.builtin").is_file():
        shutil.copy2(bdir / "modules.builtin", part / "modules.builtin")
    (part / "release").write_text(release + "\n")
    cache.finish(part, out)
    cache.prune(out.parent, f"{board.name}-", out.name)
    secs = time.monotonic() - t0
    log(f"kernel: {board.name}: {release}, bzImage {(out / 'bzImage').stat().st_size} bytes, "
        f"{secs:.0f} s")
    return Kernel(out / "bzImage", out / "config", release, k, secs)
