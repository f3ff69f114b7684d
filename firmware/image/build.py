"""Stage 2: from the cached Debian root to the card image (out/image/lvslite-i386.img).

Steps, in order: unpack the root; put in the kernel modules the boards and the director need
(and nothing else); install the agent and byte-compile it with the target's python3; drop
package management, perl, docs and the standard library the agent does not import; apply
overlay/; prove the result runs (every ELF finds its libraries, every lvslite module imports,
`lvslite check` passes on the default config, inside a chroot of the target); pack the root
as squashfs; make a tiny initramfs that mounts it; make the FAT boot partition (syslinux) and
the FAT /cfg partition; lay out the MBR. Boundary: writes only under the work and output
folders it is given; needs root (chroot, device nodes) and the host tools of `make
image-prereqs`.
"""
from __future__ import annotations

import gzip
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from firmware.image import apt, boot, config, cpio, elf, kmods, mbr, prune
from firmware.image import root as rootstage
from firmware.image.errors import ImageError

HERE = Path(__file__).resolve().parent
SYSLINUX_MBR = Path("/usr/lib/syslinux/mbr/mbr.bin")
SITE = "usr/lib/python3/dist-packages"
STDLIB = f"usr/lib/{config.PYTHON}"
LIB_DIRS = ("usr/lib/i386-linux-gnu", "lib/i386-linux-gnu", "usr/lib", "lib")
OPTIONAL_IMPORTS = ("psutil", "ujson")      # the agent's optional extras (docs/design.md#rules)
NOT_APPLETS = {"linuxrc", "dpkg", "dpkg-deb", "rpm", "rpm2cpio"}
WRAPPER = ("#!/usr/bin/python3 -I\n"
           "# lvslite: the agent's command line (installed by firmware/image/build.py)\n"
           "import sys\n"
           "from lvslite.cli import main\n"
           "sys.exit(main())\n")


@dataclass
class Options:
    repo: Path                          # the checkout: lvslite/, overlay/
    out: Path                           # out/image
    cache: Path                         # .cache/image
    baud: int = config.DEFAULT_BAUD
    append: Sequence[str] = ()
    mirror: Optional[str] = None      # None: the build machine's apt sources (apt.py)
    suite: str = config.SUITE
    keep_work: bool = False


@dataclass
class Result:
    image: Path
    image_bytes: int
    squashfs_bytes: int
    root_bytes: int
    initrd_bytes: int
    kernel: str
    partitions: List[mbr.Partition]
    cmdline: str
    seconds: float


def run(cmd: Sequence[str], what: str, env: Optional[Dict[str, str]] = None,
        cwd: Optional[Path] = None) -> str:
    proc = subprocess.run(list(cmd), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=env, cwd=cwd)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-20:])
        raise ImageError(f"{what}: `{' '.join(cmd)}` exited {proc.returncode}:\n{tail}")
    return proc.stdout


def in_root(root: Path, *cmd: str, what: str) -> str:
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8"}
    return run(["chroot", str(root), *cmd], what, env=env)


def resolve(root: Path, rel: str, depth: int = 0) -> Optional[Path]:
    """`rel` inside `root`, following symlinks as the target would (absolute ones stay in
    the root); None when it leads nowhere."""
    if depth > 40:
        return None
    parts = [p for p in rel.split("/") if p and p != "."]
    cur = root
    for i, part in enumerate(parts):
        if part == "..":
            cur = cur.parent if cur != root else root
            continue
        nxt = cur / part
        if nxt.is_symlink():
            target = os.readlink(nxt)
            base = "" if target.startswith("/") else str(cur.relative_to(root))
            rest = "/".join(parts[i + 1:])
            return resolve(root, "/".join(x for x in (base, target.lstrip("/"), rest) if x),
                           depth + 1)
        if not nxt.exists():
            return None
        cur = nxt
    return cur


# ------------------------------------------------------------------ steps

def unpack(tar: Path, root: Path) -> None:
    root.mkdir(parents=True)
    run(["tar", "-C", str(root), "--numeric-owner", "-xpf", str(tar)], "unpacking the root")


def kernel(deb: Path, work: Path, root: Path, log) -> tuple:
    """Extract the kernel package, copy the wanted modules into the root; (version, vmlinuz,
    boot module paths in load order)."""
    kdir = work / "kernel"
    run(["dpkg-deb", "-x", str(deb), str(kdir)], "extracting the kernel package")
    versions = sorted(p.name for p in (kdir / "lib/modules").iterdir())
    if len(versions) != 1:
        raise ImageError(f"kernel package {deb.name}: expected one module tree, found {versions}")
    ver = versions[0]
    run(["depmod", "-b", str(kdir), ver], "depmod on the kernel package")
    src = kdir / "lib/modules" / ver
    dep = kmods.parse_dep((src / "modules.dep").read_text())
    soft = kmods.parse_softdep((src / "modules.softdep").read_text())
    alias = kmods.parse_alias((src / "modules.alias").read_text())
    order, missing = kmods.resolve(dep, config.ROOT_MODULES, soft, alias)
    bad = kmods.missing_required(missing, config.ROOT_REQUIRED)
    if bad:
        raise ImageError(f"kernel {ver}: required modules missing: {', '.join(bad)} "
                         "(config.ROOT_REQUIRED; is this a different kernel flavour?)")
    if missing:
        log(f"kernel: {ver} has no {', '.join(missing)} (optional, skipped)")
    dst = resolve(root, "lib/modules") or (root / "usr/lib/modules")
    dst = dst / ver
    for rel in order:
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src / rel, dst / rel)
    for f in ("modules.builtin", "modules.builtin.modinfo", "modules.order"):
        if (src / f).exists():
            shutil.copy2(src / f, dst / f)
    run(["depmod", "-b", str(root), ver], "depmod in the root")
    boot_order, _ = kmods.resolve(dep, config.BOOT_MODULES, soft, alias)
    log(f"kernel: {ver}, {len(order)} modules in the root, {len(boot_order)} in the initramfs")
    return ver, kdir / "boot" / f"vmlinuz-{ver}", boot_order


def package_versions(root: Path) -> str:
    lines, pkg = [], None
    status = root / "var/lib/dpkg/status"
    for line in status.read_text().splitlines():
        if line.startswith("Package: "):
            pkg = line[9:]
        elif line.startswith("Version: ") and pkg:
            lines.append(f"{pkg} {line[9:]}")
    return "\n".join(sorted(lines)) + "\n"


def drop_packages(root: Path, log) -> int:
    info = root / "var/lib/dpkg/info"
    n = 0
    for pkg in config.DROP_PACKAGES:
        lst = next((info / f for f in (f"{pkg}.list", f"{pkg}:{config.ARCH}.list")
                    if (info / f).exists()), None)
        if lst is None:
            log(f"prune: package {pkg} is not in the root (nothing to drop)")
            continue
        for rel in prune.package_paths(lst.read_text()):
            p = root / rel
            if p.is_dir():          # folders (and /bin -> usr/bin on merged /usr) stay
                continue
            if p.is_symlink() or p.is_file():
                p.unlink()
                n += 1
    return n


def drop_paths(root: Path) -> int:
    n = 0
    for d in config.DROP_PATHS:
        top = root / d.rstrip("/")
        if top.is_symlink() or top.is_file():
            top.unlink()
            n += 1
            continue
        if not top.is_dir():
            continue
        for dirpath, dirnames, files in os.walk(top, topdown=False):
            for f in files:
                rel = os.path.relpath(os.path.join(dirpath, f), root)
                if prune.dropped(rel, config.DROP_PATHS, config.KEEP_PATHS):
                    os.unlink(os.path.join(dirpath, f))
                    n += 1
            for dn in dirnames:
                full = os.path.join(dirpath, dn)
                if os.path.islink(full):
                    os.unlink(full)
                elif not os.listdir(full):
                    os.rmdir(full)
        if top.is_dir() and not any(top.iterdir()) and d != "var/":
            top.rmdir()
    return n


def busybox_applets(root: Path) -> int:
    """Link every busybox applet that no Debian package provides (init, syslogd, logread,
    reboot, sysctl, httpd, ...) to /bin/busybox, as Buildroot's busybox install does."""
    n = 0
    have = set()
    for d in ("usr/bin", "usr/sbin", "bin", "sbin"):
        p = resolve(root, d)
        if p is not None:
            have.update(os.listdir(p))
    for path in in_root(root, "/bin/busybox", "--list-full", what="busybox applets").split():
        name = path.rsplit("/", 1)[-1]
        if name in have or name in NOT_APPLETS:
            continue
        folder = resolve(root, path.rsplit("/", 1)[0]) if "/" in path else None
        if folder is None:
            continue
        os.symlink("/bin/busybox", folder / name)
        have.add(name)
        n += 1
    return n


def check_agent_imports(repo: Path) -> None:
    """The agent must not import what the image drops (config.PYTHON_EXCLUDE)."""
    bad = []
    excluded = set(config.PYTHON_EXCLUDE)
    for src in sorted((repo / "lvslite").rglob("*.py")):
        for name in sorted(prune.imported_names(src.read_text()) & excluded):
            bad.append(f"{src.relative_to(repo)} imports {name}")
    if bad:
        raise ImageError("the agent imports modules the image leaves out; take them out of "
                         "config.PYTHON_EXCLUDE or change the agent:\n" + "\n".join(bad))


def install_agent(repo: Path, root: Path) -> int:
    site = root / SITE
    dst = site / "lvslite"
    shutil.rmtree(dst, ignore_errors=True)
    n = 0
    for src in sorted((repo / "lvslite").rglob("*.py")):
        rel = src.relative_to(repo / "lvslite")
        if "__pycache__" in rel.parts:
            continue
        (dst / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dst / rel)
        n += 1
    wrapper = root / "usr/bin/lvslite"
    wrapper.write_text(WRAPPER)
    wrapper.chmod(0o755)
    return n


def compile_python(root: Path) -> None:
    in_root(root, "/usr/bin/python3", "-I", "-m", "compileall", "-q", "-j", "1",
            f"/{STDLIB}", f"/{SITE}/lvslite", what="byte-compiling with the target's python3")


def prune_python(root: Path, log) -> int:
    tmp = root / "tmp/pyclosure.py"
    shutil.copy2(HERE / "pyclosure.py", tmp)
    out = in_root(root, "/usr/bin/python3", "-I", "/tmp/pyclosure.py", f"/{SITE}/lvslite",
                  ",".join(config.PYTHON_ALWAYS), ",".join(config.PYTHON_EXCLUDE),
                  what="finding the modules the agent imports")
    tmp.unlink()
    keep = set()
    for line in out.splitlines():
        line = line.strip().lstrip("/")
        if line.startswith(STDLIB + "/"):
            keep.add(line)
    top = root / STDLIB
    files = []
    for dirpath, _, names in os.walk(top):
        for f in names:
            full = os.path.join(dirpath, f)
            if not os.path.islink(full):
                files.append(os.path.relpath(full, root))
    drop = prune.python_drop(files, keep, "cpython-" + config.PYTHON[6:].replace(".", ""))
    for rel in drop:
        os.unlink(root / rel)
    for dirpath, dirnames, names in os.walk(top, topdown=False):
        if dirpath != str(top) and not os.listdir(dirpath):
            os.rmdir(dirpath)
    log(f"python: kept {len(keep)} standard library modules, dropped {len(drop)} files")
    return len(drop)


def apply_overlay(repo: Path, root: Path) -> int:
    src = repo / "overlay"
    n = 0
    for dirpath, dirnames, files in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        dst_dir = resolve(root, rel) if rel != "." else root
        if dst_dir is None:
            dst_dir = root / rel
            dst_dir.mkdir(parents=True)
        for name in files + [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]:
            s, d = os.path.join(dirpath, name), dst_dir / name
            if d.is_symlink() or d.is_file():
                d.unlink()
            if os.path.islink(s):
                os.symlink(os.readlink(s), d)
            else:
                shutil.copy2(s, d)
            n += 1
    return n


def finish_root(root: Path, opts: Options, versions: str, ver: str) -> None:
    (root / "cfg").mkdir(exist_ok=True)
    (root / "var").mkdir(exist_ok=True)
    share = root / "usr/share/lvslite"
    share.mkdir(parents=True, exist_ok=True)
    (share / "packages.txt").write_text(versions)
    rev = subprocess.run(["git", "-C", str(opts.repo), "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip() or "unknown"
    (root / "etc/lvslite-release").write_text(
        f"flavour=debian-{config.SUITE}-{config.ARCH}\nkernel={ver}\nsource={rev}\n"
        f"built={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}\n")
    for f in ("etc/hostname.dpkg-new", "etc/machine-id"):
        (root / f).unlink(missing_ok=True)


def check_libraries(root: Path) -> List[str]:
    """'<file>: needs <lib> (not in the image)' for every ELF file whose library is missing."""
    dirs = [p for p in (resolve(root, d) for d in LIB_DIRS) if p is not None]
    problems = []
    for dirpath, _, files in os.walk(root):
        for f in files:
            full = os.path.join(dirpath, f)
            if os.path.islink(full) or not os.path.isfile(full):
                continue
            with open(full, "rb") as fh:
                head = fh.read(4)
                if not elf.is_elf(head):
                    continue
                names = elf.needed(head + fh.read())
            for lib in names or []:
                if not any((d / lib).exists() for d in dirs + [Path(dirpath)]):
                    problems.append(f"/{os.path.relpath(full, root)}: needs {lib} "
                                    "(not in the image)")
    return problems


# What the Debian root must hold once pruned (busybox applets, Debian packages, overlay/)
NEEDED = ("sbin/init", "bin/busybox", "usr/bin/python3", "usr/bin/ip", "usr/bin/lvslite",
          "sbin/modprobe", "sbin/ipvsadm", "sbin/syslogd", "sbin/logread",
          "usr/sbin/lvslite-supervise", "etc/inittab", "etc/init.d/rcS")


def check_agent(root: Path, needed: Sequence[str] = NEEDED) -> None:
    site = root / SITE
    mods = []
    for p in sorted((site / "lvslite").rglob("*.py")):
        rel = p.relative_to(site).with_suffix("")
        name = ".".join(rel.parts)
        if name.endswith(".__main__"):
            continue                    # importing it would run the command line
        mods.append(name[:-9] if name.endswith(".__init__") else name)
    script = ("import importlib, sys\nbad = []\n"
              f"for m in {mods!r}:\n"
              "    try:\n        importlib.import_module(m)\n"
              "    except ImportError as e:\n"
              f"        if getattr(e, 'name', None) not in {OPTIONAL_IMPORTS!r}:\n"
              "            bad.append(f'{m}: {e}')\n"
              "print('\\n'.join(bad)); sys.exit(1 if bad else 0)\n")
    in_root(root, "/usr/bin/python3", "-I", "-c", script,
            what="importing every lvslite module in the pruned root")
    in_root(root, "/usr/bin/lvslite", "--help", what="lvslite --help in the image")
    for cfg in ("lvslite.json", "example.json"):
        in_root(root, "/usr/bin/lvslite", "check", "-c", f"/usr/share/lvslite/{cfg}",
                what=f"lvslite check of /usr/share/lvslite/{cfg} in the image")
    for need in needed:
        if resolve(root, need) is None:
            raise ImageError(f"the image has no /{need} (expected from busybox, Debian or "
                             "overlay/)")


def squashfs(root: Path, out: Path) -> int:
    out.unlink(missing_ok=True)
    # xz with the x86 branch filter (docs/reference/firmware.md#buildroot-symbols, SQUASHFS_EXTREME_COMP); 128 KiB
    # blocks, squashfs' default: its read cache is a few blocks, small beside 128 MB.
    run(["mksquashfs", str(root), str(out), "-comp", "xz", "-Xbcj", "x86", "-b", "128K",
         "-noappend", "-all-root", "-no-xattrs", "-no-progress", "-quiet"],
        "packing the root as squashfs")
    return out.stat().st_size


def initramfs(root: Path, ver: str, boot_order: Sequence[str], out: Path) -> int:
    entries = [cpio.directory(d) for d in ("bin", "dev", "proc", "sys", "newroot", "etc",
                                           "lib", "lib/modules")]
    entries.append(cpio.chardev("dev/console", 5, 1))
    entries.append(cpio.file("init", (HERE / "initramfs-init").read_bytes(), 0o755))
    busybox = resolve(root, "bin/busybox")
    entries.append(cpio.file("bin/busybox", busybox.read_bytes(), 0o755))
    findpart = resolve(root, "usr/libexec/lvslite/findpart")
    entries.append(cpio.file("bin/findpart", findpart.read_bytes(), 0o755))
    mdir = resolve(root, f"lib/modules/{ver}")
    made = set()
    for rel in boot_order:
        parts = f"lib/modules/{ver}/{rel}".split("/")[:-1]
        for i in range(3, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in made:
                made.add(d)
                entries.append(cpio.directory(d))
        entries.append(cpio.file(f"lib/modules/{ver}/{rel}", (mdir / rel).read_bytes()))
    order = "".join(f"{ver}/{rel}\n" for rel in boot_order)
    entries.append(cpio.file("etc/modules.order", order.encode()))
    data = gzip.compress(cpio.archive(entries), compresslevel=9, mtime=0)
    out.write_bytes(data)
    return len(data)


def fat(path: Path, size: int, label: str, fat_bits: Optional[int], files: Dict[str, Path],
        volume_id: str) -> None:
    path.unlink(missing_ok=True)
    with open(path, "wb") as fh:
        fh.truncate(size)
    cmd = ["mkfs.vfat", "-n", label, "-i", volume_id]
    if fat_bits:
        cmd += ["-F", str(fat_bits)]
    run(cmd + [str(path)], f"making the {label} FAT filesystem")
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for dest, src in files.items():
        if "/" in dest.strip("/"):
            run(["mmd", "-D", "s", "-i", str(path), "::/" + dest.strip("/").rsplit("/", 1)[0]],
                f"making a folder on {label}", env=env)
        run(["mcopy", "-o", "-i", str(path), str(src), "::/" + dest.strip("/")],
            f"copying {dest} onto {label}", env=env)


def assemble(parts: List[mbr.Partition], images: Dict[str, Path], out: Path) -> int:
    size = mbr.disk_size(parts)
    tmp = out.with_name(out.name + ".part")
    with open(tmp, "wb") as fh:
        fh.truncate(size)
        code = SYSLINUX_MBR.read_bytes()[:440]
        fh.seek(0)
        fh.write(code + mbr.table(parts, config.DISK_SIGNATURE))
        for p in parts:
            src = images[p.name]
            if src.stat().st_size > p.size:
                raise ImageError(f"partition {p.name}: {src.name} is {src.stat().st_size} "
                                 f"bytes, the partition {p.size}")
            fh.seek(p.start)
            with open(src, "rb") as s:
                shutil.copyfileobj(s, fh, 1 << 20)
        fh.flush()
        os.fsync(fh.fileno())
    tmp.rename(out)
    return size


def check_host() -> None:
    missing = [t for t in ("mksquashfs", "mkfs.vfat", "mcopy", "mmd", "syslinux", "depmod",
                           "dpkg-deb", "chroot", "tar") if shutil.which(t) is None]
    if not SYSLINUX_MBR.exists():
        missing.append(str(SYSLINUX_MBR))
    if missing:
        raise ImageError(f"host tools missing: {', '.join(missing)} (`make image-prereqs` "
                         "installs squashfs-tools syslinux syslinux-common mtools dosfstools "
                         "kmod as root)")
    if os.geteuid() != 0:
        raise ImageError("building the image needs root (chroot into the target, device "
                         "nodes in the root); run make image as root")


def build(opts: Options, log: Callable[[str], None] = print) -> Result:
    t0 = time.monotonic()
    cmd = boot.cmdline(opts.baud, opts.append)      # fail early on a bad speed or argument
    check_host()
    check_agent_imports(opts.repo)
    mirror = opts.mirror or apt.archive()
    if not mirror:
        raise ImageError(f"no Debian archive: none of {apt.ETC_APT}/sources.list, "
                         "sources.list.d/*.list or *.sources has a `deb` source with the main "
                         "component; give one with make image MIRROR=URI (--mirror URI)")
    base = rootstage.ensure(opts.cache, log, mirror, opts.suite)
    opts.out.mkdir(parents=True, exist_ok=True)
    work = opts.out / "work"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir()
    root = work / "root"
    try:
        unpack(base.tar, root)
        ver, vmlinuz, boot_order = kernel(base.kernel_deb, work, root, log)
        versions = package_versions(root)
        n = drop_packages(root, log)
        log(f"prune: {n} files of {len(config.DROP_PACKAGES)} packages dropped")
        log(f"prune: {drop_paths(root)} files under {len(config.DROP_PATHS)} paths dropped")
        log(f"busybox: {busybox_applets(root)} applets linked")
        log(f"agent: {install_agent(opts.repo, root)} lvslite modules installed")
        compile_python(root)
        prune_python(root, log)
        log(f"overlay: {apply_overlay(opts.repo, root)} files applied")
        finish_root(root, opts, versions, ver)
        problems = check_libraries(root)
        if problems:
            raise ImageError("the pruned root is broken; keep these packages (config."
                             "DROP_PACKAGES) or drop the files that need them:\n"
                             + "\n".join(problems[:30]))
        check_agent(root)
        root_bytes = sum(os.lstat(os.path.join(d, f)).st_size
                         for d, _, fs in os.walk(root) for f in fs)
        sqfs = work / "root.sqfs"
        sq_bytes = squashfs(root, sqfs)
        log(f"squashfs: {root_bytes / 2**20:.1f} MiB of files -> {sq_bytes / 2**20:.1f} MiB")
        initrd = work / "initrd.gz"
        initrd_bytes = initramfs(root, ver, boot_order, initrd)
        (work / "syslinux.cfg").write_text(boot.syslinux_cfg(opts.baud, opts.append))
        fat(work / "boot.vfat", config.BOOT_SIZE, config.BOOT_LABEL, 16,
            {"vmlinuz": vmlinuz, "initrd.gz": initrd, "syslinux/syslinux.cfg":
             work / "syslinux.cfg"}, "4c56534c")
        run(["syslinux", "--install", "--directory", "/syslinux", str(work / "boot.vfat")],
            "installing syslinux on the boot partition")
        fat(work / "cfg.vfat", config.CFG_SIZE, config.CFG_LABEL, None,
            {"lvslite.json": root / "usr/share/lvslite/lvslite.json"}, "4c56534d")
        parts = mbr.layout([("boot", config.BOOT_SIZE, config.PART_TYPE["boot"], True),
                            ("root", sq_bytes, config.PART_TYPE["root"], False),
                            ("cfg", config.CFG_SIZE, config.PART_TYPE["cfg"], False)],
                           config.ALIGN)
        image = opts.out / config.IMAGE_NAME
        size = assemble(parts, {"boot": work / "boot.vfat", "root": sqfs,
                                "cfg": work / "cfg.vfat"}, image)
    finally:
        if not opts.keep_work:
            shutil.rmtree(work, ignore_errors=True)
    res = Result(image, size, sq_bytes, root_bytes, initrd_bytes, ver, parts, cmd,
                 time.monotonic() - t0)
    if size > config.CARD_BYTES:
        raise ImageError(f"the image is {size} bytes, more than a 256 MB card "
                         f"({config.CARD_BYTES} bytes)")
    manifest = {
        "image": image.name, "bytes": size, "squashfs_bytes": sq_bytes,
        "root_file_bytes": root_bytes, "initrd_bytes": initrd_bytes, "kernel": ver,
        "cmdline": cmd, "baud": opts.baud, "root_key": base.key,
        "partitions": [{"name": p.name, "start": p.start, "size": p.size, "type": p.type,
                        "active": p.active} for p in parts],
        "seconds": round(res.seconds, 1),
    }
    (opts.out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return res
