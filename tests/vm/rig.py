"""The emulator rig: boots a stock Debian kernel that has IPVS, with this host's root shared
read-only over 9p, and runs one command inside.

Why our own rig and not virtme-ng: we need a hard, bounded timeout, the whole console log
on failure, a writable folder for results and the command's exit status; a 60-line initramfs
gives all of that with nothing but qemu, kmod, cpio and busybox-static from Debian's archive.

Layout of the cache (ignored by git, made again by `prepare`):
    .cache/vm/<kver>/root/        the extracted linux-image .deb (boot/, lib/modules/)
    .cache/vm/<kver>/initrd.gz    busybox + the 9p/virtio modules + our /init
    .cache/vm/run/                per boot of a test session: the command script, results,
                                  console log (wiped at the start of the next session)
    .cache/vm/shell-*/            one per `rig.py run`, never wiped by a test session

Usable as a script: `python3 tests/vm/rig.py prepare` (what `make test` runs first) and
`python3 tests/vm/rig.py run -- CMD...` (a shell in the guest for debugging).
"""
from __future__ import annotations

import gzip
import os
import selectors
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("LVSLITE_VM_CACHE", REPO / ".cache" / "vm"))

# The one place the guest kernel is pinned. When Debian's archive moves to a new ABI, `prepare`
# falls back to whatever `linux-image-amd64` depends on and says so.
KERNEL_PACKAGE = "linux-image-6.1.0-56-amd64"

# Host packages the test suite needs (Debian names) and a file that proves each is there:
# the rig's own (qemu ... ipvsadm), then the tools the host tests call (sfdisk reads the image's
# partition table back, losetup/mkfs.ext2 make loop cards, readelf and openssl, unshare/setpriv
# for the ping namespace test). `make test` installs what is missing.
HOST_PACKAGES = {
    "qemu-system-x86": "/usr/bin/qemu-system-x86_64",
    "kmod": "/sbin/depmod",
    "iproute2": "/sbin/ip",
    "busybox-static": "/bin/busybox",
    "cpio": "/usr/bin/cpio",
    "ipvsadm": "/sbin/ipvsadm",
    "fdisk": "/sbin/sfdisk",
    "mount": "/sbin/losetup",
    "e2fsprogs": "/sbin/mkfs.ext2",
    "binutils": "/usr/bin/readelf",
    "openssl": "/usr/bin/openssl",
    "util-linux": "/usr/bin/setpriv",
    "keepalived": "/usr/sbin/keepalived",
    "ldirectord": "/usr/sbin/ldirectord",
}

# What the initramfs must load to mount the host root over virtio-9p; dependencies are
# resolved from modules.dep, so this lists only the leaves.
INITRD_MODULES = ["virtio_pci", "9pnet_virtio", "9p", "overlay"]

# Kernel modules the guest loads before any test: IPVS, its schedulers, and the network
# pieces the namespace fixture uses.
GUEST_MODULES = ["ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_lc", "ip_vs_wlc", "ip_vs_sh",
                 "veth", "bridge", "ipip", "nf_conntrack"]

DEFAULT_TIMEOUT = 3600.0  # seconds for one whole boot (all guest tests, ~20-30 min under TCG on 2 busy cores); a hung guest is killed then


class RigError(Exception):
    """A prerequisite of the rig is missing or broken; the message says which and how to fix."""


def log(msg: str) -> None:
    print(f"rig: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- preparation

def missing_host_packages() -> list[str]:
    return [pkg for pkg, probe in HOST_PACKAGES.items() if not Path(probe).exists()]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, check=True, **kw)


def install_host_packages() -> None:
    missing = missing_host_packages()
    if not missing:
        return
    if os.geteuid() != 0:
        raise RigError(f"missing host packages {' '.join(missing)}: run as root, or "
                       f"apt-get install {' '.join(missing)}")
    log(f"installing {' '.join(missing)} from Debian's archive")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    _run(["apt-get", "update", "-qq"], env=env)
    _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)


def kernel_dir(package: str) -> Path:
    return CACHE / package.removeprefix("linux-image-")


def _current_kernel_package() -> str:
    out = subprocess.run(["apt-cache", "depends", "linux-image-amd64"], capture_output=True,
                         text=True).stdout
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("Depends: linux-image-"):
            return line.split()[1]
    raise RigError("cannot find the current linux-image-*-amd64 package (apt-get update?)")


def download_kernel(package: str = KERNEL_PACKAGE) -> Path:
    """Download and extract the kernel .deb (never install it); returns its cache folder."""
    kdir = kernel_dir(package)
    if (kdir / "root" / "boot").is_dir():
        return kdir
    kdir.mkdir(parents=True, exist_ok=True)
    log(f"downloading {package}")
    got = subprocess.run(["apt-get", "download", package], cwd=kdir, capture_output=True,
                         text=True)
    if got.returncode != 0:
        newer = _current_kernel_package()
        log(f"{package} is no longer in the archive ({got.stderr.strip()}); using {newer}. "
            f"Update KERNEL_PACKAGE in tests/vm/rig.py.")
        shutil.rmtree(kdir)
        return download_kernel(newer)
    deb = next(kdir.glob("*.deb"))
    tmp = kdir / "root.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    _run(["dpkg-deb", "-x", str(deb), str(tmp)])
    kver = _kver_of(tmp)
    _run(["depmod", "-b", str(tmp), kver])
    tmp.rename(kdir / "root")
    deb.unlink()
    return kdir


def _kver_of(root: Path) -> str:
    (mod,) = (root / "lib" / "modules").iterdir()
    return mod.name


def find_kernel() -> Path:
    """The extracted kernel folder to boot (the pinned one, else any one prepared)."""
    kdir = kernel_dir(KERNEL_PACKAGE)
    if (kdir / "root" / "boot").is_dir():
        return kdir
    found = sorted(p.parent for p in CACHE.glob("*/root/boot"))
    if not found:
        raise RigError(f"no guest kernel in {CACHE}: run `make test` as root (it downloads "
                       f"{KERNEL_PACKAGE}) or `python3 tests/vm/rig.py prepare`")
    return found[-1]


def module_closure(moddir: Path, names: list[str]) -> list[str]:
    """Relative .ko paths for `names` and their dependencies, dependencies first."""
    deps: dict[str, list[str]] = {}
    by_name: dict[str, str] = {}
    for line in (moddir / "modules.dep").read_text().splitlines():
        path, _, rest = line.partition(":")
        deps[path] = rest.split()
        base = Path(path).name.split(".ko")[0]
        by_name[base] = path
        by_name[base.replace("-", "_")] = path
    order: list[str] = []

    def visit(path: str) -> None:
        if path in order:
            return
        for dep in deps[path]:
            visit(dep)
        order.append(path)

    for name in names:
        if name not in by_name:
            continue  # built into this kernel
        visit(by_name[name])
    return order


INIT_SCRIPT = r"""#!/bin/busybox sh
# initramfs /init: load 9p, mount the host root read-only, hand over to the repo's guest init.
/bin/busybox mkdir -p /proc /sys /dev /newroot /out
/bin/busybox mount -t proc proc /proc
/bin/busybox mount -t devtmpfs dev /dev
for m in $(/bin/busybox cat /modules.order); do /bin/busybox insmod /$m || echo "initrd: insmod $m failed"; done
if ! /bin/busybox mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 hostroot /newroot; then
  echo "initrd: cannot mount the host root over 9p"; /bin/busybox poweroff -f
fi
/bin/busybox umount /proc
/bin/busybox mount --move /dev /newroot/dev
exec /bin/busybox switch_root /newroot "$LVSLITE_REPO/tests/vm/guest-init"
"""


def build_initrd(kdir: Path) -> Path:
    root = kdir / "root"
    kver = _kver_of(root)
    moddir = root / "lib" / "modules" / kver
    initrd = kdir / "initrd.gz"
    stamp = kdir / "initrd.stamp"
    want = INIT_SCRIPT + " ".join(INITRD_MODULES)
    if initrd.exists() and stamp.exists() and stamp.read_text() == want:
        return initrd
    work = kdir / "initrd.tmp"
    shutil.rmtree(work, ignore_errors=True)
    (work / "bin").mkdir(parents=True)
    shutil.copy2("/bin/busybox", work / "bin" / "busybox")
    mods = module_closure(moddir, INITRD_MODULES)
    for rel in mods:
        dst = work / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(moddir / rel, dst)
    (work / "modules.order").write_text("\n".join(mods) + "\n")
    (work / "init").write_text(INIT_SCRIPT)
    (work / "init").chmod(0o755)
    files = sorted(str(p.relative_to(work)) for p in work.rglob("*"))
    cpio = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=work, check=True,
                          input="\n".join(files).encode(), capture_output=True).stdout
    initrd.write_bytes(gzip.compress(cpio, compresslevel=1))
    stamp.write_text(want)
    shutil.rmtree(work)
    return initrd


def prepare() -> Path:
    install_host_packages()
    kdir = download_kernel()
    build_initrd(kdir)
    return kdir


def check_ready() -> Path:
    """The kernel folder if everything needed to boot is present; RigError saying what is not."""
    missing = missing_host_packages()
    if missing:
        raise RigError(f"missing host packages: {' '.join(missing)} (run `make test` as root, "
                       f"or apt-get install them)")
    if os.geteuid() != 0:
        raise RigError("the emulator tests share the host root with the guest and need root")
    kdir = find_kernel()
    if not (kdir / "initrd.gz").exists():
        raise RigError(f"no initramfs in {kdir}: run `python3 tests/vm/rig.py prepare`")
    return kdir


# --------------------------------------------------------------------------- booting

@dataclass
class Boot:
    """What one guest boot produced."""
    rc: int | None            # the command's exit status; None if it never reported one
    timed_out: bool
    seconds: float
    console: str              # the whole serial console log
    outdir: Path
    kernel: str = ""
    notes: list[str] = field(default_factory=list)

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.console.splitlines()[-lines:])


RC_MARK = "LVSLITE-GUEST-RC="


def boot(command: str, *, timeout: float = DEFAULT_TIMEOUT, memory_mb: int = 1536,
         env: dict[str, str] | None = None, echo=None, outdir: Path | None = None) -> Boot:
    """Boot the guest, run `command` (a shell line, run in the repo by /bin/sh), power off.

    `echo`, when given, is called with every console line as it arrives (live progress).
    """
    kdir = check_ready()
    root = kdir / "root"
    kver = _kver_of(root)
    vmlinuz = root / "boot" / f"vmlinuz-{kver}"
    outdir = outdir or CACHE / "run"
    shutil.rmtree(outdir, ignore_errors=True)
    outdir.mkdir(parents=True)
    script = ["set -u", f"cd {shlex.quote(str(REPO))}"]
    for key, val in (env or {}).items():
        script.append(f"export {key}={shlex.quote(val)}")
    script.append(command)
    (outdir / "command.sh").write_text("\n".join(script) + "\n")
    append = " ".join([
        "console=ttyS0,115200", "panic=-1", "oops=panic", "loglevel=4",
        "mitigations=off", "tsc=unstable", "slab_nomerge",
        f"LVSLITE_REPO={REPO}", f"LVSLITE_OUT={outdir}",
        f"LVSLITE_MODULES={root / 'lib' / 'modules'}",
        f"LVSLITE_LOAD={','.join(GUEST_MODULES)}",
        os.environ.get("LVSLITE_VM_APPEND", ""),  # extra kernel arguments (rig self-tests)
    ]).strip()
    qemu = [
        "qemu-system-x86_64", "-accel", "tcg,thread=multi", "-smp", "2", "-m", str(memory_mb),
        "-cpu", "max", "-nographic", "-no-reboot", "-nic", "none", "-monitor", "none",
        "-serial", "stdio",
        "-kernel", str(vmlinuz), "-initrd", str(kdir / "initrd.gz"), "-append", append,
        "-virtfs", "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,"
                   "multidevs=remap",
        "-virtfs", f"local,path={outdir},mount_tag=out,security_model=none,multidevs=remap",
    ]
    notes: list[str] = []
    for attempt in (1, 2):
        start = time.monotonic()
        lines, timed_out, booted = _run_qemu(qemu, timeout, echo)
        if booted or not timed_out or attempt == 2:
            break
        # TCG occasionally wedges before the kernel prints anything; one retry, said aloud.
        note = f"guest stuck before its init ran (attempt {attempt}); booting again"
        notes.append(note)
        if echo:
            echo(f"rig: {note}")
    seconds = time.monotonic() - start
    console = "\n".join(lines)
    (outdir / "console.log").write_text(console)
    rc = None
    for line in lines:
        if line.startswith(RC_MARK):
            rc = int(line[len(RC_MARK):].strip() or -1)
    kernel = ""
    kfile = outdir / "kernel"
    if kfile.exists():
        kernel = kfile.read_text().strip()
    return Boot(rc=rc, timed_out=timed_out, seconds=seconds, console=console, outdir=outdir,
                kernel=kernel, notes=notes)


BOOT_STAGE_TIMEOUT = 90.0  # seconds from qemu start to our guest init's first line
BOOTED_MARK = "guest: kernel "


def _run_qemu(qemu: list[str], timeout: float, echo) -> tuple[list[str], bool, bool]:
    """Run qemu, stream its console; kill it at `timeout`, or early if it never boots."""
    start = time.monotonic()
    lines: list[str] = []
    booted = timed_out = False
    proc = subprocess.Popen(qemu, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    try:
        while True:
            elapsed = time.monotonic() - start
            limit = timeout if booted else min(timeout, BOOT_STAGE_TIMEOUT)
            if elapsed >= limit:
                timed_out = True
                break
            if not sel.select(timeout=min(limit - elapsed, 5.0)):
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            *done, buf = buf.split(b"\n")
            for raw in done:
                line = raw.decode("utf-8", "replace").rstrip("\r")
                lines.append(line)
                booted = booted or BOOTED_MARK in line
                if echo:
                    echo(line)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        sel.close()
        proc.stdout.close()
    if buf:
        lines.append(buf.decode("utf-8", "replace"))
    return lines, timed_out, booted


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("prepare", "run"):
        print("usage: rig.py prepare [--soft] | rig.py run [--timeout S] -- COMMAND...",
              file=sys.stderr)
        return 2
    try:
        if argv[0] == "prepare":
            try:
                kdir = prepare()
            except (RigError, subprocess.CalledProcessError) as exc:
                required = (os.environ.get("LVSLITE_REQUIRE_VM") == "1"
                            or os.environ.get("CI") == "true")
                if "--soft" in argv and not required:
                    log(f"emulator tests will be skipped: {exc}")
                    return 0
                raise RigError(str(exc)) from exc
            log(f"ready: {kdir}")
            return 0
        args = argv[1:]
        timeout = DEFAULT_TIMEOUT
        if args[:1] == ["--timeout"]:
            timeout, args = float(args[1]), args[2:]
        if args[:1] == ["--"]:
            args = args[1:]
        # A folder of its own per invocation: a debugging shell must never wipe the results
        # of a test session running meanwhile (which uses CACHE/run), nor another shell's.
        CACHE.mkdir(parents=True, exist_ok=True)
        outdir = Path(tempfile.mkdtemp(prefix="shell-", dir=CACHE))
        log(f"results and console log in {outdir}")
        result = boot(" ".join(args) or "uname -a", timeout=timeout, echo=print, outdir=outdir)
    except RigError as exc:
        print(f"rig: error: {exc}", file=sys.stderr)
        return 3
    log(f"guest {result.kernel or '?'}: rc={result.rc} after {result.seconds:.1f}s"
        + (" (TIMED OUT, killed)" if result.timed_out else ""))
    return result.rc if result.rc is not None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
