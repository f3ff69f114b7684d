"""Takes counter snapshots: appended to a bounded log (`wear sample`) or kept in memory (`watch`).

The edge of the package that reads /proc and writes the log. It must never write to a block
device itself: the log belongs on tmpfs (default /run/lvslite, tmpfs on the box) and the
sampler says so when it is not; reading /proc writes nothing.
"""
from __future__ import annotations

import os
import time

from lvslite import files
from lvslite.atomic import write_atomically
from lvslite.wear import diskstats, writers

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Callable, Dict, List, Optional, Tuple

# The log's place and size cap are the box's settings (WEAR_LOG, WEAR_MAX_BYTES), written
# once in /etc/default/lvslite (overlay/etc/default/lvslite, which the shell sampler reads
# too): the box's copy, else the source tree's when this runs from a checkout. 4 h at one
# sample a minute (the seed: "extrapolate about 4 hours worth of samples") of a box's few
# diskstats lines is ~150 KB; the cap leaves room for a host with many devices.
SETTINGS = ("/etc/default/lvslite",
            os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
                os.path.abspath(__file__)))), "overlay", "etc", "default", "lvslite"))


# How much of a file is ever read (lvslite/files.py refuses more, and anything but a regular
# file). A sample log is trimmed to --max-bytes, at most LOG_MAX_BYTES: 8x the box's 512 KiB,
# days of a box's samples at one a minute. Measured: `wear report` of a 4 MiB log (6349
# samples of 10 devices) peaks at 42 MB RSS and takes 1 s on the host; more would not fit a
# 64 MB box. /proc/diskstats of a host with a thousand devices is ~100 kB; the settings file
# is a few lines.
LOG_MAX_BYTES = 4 * 1024 * 1024
PROC_MAX_BYTES = 1024 * 1024
SETTINGS_MAX_BYTES = 64 * 1024


def box_settings(paths=SETTINGS):
    """NAME -> value of the first readable settings file (NAME=value lines, # comments)."""
    for path in paths:
        try:
            text = files.read_text(path, SETTINGS_MAX_BYTES)
        except OSError:
            continue
        out = {}
        for line in text.splitlines():
            name, sep, value = line.strip().partition("=")
            if sep and name.isidentifier():
                out[name] = value.strip().strip("\"'")
        return out
    return {}


_SETTINGS = box_settings()
DEFAULT_LOG = _SETTINGS.get("WEAR_LOG")
DEFAULT_MAX_BYTES = int(_SETTINGS["WEAR_MAX_BYTES"]) if "WEAR_MAX_BYTES" in _SETTINGS else None
RAM_FILESYSTEMS = ("tmpfs", "ramfs")


class WearSampleError(OSError):
    """The counters cannot be read or the log cannot be written; the message says how to fix it."""


def source_path(proc: str = "/proc") -> str:
    """Where this kernel keeps block counters: /proc/diskstats (2.6+) or /proc/partitions (2.4)."""
    p = f"{proc}/diskstats"
    return p if os.path.exists(p) else f"{proc}/partitions"


def read_text(path: str, limit: int = PROC_MAX_BYTES) -> str:
    """A /proc file or a log in one go, at most `limit` bytes of a regular file
    (lvslite/files.py: /dev/zero or a FIFO given by mistake is refused, not read forever)."""
    return files.read_text(path, limit, "ascii")


def read_counters(path: str) -> Tuple[str, Dict[str, diskstats.Counters]]:
    """The counter file's text and its devices; WearSampleError when it has no statistics."""
    try:
        text = read_text(path)
    except OSError as exc:
        raise WearSampleError(f"{path}: cannot read: {exc.strerror or exc} (expected "
                              "/proc/diskstats or /proc/partitions)") from None
    try:
        devices = diskstats.parse_counters(text)
    except ValueError as exc:
        raise WearSampleError(f"{path}: {exc}") from None
    if not devices:
        raise WearSampleError(f"{path}: no I/O statistics (a 2.4 kernel needs 2.4.20+ or the "
                              "sard patch for statistics in /proc/partitions)")
    return text, devices


def mount_of(path: str, mounts_text: str) -> Tuple[str, str, str]:
    """(mount point, filesystem type, source) of the mount holding path, from /proc/mounts."""
    from lvslite.mounts import holding
    m = holding(mounts_text, os.path.realpath(path))
    return (m.point, m.fstype, m.device) if m is not None else ("/", "?", "?")


def ram_warning(log_path: str, proc: str = "/proc") -> Optional[str]:
    """A warning when the log would be written to a block device, else None."""
    try:
        mounts = read_text(f"{proc}/mounts")
    except OSError:
        return None
    mnt, fstype, src = mount_of(os.path.dirname(os.path.abspath(log_path)) or ".", mounts)
    if fstype in RAM_FILESYSTEMS:
        return None
    return (f"{log_path}: on {fstype} ({src} mounted at {mnt}), so sampling writes to that "
            "device; put the log on tmpfs (--out /run/lvslite/wear.log, or mount tmpfs)")


def _blocks_start(text: str) -> List[int]:
    starts = [0] if text.startswith("@") else []
    i = text.find("\n@")
    while i >= 0:
        starts.append(i + 1)
        i = text.find("\n@", i + 1)
    return starts


def trim(text: str, max_bytes: int) -> str:
    """The newest whole blocks that fit in 3/4 of max_bytes (so trimming is not done every time)."""
    keep = max(1, max_bytes * 3 // 4)
    starts = _blocks_start(text)
    for s in starts:
        if len(text) - s <= keep:
            return text[s:]
    return text[starts[-1]:] if starts else ""


def append(path: str, block: str, max_bytes: int) -> None:
    """Appends one block; past max_bytes, rewrites the file without its oldest blocks."""
    data = block.encode("ascii", "replace")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        size = os.fstat(fd).st_size
    finally:
        os.close(fd)
    if size <= max_bytes:
        return
    kept = trim(read_text(path, size + len(data)), max_bytes)
    # No fsync: the log is on tmpfs (and a power cut empties it anyway).
    write_atomically(path, kept.encode("ascii", "replace"), f"{path}.tmp{os.getpid()}",
                     durable=False)


def procs_path(log_path: str) -> str:
    """The writers side log next to a sample log (the sample log's format is fixed)."""
    return log_path + ".procs"


def ticks(interval: float, count: int, clock: Callable[[], float] = time.monotonic,
          sleep: Callable[[float], None] = time.sleep):
    """Yields k = 0, 1, ... at start + k*interval (count 0: forever); never drifts."""
    start = clock()
    k = 0
    while count <= 0 or k < count:
        delay = start + k * interval - clock()
        if delay > 0:
            sleep(delay)
        yield k
        k += 1


def run_sample(out: str, interval: float, count: int, max_bytes: int = DEFAULT_MAX_BYTES,
               source: Optional[str] = None, with_writers: bool = True,
               on_sample: Optional[Callable[[int, float], None]] = None,
               make_folder: bool = False) -> int:
    """Appends count snapshots to out (and the writers to out.procs); returns how many.

    A missing folder of `out` is refused, never created (a typo would otherwise make folders
    on the root file system, a CF card on the box); make_folder creates it: for the box's
    default log, whose folder is the state directory on tmpfs."""
    src = source or source_path()
    read_counters(src)                              # fail before creating anything
    d = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(d):
        if not make_folder:
            raise WearSampleError(f"{d}: no such folder (create it on tmpfs first, or name "
                                  "another log with --out)")
        try:
            os.makedirs(d, exist_ok=True)
        except OSError as exc:
            raise WearSampleError(f"{d}: cannot create ({exc.strerror}; expected a writable "
                                  "directory on tmpfs)") from None
    track = with_writers and writers.available()
    n = 0
    for k in ticks(interval, count):
        t = time.time()
        text = read_counters(src)[0]
        try:
            append(out, diskstats.format_block(t, text), max_bytes)
            if track:
                append(procs_path(out), writers.format_snapshot(t, writers.snapshot()),
                       max_bytes)
        except OSError as exc:
            raise WearSampleError(f"{out}: cannot write ({exc.strerror}; expected a writable "
                                  "file on tmpfs)") from None
        n += 1
        if on_sample is not None:
            on_sample(k, t)
    return n


def run_watch(device: str, interval: float, duration: float, source: Optional[str] = None,
              with_writers: bool = True,
              on_sample: Optional[Callable[[diskstats.Snapshot], None]] = None
              ) -> Tuple[List[diskstats.Snapshot], List[writers.ProcSnapshot], bool]:
    """Samples one device in memory for duration seconds.

    Returns (snapshots, writer snapshots at the start and the end, whether it was cut short
    by Ctrl-C). The last sample falls exactly at the end of the duration.
    """
    src = source or source_path()
    first = read_counters(src)[1]
    if device not in first:
        names = ", ".join(sorted(first)) or "none"
        raise WearSampleError(f"{src}: no device {device!r} (one of: {names})")
    track = with_writers and writers.available()
    steps = max(1, int(round(duration / interval)))
    snaps: List[diskstats.Snapshot] = []
    procs: List[writers.ProcSnapshot] = []
    cut = False

    def take() -> diskstats.Snapshot:
        t = time.time()
        devs = read_counters(src)[1]
        snap = diskstats.Snapshot(t, {k: v for k, v in devs.items() if k == device})
        snaps.append(snap)
        return snap

    # Process counters bracket the block counters: taken before the first sample and after
    # the last, so a writer started by on_sample is counted whole.
    if track:
        procs.append(writers.ProcSnapshot(time.time(), writers.snapshot()))
    try:
        for k in ticks(duration / steps, steps + 1):
            snap = take()
            if track and k == steps:
                procs.append(writers.ProcSnapshot(snap.t, writers.snapshot()))
            if on_sample is not None:
                on_sample(snap)
    except KeyboardInterrupt:
        cut = True
    if cut and len(snaps) >= 1:
        snap = take()
        if track:
            procs.append(writers.ProcSnapshot(snap.t, writers.snapshot()))
    return snaps, procs, cut
