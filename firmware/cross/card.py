"""The cross route's card image for one Soekris board: kernel + musl userland + lvslite +
overlay/, on firmware/image's card (same MBR, partitions, syslinux.cfg template, overlay,
`lvslite save`).

Steps: the board's kernel (kernel.py, cached); the userland for the board's userland CPU
(userland.py, cached); a root folder with busybox and its applets, the static python3, the
standard library the agent can import (found by modulefinder, byte-compiled by the build
machine's python3.11 into usr/lib/python311.zip), lvslite, overlay/; proof that it runs (every
lvslite module imports and `lvslite check` passes, with the target's own python3 in a chroot:
static i386 programs run on the x86-64 build machine); the instruction audit of every ELF
file against the board's CPU (audit.py); then squashfs, FAT boot (syslinux, bzImage, no
initramfs: the drivers are built in) and FAT /cfg, laid out by firmware/image/mbr.py.
Output: out/image/<board>/lvslite-<board>.img and manifest.json beside it.
"""
from __future__ import annotations

import json
import os
import py_compile
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional

from firmware.boards import Board, boards
from firmware.cross import audit, debian, kernel, toolchain, userland
from firmware.image import boot, build as imgbuild, config, mbr
from firmware.image.errors import ImageError

HERE = Path(__file__).resolve().parent
ROUTE = "cross"
SITE = imgbuild.SITE                       # usr/lib/python3/dist-packages (Debian's layout)
STDLIB_ZIP = "usr/lib/python311.zip"       # on sys.path by default, and getpath's landmark
LIB_DYNLOAD = "usr/lib/python3.11/lib-dynload"   # empty: the exec_prefix landmark (all built in)
KERNEL_NAME = "/bzImage"
DIRS = ("bin", "sbin", "usr/bin", "usr/sbin", "usr/lib", "lib", "dev", "proc", "sys", "tmp",
        "run", "var", "cfg", "root", "etc", "mnt")
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
# What the root must hold once built (busybox applets, the agent, overlay/)
NEEDED = ("sbin/init", "bin/busybox", "bin/sh", "usr/bin/python3", "usr/bin/lvslite",
          "sbin/ip", "sbin/modprobe", "sbin/syslogd", "sbin/logread", "usr/sbin/httpd",
          "usr/bin/unshare", "usr/bin/nsenter", "usr/sbin/lvslite-supervise",
          "etc/inittab", "etc/init.d/rcS", STDLIB_ZIP)


@dataclass
class Options:
    board: str
    repo: Path
    out: Path                                   # out/image/<board>
    mirror: Optional[str] = None
    refresh: bool = False                       # fetch the Debian package lists again
    jobs: int = 2
    keep_work: bool = False


def cross_boards() -> Dict[str, Board]:
    return {n: b for n, b in boards().items() if ROUTE in b.routes}


def stdlib_zip(lib: Path, repo: Path, dest: Path, host_python: str) -> int:
    """The standard library modules lvslite can import, byte-compiled, in one zip; the
    number of modules."""
    closure = HERE.parent / "image/pyclosure.py"
    runner = ("import runpy, sys\n"
              "sys.path[:] = [sys.argv[1], sys.argv[2]]\n"
              "sys.argv = [sys.argv[3]] + sys.argv[4:]\n"
              "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    out = subprocess.run([host_python, "-I", "-S", "-c", runner, str(lib), str(repo),
                          str(closure), str(repo / "lvslite"), ",".join(config.PYTHON_ALWAYS),
                          ",".join(config.PYTHON_EXCLUDE)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise ImageError(f"finding the modules lvslite imports: {out.stderr[-2000:]}")
    lib = lib.resolve()
    files = sorted(Path(p) for p in out.stdout.split() if Path(p).is_relative_to(lib))
    with tempfile.TemporaryDirectory() as tmp, \
            zipfile.ZipFile(dest, "w", zipfile.ZIP_STORED) as zf:
        for src in files:
            rel = src.relative_to(lib).as_posix()
            pyc = Path(tmp) / "m.pyc"
            py_compile.compile(str(src), cfile=str(pyc), dfile=rel, doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            info = zipfile.ZipInfo(rel + "c", date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            zf.writestr(info, pyc.read_bytes())
    return len(files)


def compile_agent(root: Path, host_python: str) -> None:
    site = root / SITE
    p = subprocess.run([host_python, "-I", "-m", "compileall", "-q", "-d", f"/{SITE}",
                        "--invalidation-mode", "unchecked-hash", str(site)],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise ImageError(f"byte-compiling lvslite: {p.stdout[-2000:]}{p.stderr[-2000:]}")


def make_root(root: Path, opts: Options, bb: Path, py: Path, lib: Path, release: str,
              builtin: Optional[Path], log) -> None:
    for d in DIRS + (LIB_DYNLOAD,):
        (root / d).mkdir(parents=True, exist_ok=True)
    shutil.copy2(bb, root / "bin/busybox")
    shutil.copy2(py, root / "usr/bin/python3")
    for f in ("bin/busybox", "usr/bin/python3"):
        (root / f).chmod(0o755)
    (root / "etc/passwd").write_text(PASSWD)
    (root / "etc/group").write_text(GROUP)
    os.symlink("/proc/mounts", root / "etc/mtab")
    log(f"busybox: {imgbuild.busybox_applets(root)} applets linked")
    mods = root / "lib/modules" / release
    mods.mkdir(parents=True)
    (mods / "modules.dep").write_text("")
    # modprobe of a built-in driver (overlay/etc/modules, the coldplug loop) succeeds
    (mods / "modules.builtin").write_text(builtin.read_text() if builtin else "")
    n = stdlib_zip(lib, opts.repo, root / STDLIB_ZIP, userland.HOST_PYTHON)
    log(f"python: {n} standard library modules in /{STDLIB_ZIP}")
    log(f"agent: {imgbuild.install_agent(opts.repo, root)} lvslite modules installed")
    compile_agent(root, userland.HOST_PYTHON)
    log(f"overlay: {imgbuild.apply_overlay(opts.repo, root)} files applied")
    (root / "usr/share/lvslite").mkdir(parents=True, exist_ok=True)
    rev = subprocess.run(["git", "-C", str(opts.repo), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip() or "unknown"
    (root / "etc/lvslite-release").write_text(
        f"flavour={ROUTE}-{opts.board}\nkernel={release}\nsource={rev}\n"
        f"built={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")


def check_root(root: Path) -> None:
    imgbuild.check_agent(root, NEEDED)
    # the interpreter finds its prefix and exec_prefix (else it warns on every start)
    said = imgbuild.in_root(root, "/usr/bin/python3", "-I", "-c", "pass",
                            what="python3 in the image")
    if said:
        raise ImageError(f"python3 in the image says: {said.strip()}")


def build(opts: Options, log: Callable[[str], None] = print) -> dict:
    t0 = time.monotonic()
    board = cross_boards().get(opts.board)
    if board is None:
        raise ImageError(f"board {opts.board!r}: the cross route builds "
                         f"{', '.join(cross_boards())} (firmware/boards.json)")
    cmd_args = ("quiet", *board.kernel_args)
    cfg = boot.render(board.console, KERNEL_NAME, None, cmd_args)
    imgbuild.check_agent_imports(opts.repo)
    archive = debian.Archive(opts.mirror, config.SUITE, opts.refresh)
    kern = kernel.build(board, archive, log, opts.jobs)
    tc = toolchain.toolchain(board.userland_cpu)
    zl = userland.zlib(tc, archive, log)
    bb = userland.busybox(tc, archive, log)
    py = userland.python(tc, archive, zl, log)
    opts.out.mkdir(parents=True, exist_ok=True)
    work = opts.out / "work"
    shutil.rmtree(work, ignore_errors=True)
    root = work / "root"
    root.mkdir(parents=True)
    try:
        make_root(root, opts, bb.path / "busybox", py.path / "python3",
                  userland.source_lib(archive, py.version), kern.release,
                  kern.config.parent / "modules.builtin"
                  if (kern.config.parent / "modules.builtin").exists() else None, log)
        check_root(root)
        seen, found = audit.audit([root], board.isa)
        log(audit.report(seen, found, board.isa))
        if found:
            raise ImageError(f"the root has instructions a {board.name} ({board.isa}) lacks")
        root_bytes = sum(os.lstat(os.path.join(d, f)).st_size
                         for d, _, fs in os.walk(root) for f in fs)
        sqfs = work / "root.sqfs"
        sq_bytes = imgbuild.squashfs(root, sqfs)
        log(f"squashfs: {root_bytes / 2**20:.1f} MiB of files -> {sq_bytes / 2**20:.1f} MiB")
        (work / "syslinux.cfg").write_text(cfg)
        imgbuild.fat(work / "boot.vfat", config.BOOT_SIZE, config.BOOT_LABEL, 16,
                     {KERNEL_NAME.lstrip("/"): kern.bzimage,
                      "syslinux/syslinux.cfg": work / "syslinux.cfg"}, "4c56534c")
        imgbuild.run(["syslinux", "--install", "--directory", "/syslinux",
                      str(work / "boot.vfat")], "installing syslinux on the boot partition")
        imgbuild.fat(work / "cfg.vfat", config.CFG_SIZE, config.CFG_LABEL, None,
                     {"lvslite.json": root / "usr/share/lvslite/lvslite.json"}, "4c56534d")
        parts = mbr.layout([("boot", config.BOOT_SIZE, config.PART_TYPE["boot"], True),
                            ("root", sq_bytes, config.PART_TYPE["root"], False),
                            ("cfg", config.CFG_SIZE, config.PART_TYPE["cfg"], False)],
                           config.ALIGN)
        image = opts.out / f"lvslite-{board.name}.img"
        size = imgbuild.assemble(parts, {"boot": work / "boot.vfat", "root": sqfs,
                                         "cfg": work / "cfg.vfat"}, image)
    finally:
        if not opts.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    seconds = time.monotonic() - t0
    cmdline = next(line.split(None, 1)[1] for line in cfg.splitlines()
                   if line.strip().startswith("APPEND ")).strip()
    manifest = {
        "image": image.name, "board": board.name, "route": ROUTE, "bytes": size,
        "squashfs_bytes": sq_bytes, "root_file_bytes": root_bytes,
        "kernel": kern.release, "kernel_bytes": kern.bzimage.stat().st_size,
        "cmdline": cmdline, "baud": board.console, "isa": board.isa,
        "userland_cpu": board.userland_cpu, "qemu_cpu": board.qemu_cpu,
        "qemu_mb": board.qemu_mb, "elf_files_audited": len(seen),
        "busybox_bytes": (bb.path / "busybox").stat().st_size,
        "python_bytes": (py.path / "python3").stat().st_size,
        "keys": {"kernel": kern.key, "zlib": zl.key, "busybox": bb.key, "python": py.key},
        # this build's time per part (0: from the cache) and each part's own first build
        "built_seconds": {"kernel": round(kern.seconds), "zlib": round(zl.seconds),
                          "busybox": round(bb.seconds), "python": round(py.seconds)},
        "cold_seconds": {name: cold_seconds(path) for name, path in (
            ("kernel", kern.bzimage.parent), ("zlib", zl.path), ("busybox", bb.path),
            ("python", py.path))},
        "partitions": [{"name": p.name, "start": p.start, "size": p.size, "type": p.type,
                        "active": p.active} for p in parts],
        "seconds": round(seconds, 1),
    }
    (opts.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"image: {image} ({size / 2**20:.1f} MiB, squashfs {sq_bytes / 2**20:.1f} MiB, "
        f"kernel {kern.release}), {seconds:.0f} s")
    return manifest


def cold_seconds(entry: Path) -> Optional[int]:
    f = entry / "seconds"
    return int(f.read_text()) if f.is_file() else None


def main_build(board: str, repo: Path, out: Path, mirror: Optional[str], refresh: bool,
               keep: bool) -> int:
    try:
        build(Options(board, repo, out, mirror, refresh, keep_work=keep))
    except ImageError as e:
        print(f"image: error: {e}", file=sys.stderr)
        return 1
    return 0
