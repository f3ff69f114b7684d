"""Which processes wrote: per-process write_bytes from /proc/PID/io (or psutil when installed).

Why: the user must see that it is syslogd that wears the card, not the agent. write_bytes is
what a process caused to be sent to the storage layer (Documentation/filesystems/proc.rst);
the kernel charges buffered writes when the page is dirtied, so deferred writeback is still
billed to the process that wrote, and tmpfs writes are not billed at all. /proc/PID/io needs
2.6.20+ with CONFIG_TASK_IO_ACCOUNTING, and root to read other users' processes.

write_bytes is one total over all devices. So each writer also records the devices it has
files open on (/proc/PID/fd and its cwd: st_dev of a file, st_rdev of a block device node),
and a device's writers are only the processes with a file open on it: a build writing to
another disk is not named the card's writer. A writer that opens, writes and closes between
two samples is missed that way, and the figure shown is still the process's total over all
devices; the report says both. Scanning costs one stat per open file of each process that
has written anything (a few dozen on a box).

snapshot() is the only function touching the system; the rest is pure.
"""
from __future__ import annotations

import os
import stat

from lvslite.model import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, Iterable, List, Optional, Sequence, Tuple
    Key = Tuple[int, int]       # (pid, start time): a reused pid is another process


class Proc(Record):
    __slots__ = ()
    _fields = ("pid", "start", "name", "write_bytes", "devices")
    # start:   clock ticks since boot (/proc/PID/stat field 22)
    # devices: sorted ((major, minor), ...) it has files open on; None = not recorded

    def __new__(cls, pid: int, start: int, name: str, write_bytes: int,
                devices: Optional[Tuple[Tuple[int, int], ...]] = None):
        return tuple.__new__(cls, (pid, start, name, write_bytes, devices))


class Writer(Record):
    __slots__ = ()
    _fields = ("pid", "name", "write_bytes")

    def __new__(cls, pid: int, name: str, write_bytes: int):
        return tuple.__new__(cls, (pid, name, write_bytes))


class ProcSnapshot(Record):
    __slots__ = ()
    _fields = ("t", "procs")
    # procs: (pid, start) -> Proc

    def __new__(cls, t: float, procs: Dict[Key, Proc]):
        return tuple.__new__(cls, (t, procs))


def parse_io(text: str) -> Optional[int]:
    """write_bytes from the content of /proc/PID/io, None when it is missing."""
    for line in text.splitlines():
        if line.startswith("write_bytes:"):
            try:
                return int(line.split(":", 1)[1])
            except ValueError:
                return None
    return None


def parse_stat(text: str) -> Tuple[str, int]:
    """(comm, start time) from /proc/PID/stat; comm may hold spaces and parentheses."""
    lp, rp = text.index("("), text.rindex(")")
    rest = text[rp + 2:].split()
    return text[lp + 1:rp], int(rest[19])          # field 22 overall = 20th after comm


def _read(path: str) -> str:
    from lvslite.files import read_text
    return read_text(path, 65536)


def open_devices(proc_root: str, pid: int) -> Tuple[Tuple[int, int], ...]:
    """(major, minor) of every device process `pid` has a file open on, or its cwd is on."""
    base = f"{proc_root}/{pid}"
    try:
        paths = [f"{base}/fd/{fd}" for fd in os.listdir(base + "/fd")] + [base + "/cwd"]
    except OSError:
        return ()
    out = set()
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            continue                                # closed meanwhile, or a socket's peer
        num = st.st_rdev if stat.S_ISBLK(st.st_mode) else st.st_dev
        if os.major(num):                           # 0: tmpfs, proc, pipes: no block device
            out.add((os.major(num), os.minor(num)))
    return tuple(sorted(out))


def _snapshot_proc(proc_root: str) -> Dict[Key, Proc]:
    out: Dict[Key, Proc] = {}
    try:
        pids = [int(d) for d in os.listdir(proc_root) if d.isdigit()]
    except OSError:
        return out
    for pid in pids:
        base = f"{proc_root}/{pid}"
        try:
            wb = parse_io(_read(base + "/io"))
            if not wb:
                continue
            name, start = parse_stat(_read(base + "/stat"))
        except (OSError, ValueError, IndexError):
            continue                                # gone, or not ours to read
        out[(pid, start)] = Proc(pid, start, name, wb, open_devices(proc_root, pid))
    return out


def _snapshot_psutil(psutil) -> Dict[Key, Proc]:
    out: Dict[Key, Proc] = {}
    for p in psutil.process_iter():
        try:
            with p.oneshot():
                wb = p.io_counters().write_bytes
                if not wb:
                    continue
                # psutil's name() recovers names longer than comm's 15 characters.
                start = int(p.create_time() * 100)
                out[(p.pid, start)] = Proc(p.pid, start, p.name(), wb,
                                           open_devices("/proc", p.pid))
        except (psutil.Error, OSError, AttributeError):
            continue
    return out


def snapshot(proc_root: str = "/proc", use_psutil: bool = True) -> Dict[Key, Proc]:
    """Every readable process that has written anything, keyed by (pid, start)."""
    if use_psutil and proc_root == "/proc":
        try:
            import psutil  # optional: only adds untruncated names
        except ImportError:
            psutil = None
        if psutil is not None:
            return _snapshot_psutil(psutil)
    return _snapshot_proc(proc_root)


def available(proc_root: str = "/proc") -> bool:
    """Whether this kernel keeps per-process I/O accounting at all."""
    return os.path.exists(f"{proc_root}/self/io")


def attributed(snaps: Sequence[ProcSnapshot]) -> bool:
    """Whether every writer's devices were recorded (a side log from before has none)."""
    return all(p.devices is not None for s in snaps for p in s.procs.values())


def top_writers(snaps: Sequence[ProcSnapshot], n: int = 5,
                devices: Optional[Iterable[Tuple[int, int]]] = None) -> List[Writer]:
    """The n processes that wrote most between the first and the last snapshot; with
    `devices`, only those that had a file open on one of them in some snapshot.

    A process missing from the previous snapshot had written nothing then (snapshots keep
    only writers) or did not exist, so all it shows was written in the window. A process
    that exited between snapshots loses its last partial delta.
    """
    total: Dict[Key, int] = {}
    names: Dict[Key, str] = {}
    touched: set = set()
    wanted = set(devices) if devices is not None else None
    for s in snaps:
        for key, p in s.procs.items():
            if wanted is None or (p.devices and wanted.intersection(p.devices)):
                touched.add(key)
    for prev, cur in zip(snaps, snaps[1:]):
        for key, p in cur.procs.items():
            old = prev.procs.get(key)
            d = p.write_bytes - (old.write_bytes if old else 0)
            if d > 0 and key in touched:
                total[key] = total.get(key, 0) + d
            names[key] = p.name
    ranked = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
    return [Writer(k[0], names[k], b) for k, b in ranked[:n]]


def format_snapshot(t: float, procs: Dict[Key, Proc]) -> str:
    """A block of the writers side log: '@ t' then 'pid start write_bytes devices name'
    lines; devices is 'MAJ:MIN,...', or '-' for none."""
    lines = [f"@ {t:.3f}"]
    for (pid, start), p in sorted(procs.items()):
        devs = ",".join(f"{a}:{b}" for a, b in p.devices or ()) or "-"
        lines.append(f"{pid} {start} {p.write_bytes} {devs} {p.name}")
    return "\n".join(lines) + "\n"


def _devices(word: str) -> Optional[Tuple[Tuple[int, int], ...]]:
    """'8:1,7:0' or '-' as devices; None when `word` is not that (a log from before)."""
    if word == "-":
        return ()
    out = []
    for item in word.split(","):
        a, sep, b = item.partition(":")
        if not (sep and a.isdigit() and b.isdigit()):
            return None
        out.append((int(a), int(b)))
    return tuple(out)


def parse_snapshots(text: str) -> List[ProcSnapshot]:
    """The writers side log back into snapshots; malformed lines are skipped (it is a hint)."""
    out: List[ProcSnapshot] = []
    t: Optional[float] = None
    procs: Dict[Key, Proc] = {}
    for line in text.split("\n")[:-1]:          # an unterminated last line is dropped
        if line.startswith("@"):
            if t is not None:
                out.append(ProcSnapshot(t, procs))
            try:
                t = float(line[1:])
            except ValueError:
                t = None
            procs = {}
            continue
        parts = line.split(" ", 3)
        if t is None or len(parts) != 4:
            continue
        try:
            pid, start, wb = int(parts[0]), int(parts[1]), int(parts[2])
        except ValueError:
            continue
        word, _, rest = parts[3].partition(" ")
        devs = _devices(word) if rest else None
        procs[(pid, start)] = Proc(pid, start, rest if devs is not None else parts[3], wb,
                                   devs)
    if t is not None:
        out.append(ProcSnapshot(t, procs))
    return out


def within(snaps: Iterable[ProcSnapshot], t0: float, t1: float) -> List[ProcSnapshot]:
    """The snapshots taken inside a window (with a second of slack for the sampling order)."""
    return [s for s in snaps if t0 - 1.0 <= s.t <= t1 + 1.0]
