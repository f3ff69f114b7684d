"""Debian packages for the cross route: source packages (the userland) and the kernel's
linux-source-6.1, from the build machine's own Debian archive (firmware/image/apt.py).

apt runs with a private state folder in the per-user cache (its own sources.list with `deb`
and `deb-src` lines for the suite's main component, its own lists and downloads), so the
machine's apt configuration is read but never changed, and no deb-src line is needed there.
The lists are fetched once (`apt-get update`, signatures checked against the machine's
Debian keyring); after that, versions are read from them offline. Each source package is
unpacked once, with Debian's patches applied (`apt-get source`, i.e. dpkg-source -x), into
`src/<package>_<version>`; nothing is rebuilt while its version is unchanged.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import List, Optional

from firmware.cross import cache
from firmware.image import apt
from firmware.image.errors import ImageError

KEYRING = Path("/usr/share/keyrings/debian-archive-keyring.gpg")


def _run(cmd: List[str], what: str, cwd: Optional[Path] = None) -> str:
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=dict(os.environ, LC_ALL="C", DEBIAN_FRONTEND="noninteractive"))
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-15:])
        raise ImageError(f"{what}: `{' '.join(cmd)}` exited {proc.returncode}:\n{tail}")
    return proc.stdout


class Archive:
    """One Debian archive and suite, seen through a private apt state."""

    def __init__(self, mirror: Optional[str] = None, suite: str = "bookworm",
                 refresh: bool = False):
        self.mirror = mirror or apt.archive()
        if not self.mirror:
            raise ImageError(f"no Debian archive: none of {apt.ETC_APT}/sources.list, "
                             "sources.list.d/*.list or *.sources has a `deb` source with the "
                             "main component; give one with --mirror URI (make ... MIRROR=URI)")
        self.suite = suite
        self.dir = cache.entry("apt", cache.key([self.mirror, suite], 10))
        self.refresh = refresh
        self._updated = False

    def opts(self) -> List[str]:
        d = self.dir
        return ["-o", f"Dir::Etc::SourceList={d / 'sources.list'}",
                "-o", "Dir::Etc::SourceParts=/dev/null",
                "-o", f"Dir::State::Lists={d / 'lists'}",
                "-o", f"Dir::Cache::Archives={d / 'archives'}",
                "-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache=",
                "-o", "APT::Architectures::=i386", "-o", "Acquire::Retries=3", "-q"]

    def lists(self) -> None:
        """The package lists: fetched when missing (or asked to), else used as they are."""
        lists = self.dir / "lists"
        have = lists.is_dir() and any(lists.glob("*_Sources*"))
        if have and not self.refresh or self._updated:
            return
        for sub in ("lists/partial", "archives/partial"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        signed = f" [signed-by={KEYRING}]" if KEYRING.exists() else ""
        (self.dir / "sources.list").write_text(
            f"deb{signed} {self.mirror} {self.suite} main\n"
            f"deb-src{signed} {self.mirror} {self.suite} main\n")
        _run(["apt-get", *self.opts(), "update"],
             f"fetching the package lists of {self.mirror} {self.suite}")
        self._updated = True

    def source_version(self, pkg: str) -> str:
        self.lists()
        out = _run(["apt-cache", *self.opts(), "showsrc", "--only-source", pkg],
                   f"looking up the source package {pkg}")
        versions = [line.split(None, 1)[1] for line in out.splitlines()
                    if line.startswith("Version: ")]
        if not versions:
            raise ImageError(f"source package {pkg}: not in {self.mirror} {self.suite} main")
        return _newest(versions)

    def binary_version(self, pkg: str) -> str:
        self.lists()
        out = _run(["apt-cache", *self.opts(), "show", "--no-all-versions", pkg],
                   f"looking up the package {pkg}")
        return next(line.split(None, 1)[1] for line in out.splitlines()
                    if line.startswith("Version: "))

    def source(self, pkg: str, version: Optional[str] = None) -> Path:
        """The unpacked, patched source tree of `pkg` (cached)."""
        version = version or self.source_version(pkg)
        dest = cache.entry("src", f"{pkg}_{version.replace(':', '%')}")
        if dest.is_dir():
            return _tree(dest)
        self.lists()
        part = cache.start(dest)
        _run(["apt-get", *self.opts(), "source", f"{pkg}={version}"], f"fetching the source "
             f"of {pkg} {version}", cwd=part)
        for f in part.iterdir():          # keep the tree only
            if f.is_file():
                f.unlink()
        return _tree(cache.finish(part, dest))

    def download(self, pkg: str, version: Optional[str] = None) -> Path:
        """The .deb of `pkg` (`name` or `name:arch`), cached."""
        version = version or self.binary_version(pkg)
        dest = cache.entry("deb", f"{pkg.replace(':', '_')}_{version.replace(':', '%')}")
        debs = sorted(dest.glob("*.deb")) if dest.is_dir() else []
        if debs:
            return debs[0]
        self.lists()
        part = cache.start(dest)
        _run(["apt-get", *self.opts(), "download", f"{pkg}={version}"],
             f"downloading {pkg} {version}", cwd=part)
        return sorted(cache.finish(part, dest).glob("*.deb"))[0]


def _tree(folder: Path) -> Path:
    dirs = [p for p in folder.iterdir() if p.is_dir()]
    if len(dirs) != 1:
        raise ImageError(f"{folder}: expected one unpacked source tree, found {len(dirs)}")
    return dirs[0]


def _newest(versions: List[str]) -> str:
    best = versions[0]
    for v in versions[1:]:
        if subprocess.run(["dpkg", "--compare-versions", v, "gt", best]).returncode == 0:
            best = v
    return best


def unpack_deb(deb: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    _run(["dpkg-deb", "-x", str(deb), str(dest)], f"unpacking {deb.name}")
    return dest
