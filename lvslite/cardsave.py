"""Save a config to the card's /cfg partition: the only write to the card on the box.

`lvslite save` runs it (overlay/etc/fstab; docs/reference/firmware.md#keeping-compactflash-alive: NanoBSD's save_cfg
compares then copies, m0n0wall's write_config wraps the write in conf_mount_rw/conf_mount_ro).
In order: the config is validated (an invalid one is never saved, the card untouched);
compared with the saved copy (identical: nothing written, no remount); /cfg is remounted
read-write; a temp file is written, fsync'ed and renamed over lvslite.json, and the folder is
fsync'ed; /cfg is remounted read-only (always, also after a failure). The card's written
sectors during the save are read from /proc/diskstats and reported. Reads and writes only the
config, /cfg and /proc; never the kernel's IPVS table.
"""
from __future__ import annotations

import os

from lvslite.atomic import write_atomically
from lvslite.mounts import find_mount

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, Optional

DEFAULT_CFG = "/cfg"
NAME = "lvslite.json"
TEMP = ".lvslite.json.new"


class SaveError(Exception):
    """The save cannot go on; the message names the thing, the problem and the fix."""


def device_counters(diskstats: str, major: int, minor: int) -> Dict[str, int]:
    """{name: sectors written} of the partition major:minor and of its whole disk."""
    from lvslite.wear.diskstats import parent_of, parse_counters

    devs = parse_counters(diskstats)
    part = next((c for c in devs.values() if (c.major, c.minor) == (major, minor)), None)
    if part is None:
        return {}
    out = {part.name: part.sectors_written}
    parent = parent_of(part.name, devs)
    if parent is not None:
        out[parent] = devs[parent].sectors_written
    return out


def delta(before: Dict[str, int], after: Dict[str, int]) -> Dict[str, int]:
    return {k: after[k] - before[k] for k in after if k in before}


# ------------------------------------------------------------------ the edges

def _read(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


def _proc(name: str) -> str:
    try:
        return _read(f"/proc/{name}").decode("ascii", "replace")
    except OSError:
        return ""


def _remount(point: str, mode: str) -> None:
    import subprocess

    proc = subprocess.run(["mount", "-o", f"remount,{mode}", point], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    if proc.returncode != 0:
        raise SaveError(f"{point}: cannot remount {'read-write' if mode == 'rw' else 'read-only'}"
                        f" ({proc.stdout.strip() or f'mount exited {proc.returncode}'}; "
                        "is the card write-protected, or a file on it still open?)")


def save(config: str, cfg: str) -> dict:
    """Validate and save; the report as a dict. Raises ConfigError or SaveError."""
    from lvslite.config import parse

    try:
        data = _read(config)
    except OSError as exc:
        raise SaveError(f"{config}: cannot read the config ({exc.strerror}; give the file with "
                        "-c FILE)") from None
    parse(data, config)                            # ConfigError: never save a bad config
    cfg = os.path.abspath(cfg)
    mount = find_mount(_proc("self/mounts"), cfg)
    if mount is None:
        raise SaveError(f"{cfg}: not a mounted partition (expected the card's config "
                        "partition, which /etc/init.d/S15cfg mounts read-only at boot; "
                        "mount it, or name another with --cfg DIR)")
    dst = os.path.join(cfg, NAME)
    report = {"config": config, "saved_to": dst, "bytes": len(data), "saved": False,
              "device": mount.device, "sectors": {}, "was_read_only": mount.read_only}
    try:
        if _read(dst) == data:
            return report                          # nothing to write: no remount at all
    except OSError:
        pass
    st = os.stat(cfg)
    majmin = (os.major(st.st_dev), os.minor(st.st_dev))
    before = device_counters(_proc("diskstats"), *majmin)
    failure: Optional[BaseException] = None
    if mount.read_only:
        _remount(cfg, "rw")
    try:
        write_atomically(os.path.join(cfg, NAME), data, os.path.join(cfg, TEMP))
    except OSError as exc:
        failure = SaveError(f"{dst}: cannot write ({exc.strerror}; the card may be full or "
                            f"failing: check `dmesg`)")
    finally:
        if mount.read_only:
            try:
                _remount(cfg, "ro")
            except SaveError as exc:
                failure = failure or SaveError(f"{exc} -- the card is left read-write: "
                                               f"run `mount -o remount,ro {cfg}`")
    if failure is not None:
        raise failure
    report["saved"] = True
    report["sectors"] = delta(before, device_counters(_proc("diskstats"), *majmin))
    return report
