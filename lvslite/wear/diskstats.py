"""Parses block I/O counters and sample logs into per-device write series.

Pure: text in, values out; it never opens a file (cli.py and sample.py do). Formats, by the
number of whitespace-separated fields on a line (docs/reference/models.md#lifetime-formulas, Documentation/iostats.txt):

  4   /proc/partitions without statistics: major minor #blocks name    (no counters)
  7   2.6.0-2.6.24 partition lines in /proc/diskstats: major minor name + 4 fields
      (reads, sectors read, writes, sectors written)
  14  /proc/diskstats: major minor name + 11 fields (field 7 = sectors written)
  15  2.4 /proc/partitions with statistics: major minor #blocks name + 11 fields
  18, 20 (and longer) /proc/diskstats with discard (4.18+) and flush (5.5+) fields

Sectors are always 512 bytes. Counters were 32-bit on old kernels and wrap; a reboot resets
them: the series splits into segments there instead of showing a negative rate.

The sample log (fixed format, written by other tools too) is blocks of a line `@ <unix time>`
followed by the verbatim content of /proc/diskstats or /proc/partitions.
"""
from __future__ import annotations

from lvslite.model import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, Iterable, List, Optional, Tuple

SECTOR_BYTES = 512                  # Documentation/block/stat.txt: "standard UNIX 512-byte sectors"
WRAP = 1 << 32                      # 32-bit counters on old kernels (iostats.txt)
# A 32-bit counter that went down is taken as a wrap only if it was in its top half before
# and the wrapped delta is a rate a CF-era box (or a loop device on a modern host) can do.
MAX_PLAUSIBLE_SECTORS_PER_S = (2 << 30) // SECTOR_BYTES     # 2 GiB/s
COUNTER_MAX = (1 << 64) - 1         # the kernel's counters are unsigned long: 64 bits at most
TIME_MAX = 1e10                     # unix time of the year 2286: a later stamp is no clock's


class WearLogError(ValueError):
    """A sample log or counter file that cannot be read; the message says where and why."""


class Counters(Record):
    """One device's counters in one snapshot."""
    __slots__ = ()
    _fields = ("name", "major", "minor", "sectors_written", "sectors_read", "writes", "reads",
               "blocks_kib", "fields")
    # blocks_kib: size from 2.4 /proc/partitions (1 KiB blocks)
    # fields:     field count of the line, i.e. its format

    def __new__(cls, name: str, major: int, minor: int, sectors_written: int, sectors_read: int,
                writes: int, reads: int, blocks_kib: Optional[int] = None, fields: int = 14):
        return tuple.__new__(cls, (name, major, minor, sectors_written, sectors_read, writes,
                                   reads, blocks_kib, fields))


class Snapshot(Record):
    __slots__ = ()
    _fields = ("t", "devices")
    # t:       unix time
    # devices: name -> Counters

    def __new__(cls, t: float, devices: Dict[str, Counters]):
        return tuple.__new__(cls, (t, devices))


class Interval(Record):
    """Writes to one device between two consecutive snapshots of the same segment."""
    __slots__ = ()
    _fields = ("t0", "t1", "sectors")

    def __new__(cls, t0: float, t1: float, sectors: int):
        return tuple.__new__(cls, (t0, t1, sectors))

    @property
    def seconds(self) -> float:
        return self.t1 - self.t0


class Series(Record):
    """One device over the whole log: its intervals, split where it rebooted or vanished."""
    __slots__ = ()
    _fields = ("name", "intervals", "segments", "wraps", "resets", "blocks_kib", "dropped_s")
    # intervals: tuple of Interval
    # segments:  runs of consecutive snapshots with valid deltas
    # resets:    counter went backwards: reboot (or re-created device)
    # dropped_s: seconds spanning resets, whose writes are unknown (not in intervals)

    def __new__(cls, name: str, intervals: Tuple[Interval, ...], segments: int, wraps: int,
                resets: int, blocks_kib: Optional[int] = None, dropped_s: float = 0.0):
        return tuple.__new__(cls, (name, intervals, segments, wraps, resets, blocks_kib,
                                   dropped_s))

    @property
    def window_s(self) -> float:
        return sum(i.seconds for i in self.intervals)

    @property
    def sectors_written(self) -> int:
        return sum(i.sectors for i in self.intervals)


def _ints(tokens: List[str]) -> List[int]:
    """Counters: ASCII digits only (no sign, no 0x, no 1.5), at most 64 bits."""
    out = []
    for x in tokens:
        if not (x.isascii() and x.isdigit()):
            raise ValueError(f"counter {x!r} is not a whole number of 0 or more")
        v = int(x)
        if v > COUNTER_MAX:
            raise ValueError(f"counter {x} is larger than a 64-bit counter can be")
        out.append(v)
    return out


def parse_line(line: str) -> Optional[Counters]:
    """One counter line; None for headers, blank lines and stat-less /proc/partitions lines.

    Raises ValueError (with a reason) for a line that looks like counters but is not.
    """
    tok = line.split()
    if not tok or not tok[0].isdigit():
        return None                      # blank line, or the "major minor #blocks name" header
    n = len(tok)
    try:
        if n == 4:                       # /proc/partitions without statistics
            return None
        if n == 7:                       # 2.6.0-2.6.24 partition line
            major, minor = _ints(tok[0:2])
            reads, rsect, writes, wsect = _ints(tok[3:7])
            return Counters(tok[2], major, minor, wsect, rsect, writes, reads, fields=7)
        if n == 15:                      # 2.4 /proc/partitions with statistics
            major, minor, blocks = _ints(tok[0:3])
            st = _ints(tok[4:15])
            return Counters(tok[3], major, minor, st[6], st[2], st[4], st[0],
                            blocks_kib=blocks, fields=15)
        if n >= 14:                      # /proc/diskstats: 14, 18, 20 (newer kernels may add)
            major, minor = _ints(tok[0:2])
            st = _ints(tok[3:14])
            return Counters(tok[2], major, minor, st[6], st[2], st[4], st[0], fields=n)
    except ValueError as exc:
        raise ValueError(f"{exc} in {line.strip()!r} (kernel counters: whole numbers 0 or "
                         "more)") from None
    raise ValueError(f"{n} fields in {line.strip()!r} (expected 7, 14, 15, 18 or 20 "
                     "fields: /proc/diskstats or 2.4 /proc/partitions with statistics)")


def parse_counters(text: str) -> Dict[str, Counters]:
    """The devices in one snapshot of /proc/diskstats or /proc/partitions."""
    out: Dict[str, Counters] = {}
    for line in text.splitlines():
        c = parse_line(line)
        if c is not None:
            out[c.name] = c
    return out


def format_block(t: float, text: str) -> str:
    """One log block: the `@` line, then the counter file verbatim (newline-terminated)."""
    if text and not text.endswith("\n"):
        text += "\n"
    return f"@ {t:.3f}\n{text}"


def parse_log(text: str, path: str = "log") -> List[Snapshot]:
    """Every snapshot in a sample log, oldest first.

    A last line without its newline is ignored: the sampler may have been killed mid-write.
    """
    lines = text.split("\n")
    if lines and lines[-1] != "":
        lines = lines[:-1]              # unterminated last line
    snaps: List[Snapshot] = []
    t: Optional[float] = None
    devs: Dict[str, Counters] = {}
    for no, line in enumerate(lines, 1):
        if line.startswith("@"):
            if t is not None:
                snaps.append(Snapshot(t, devs))
            rest = line[1:].strip()
            try:
                t = float(rest)
            except ValueError:
                raise WearLogError(f"{path}:{no}: timestamp {rest!r} is not a number "
                                   "(expected '@ <unix time>')") from None
            if not 0 <= t <= TIME_MAX:               # False for NaN too
                raise WearLogError(f"{path}:{no}: timestamp {rest!r} is not a unix time "
                                   f"(expected '@ <seconds since 1970>', 0..{TIME_MAX:.0f})")
            prev = snaps[-1].t if snaps else None
            if prev is not None and t < prev:
                raise WearLogError(f"{path}:{no}: time {t:.3f} is before the previous block's "
                                   f"{prev:.3f} (blocks must be in time order; was "
                                   "the clock set back? start a new log)")
            if prev is not None and t == prev:
                raise WearLogError(f"{path}:{no}: time {t:.3f} is the same time as the "
                                   "previous block's (each sample needs its own time: a rate "
                                   "over 0 seconds cannot be told; start a new log)")
            devs = {}
            continue
        try:
            c = parse_line(line)
        except ValueError as exc:
            raise WearLogError(f"{path}:{no}: {exc}") from None
        if c is None:
            continue
        if t is None:
            raise WearLogError(f"{path}:{no}: counters before the first '@ <time>' line "
                               "(a sample log is blocks of '@ <unix time>' + /proc/diskstats)")
        devs[c.name] = c
    if t is not None:
        snaps.append(Snapshot(t, devs))
    return snaps


def _wrapped_delta(old: int, new: int, dt: float) -> Optional[int]:
    """The delta if old -> new is a 32-bit wrap, else None (a reset)."""
    if old >= WRAP or new >= WRAP or old < WRAP // 2:
        return None
    d = (new - old) % WRAP
    if d > MAX_PLAUSIBLE_SECTORS_PER_S * max(dt, 1.0):
        return None
    return d


def _step(old: Counters, new: Counters, dt: float) -> Tuple[Optional[int], bool]:
    """(written sectors delta or None if the counters were reset, whether it wrapped)."""
    for a, b in ((old.reads, new.reads), (old.sectors_read, new.sectors_read),
                 (old.writes, new.writes)):
        if b < a and _wrapped_delta(a, b, dt) is None:
            return None, False
    a, b = old.sectors_written, new.sectors_written
    if b >= a:
        return b - a, False
    d = _wrapped_delta(a, b, dt)
    return (d, True) if d is not None else (None, False)


def build_series(snaps: Iterable[Snapshot]) -> Dict[str, Series]:
    """Per-device write intervals across the log.

    A reset seen on any device (a counter that went down and cannot be a wrap) means the box
    rebooted: every device starts a new segment there, and the interval spanning the reboot
    is dropped (what was written before the shutdown is unknown). A device missing from a
    snapshot also starts a new segment when it comes back.
    """
    snaps = list(snaps)
    acc: Dict[str, dict] = {}
    prev: Optional[Snapshot] = None
    for snap in snaps:
        for name, c in snap.devices.items():
            a = acc.setdefault(name, dict(iv=[], segments=1, wraps=0, resets=0, first=snap.t,
                                          blocks=c.blocks_kib, dropped=0.0))
            if c.blocks_kib is not None:
                a["blocks"] = c.blocks_kib
        if prev is None:
            prev = snap
            continue
        dt = snap.t - prev.t
        steps = {}
        reboot = False
        for name, c in snap.devices.items():
            old = prev.devices.get(name)
            if old is None:
                if acc[name]["first"] != snap.t:
                    acc[name]["segments"] += 1       # came back after vanishing
                continue
            d, wrapped = _step(old, c, dt)
            if d is None:
                reboot = True
            steps[name] = (d, wrapped)
        for name, (d, wrapped) in steps.items():
            a = acc[name]
            if reboot:
                a["segments"] += 1
                a["dropped"] += dt
                if d is None:
                    a["resets"] += 1
                continue
            if dt > 0:
                a["iv"].append(Interval(prev.t, snap.t, d))
            a["wraps"] += int(wrapped)
        prev = snap
    return {
        name: Series(name, tuple(a["iv"]), a["segments"], a["wraps"], a["resets"], a["blocks"],
                     a["dropped"])
        for name, a in acc.items()
    }


def parent_of(name: str, names: Iterable[str]) -> Optional[str]:
    """The whole disk a partition belongs to, by the kernel's naming rule (or None).

    disk_name(): a disk whose name ends in a digit gets 'p' before the partition number
    (mmcblk0p1, loop0p1, nvme0n1p1), others get the number directly (sda1, hda1).
    """
    best = None
    for p in names:
        if p == name or not name.startswith(p):
            continue
        rest = name[len(p):]
        if p[-1].isdigit():
            ok = rest.startswith("p") and rest[1:].isdigit()
        else:
            ok = rest.isdigit()
        if ok and (best is None or len(p) > len(best)):
            best = p
    return best


def numbers_of(name: str, devices: Dict[str, Counters]) -> List[Tuple[int, int]]:
    """(major, minor) of device `name` and of its partitions among `devices`: what a file
    open on it has as st_dev (or a device node as st_rdev)."""
    return sorted((c.major, c.minor) for n, c in devices.items()
                  if n == name or parent_of(n, devices) == name)
