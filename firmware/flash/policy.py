"""Which devices the flasher refuses, and the message for each: pure, from a Target.

Every refusal names the device, the problem and the fix. Only the last rule (a disk that
does not look removable) yields to --force: overwriting a mounted, partial, too small or
write-protected device is never what anyone meant.
"""
from __future__ import annotations

from typing import List, Tuple

from firmware.flash.target import Target


def human(n: int) -> str:
    for unit, size in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} bytes"


def refusals(t: Target, image_bytes: int, force: bool,
             image_id: Tuple[int, int] = (0, 0)) -> List[str]:
    """Why `t` must not be written (empty: it may be). Stops at the first rule that blocks
    everything after it (a missing device has no size to compare). image_id: the image's
    (st_dev, st_ino), to refuse the loop device whose backing file it is."""
    if not t.exists:
        return [f"{t.path}: no such device (plug the card in; `lsblk` lists the disks)"]
    if not t.block:
        return [f"{t.path}: not a block device (expected a whole disk such as /dev/sdX or "
                "/dev/mmcblkN)"]
    out = []
    if image_id != (0, 0) and t.backing_id == image_id:
        out.append(f"{t.path}: its backing file is the image ({t.backing}): writing would "
                   "overwrite the image with itself while reading it (flash a copy, or "
                   "another device)")
    if t.partition:
        out.append(f"{t.path}: is partition {t.number} of /dev/{t.parent}, not a whole disk "
                   f"(the image carries its own partition table: give /dev/{t.parent})")
    if t.mounts:
        where = ", ".join(f"/dev/{n} on {mp}" for n, mp in t.mounts)
        out.append(f"{t.path}: holds mounted filesystems ({where}); unmount them first "
                   "(umount <mount point>), then run the flasher again")
    if t.swaps:
        out.append(f"{t.path}: in use as swap ({', '.join(t.swaps)}); swapoff first")
    if t.holders and not t.mounts:
        out.append(f"{t.path}: in use by {', '.join(t.holders)} (RAID, LVM or encryption on "
                   "top of it); stop that first")
    if t.read_only:
        out.append(f"{t.path}: is read-only (the card's write-protect switch?)")
    if t.size < image_bytes:
        out.append(f"{t.path}: is {human(t.size)} ({t.size} bytes), smaller than the image "
                   f"({image_bytes} bytes); use a larger card")
    if not out and not t.removable and not force:
        out.append(f"{t.path}: {t.model}, {human(t.size)}, does not look removable "
                   f"({t.removable_why}): it may be a system disk. If it really is the card, "
                   "run again with --force")
    return out


def describe(t: Target) -> List[str]:
    """The lines shown before asking for confirmation."""
    lines = [f"target {t.dev}: {t.model}, {human(t.size)} ({t.size} bytes), "
             f"{'removable' if t.removable else 'NOT removable'} ({t.removable_why})"]
    if t.partitions:
        for p in t.partitions:
            lines.append(f"  partition /dev/{p.name}: {human(p.size)}")
    else:
        lines.append("  no partitions")
    return lines
