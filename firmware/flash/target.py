"""What a block device is, read from /sys and /proc (Linux), before anything is written.

`inspect(path)` stats the device node, finds its folder under /sys/dev/block/MAJ:MIN and
calls `from_sysfs`, which is pure given that folder and the text of /proc/self/mountinfo
and /proc/swaps: the unit tests build fake sysfs trees, the host tests use loop devices.
Reads only; never opens the device itself.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Dict, List, Optional, Tuple

SECTOR = 512        # /sys/class/block/X/size is in 512-byte sectors whatever the device's
MOUNTINFO = "/proc/self/mountinfo"
SWAPS = "/proc/swaps"


@dataclass(frozen=True)
class Part:
    name: str
    size: int
    majmin: str


@dataclass(frozen=True)
class Target:
    path: str                       # as the user gave it
    exists: bool = False
    block: bool = False
    name: str = ""                  # kernel name: sdb, mmcblk0, loop3
    majmin: str = ""
    partition: bool = False
    parent: str = ""                # the whole disk, for a partition
    number: int = 0                 # partition number
    size: int = 0                   # bytes
    read_only: bool = False
    removable: bool = False
    removable_why: str = ""
    model: str = ""
    partitions: Tuple[Part, ...] = ()
    mounts: Tuple[Tuple[str, str], ...] = ()     # (device name, mount point)
    swaps: Tuple[str, ...] = ()
    holders: Tuple[str, ...] = ()                # dm-0, md127: RAID/LVM/crypt on top
    backing: str = ""                            # a loop device's backing file
    backing_id: Tuple[int, int] = (0, 0)         # its (st_dev, st_ino); (0, 0) unknown

    @property
    def dev(self) -> str:
        return f"/dev/{self.name}" if self.name else self.path


def _read(p: Path, default: str = "") -> str:
    try:
        return p.read_text().strip()
    except OSError:
        return default


def parse_mountinfo(text: str) -> Dict[str, List[str]]:
    """{"major:minor": [mount points]} from /proc/self/mountinfo."""
    out: Dict[str, List[str]] = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 5:
            out.setdefault(f[2], []).append(f[4].replace("\\040", " "))
    return out


def parse_swaps(text: str) -> List[str]:
    """Kernel names of the block devices in use as swap (/proc/swaps; swap files skipped)."""
    out = []
    for line in text.splitlines()[1:]:
        f = line.split()
        if f and f[0].startswith("/dev/"):
            out.append(os.path.basename(f[0]))
    return out


def removability(sysdir: Path, name: str) -> Tuple[bool, str]:
    """(removable, why): the rule of the package docstring."""
    flag = _read(sysdir / "removable", "0")
    if flag == "1":
        return True, "removable=1"
    try:
        real = os.path.realpath(sysdir / "device") if (sysdir / "device").exists() else ""
    except OSError:
        real = ""
    if "/usb" in real:
        return True, f"removable={flag}, on a USB bus"
    if name.startswith("mmcblk") or "/mmc" in real:
        return True, f"removable={flag}, an MMC/SD card"
    return False, f"removable={flag}, not on USB or an MMC/SD host"


def model_of(sysdir: Path) -> str:
    backing = _read(sysdir / "loop" / "backing_file")
    if backing:
        return f"loop device on {backing}"
    dm = _read(sysdir / "dm" / "name")
    if dm:
        return f"device-mapper {dm}"
    words = [_read(sysdir / "device" / f) for f in ("vendor", "model", "name")]
    return " ".join(w for w in words if w) or "unknown model"


def _holders(sysdir: Path, root: Path) -> List[Tuple[str, str]]:
    """(name, major:minor) of everything stacked on top of sysdir, recursively."""
    out: List[Tuple[str, str]] = []
    hdir = sysdir / "holders"
    if not hdir.is_dir():
        return out
    for h in sorted(os.listdir(hdir)):
        hsys = root / h
        out.append((h, _read(hsys / "dev")))
        out += _holders(hsys, root)
    return out


def from_sysfs(path: str, sysdir: Path, mountinfo: str, swaps: str,
               class_root: Optional[Path] = None) -> Target:
    """The Target whose sysfs folder is `sysdir` (…/block/sdb or …/block/sdb/sdb1).

    class_root: the folder where holders are found by name (/sys/class/block).
    """
    class_root = class_root or Path("/sys/class/block")
    name = sysdir.name
    partition = (sysdir / "partition").exists()
    disk = sysdir.parent if partition else sysdir
    parts = []
    for child in sorted(disk.iterdir()) if disk.is_dir() else []:
        if (child / "partition").exists():
            parts.append(Part(child.name, int(_read(child / "size", "0")) * SECTOR,
                              _read(child / "dev")))
    removable, why = removability(disk, disk.name)
    mounted = parse_mountinfo(mountinfo)
    swapped = set(parse_swaps(swaps))
    # everything a write to this device would overwrite: itself, its partitions (or, for a
    # partition, itself only), and whatever is stacked on any of them
    own = [(name, _read(sysdir / "dev"))]
    if not partition:
        own += [(p.name, p.majmin) for p in parts]
    holders: List[Tuple[str, str]] = []
    for n, _ in own:
        holders += _holders(sysdir if n == name else disk / n, class_root)
    mounts = tuple((n, mp) for n, mm in own + holders for mp in mounted.get(mm, []))
    return Target(
        path=path, exists=True, block=True, name=name, majmin=_read(sysdir / "dev"),
        partition=partition, parent=disk.name if partition else "",
        number=int(_read(sysdir / "partition", "0") or 0),
        size=int(_read(sysdir / "size", "0")) * SECTOR,
        read_only=_read(sysdir / "ro", "0") == "1", removable=removable,
        removable_why=why, model=model_of(disk), partitions=tuple(parts), mounts=mounts,
        swaps=tuple(n for n, _ in own + holders if n in swapped),
        holders=tuple(h for h, _ in holders),
        backing=_read(disk / "loop" / "backing_file"))


def inspect(path: str, sys_root: str = "/sys") -> Target:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return Target(path)
    except OSError:
        return Target(path, exists=True)
    if not stat.S_ISBLK(st.st_mode):
        return Target(path, exists=True)
    majmin = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    sysdir = Path(os.path.realpath(f"{sys_root}/dev/block/{majmin}"))
    t = from_sysfs(path, sysdir, _read(Path(MOUNTINFO)), _read(Path(SWAPS)),
                   Path(sys_root) / "class" / "block")
    if t.backing:
        try:
            st = os.stat(t.backing)
            t = replace(t, backing_id=(st.st_dev, st.st_ino))
        except OSError:
            pass                    # deleted (the kernel adds " (deleted)"), or not ours
    return t
