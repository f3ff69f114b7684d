"""Stage 1: the Debian i386 root and its kernel package, made once and cached.

The slow, networked step (~2 min): mmdebstrap builds a minbase root from Debian's main
archive with config.PACKAGES, and a customize hook downloads the kernel's .deb from the
same archive (the kernel is not installed: its postinst would pull in initramfs-tools and
build an initramfs we do not use). Both land in the cache under a key of everything that
shapes them, so a warm `make image` or `make test` never runs mmdebstrap again.
Boundary: writes only in the cache folder; needs root and the archive.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

from firmware.image import config
from firmware.image.errors import ImageError

# Runs in the finished root before mmdebstrap packs it: resolve the kernel metapackage to
# its ABI package, download that .deb with the root's own apt (i386 lists, main archive),
# and copy it out to $LVSLITE_KERNEL_DIR.
KERNEL_HOOK = (
    'set -e; meta="$LVSLITE_KERNEL_META"; '
    'pkg=$(chroot "$1" apt-cache depends "$meta" '
    '| sed -n "s/^ *Depends: \\(linux-image-[0-9][^ ]*\\).*/\\1/p" | head -n1); '
    '[ -n "$pkg" ] || { echo "no kernel package behind $meta" >&2; exit 1; }; '
    'mkdir -p "$1/root/kernel"; chroot "$1" sh -c "cd /root/kernel && apt-get download -q $pkg"; '
    'cp "$1"/root/kernel/*.deb "$LVSLITE_KERNEL_DIR/"; rm -rf "$1/root/kernel"'
)


@dataclass(frozen=True)
class Root:
    tar: Path
    kernel_deb: Path
    key: str


def key(mirror: str, suite: str = config.SUITE) -> str:
    h = hashlib.sha256()
    for part in (config.ARCH, suite, mirror, config.KERNEL_META, *config.PACKAGES, KERNEL_HOOK):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:12]


def cached(cache: Path, k: str) -> Optional[Root]:
    tar = cache / f"root-{k}.tar"
    debs = sorted((cache / f"kernel-{k}").glob("linux-image-*.deb"))
    if tar.is_file() and len(debs) == 1:
        return Root(tar, debs[0], k)
    return None


def ensure(cache: Path, log: Callable[[str], None], mirror: str,
           suite: str = config.SUITE) -> Root:
    """The cached root for these inputs, building it with mmdebstrap when missing."""
    k = key(mirror, suite)
    hit = cached(cache, k)
    if hit is not None:
        log(f"root: cached {hit.tar.name} + {hit.kernel_deb.name}")
        return hit
    if shutil.which("mmdebstrap") is None:
        raise ImageError("mmdebstrap: not installed (apt-get install mmdebstrap; "
                         "`make image-prereqs` does it as root)")
    if os.geteuid() != 0:
        raise ImageError("building the root: needs root (mmdebstrap, chroot, device nodes); "
                         "run make image as root")
    cache.mkdir(parents=True, exist_ok=True)
    for old in list(cache.glob("root-*.tar")) + list(cache.glob("kernel-*")):
        if k not in old.name:
            log(f"root: removing the stale {old.name}")
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    kdir = cache / f"kernel-{k}"
    shutil.rmtree(kdir, ignore_errors=True)
    kdir.mkdir()
    tmp = cache / f"root-{k}.tar.part"
    cmd = ["mmdebstrap", f"--arch={config.ARCH}", "--variant=minbase",
           f"--include={','.join(config.PACKAGES)}", "--aptopt=Acquire::Retries \"3\"",
           f"--customize-hook={KERNEL_HOOK}", "--format=tar", suite, str(tmp),
           f"deb {mirror} {suite} main"]
    env = dict(os.environ, LVSLITE_KERNEL_DIR=str(kdir.resolve()),
               LVSLITE_KERNEL_META=config.KERNEL_META)
    log(f"root: mmdebstrap {suite}/{config.ARCH} from {mirror} (about 2 minutes, once)")
    proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        tail = "\n".join(proc.stdout.splitlines()[-15:])
        raise ImageError(f"mmdebstrap failed (exit {proc.returncode}); is Debian's archive "
                         f"reachable at {mirror}? Last lines:\n{tail}")
    tmp.rename(cache / f"root-{k}.tar")
    hit = cached(cache, k)
    if hit is None:
        raise ImageError(f"mmdebstrap finished but no kernel .deb arrived in {kdir} "
                         f"(the customize hook failed to download {config.KERNEL_META})")
    return hit
