"""What lvslite remembers between runs, in its state directory: the services it owns, and the
lock that makes it the only writer of the kernel's table.

The state directory is the only place the agent writes (docs/design.md#the-state-directory): /run/lvslite, a
tmpfs, by default, or $LVSLITE_STATE_DIR. It is cleared by a reboot together with the
kernel's IPVS table, which is what we want: ownership means "created since boot".

Writes are atomic (a temporary file in the same directory, fsync, rename), so a power cut or
a second lvslite never sees half a file. An unreadable state file is treated as "owns
nothing", the safe side: lvslite then deletes nothing it did not see itself create.

Ownership is recorded as an intent (docs/design.md#ownership): before the first kernel write
the owned set grows by every configured service (Ledger.record), after the writes it shrinks
by the services whose removal took effect. A run killed at any point leaves an owned set
that covers everything it may have created, so the next run can finish the job.

One writer at a time (docs/design.md#one-writer-at-a-time): `apply` holds the lock file
for its run, the daemon for its life (take_lock). It is an flock, so the kernel releases it
when its holder dies, however it dies; the file keeps the holder's pid and command so that a
second writer can say who is in the way.
"""
from __future__ import annotations

import json
import os
import time

from lvslite.atomic import write_atomically

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Iterable

DEFAULT_DIR = "/run/lvslite"
OWNED_FILE = "owned.json"
PID_FILE = "lvslite.pid"        # the daemon's
LOCK_FILE = "lvslite.lock"      # "<pid> <command>" of the writer holding it
VERSION = 1
SLACK = 16384                   # room kept for the last write of a run beyond its own size


class StateError(Exception):
    """The state directory cannot be used; the message says which path and what to do."""


class LockBusy(StateError):
    """Another lvslite holds the state directory's lock: `pid` and `command` (None, "" when
    it did not say)."""

    def __init__(self, message: str, pid: int | None, command: str) -> None:
        super().__init__(message)
        self.pid, self.command = pid, command


def state_dir() -> str:
    return os.environ.get("LVSLITE_STATE_DIR") or DEFAULT_DIR


def _path(directory: str | None) -> str:
    return os.path.join(directory or state_dir(), OWNED_FILE)


def load_owned(directory: str | None = None) -> set:
    """The services lvslite created (empty when nothing was ever saved). Reads only.

    The keys come back as plain tuples (af, protocol, address, port, fwmark), which compare
    and hash equal to lvslite.model.ServiceKey: building 1000 ServiceKeys on every apply
    cost more than the rest of a one-change reconcile's reading. A malformed entry can only
    fail to match any service, and is dropped at the next save (owned_after keeps only keys
    the kernel has)."""
    path = _path(directory)
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
        if doc.get("version") != VERSION:
            return set()
        return set(map(tuple, doc["owned"]))
    except FileNotFoundError:
        return set()
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return set()


def ensure_dir(directory: str | None = None) -> str:
    """Create the state directory if needed and check it is writable; before any kernel
    change, so a run that could not remember what it created never creates anything."""
    d = directory or state_dir()
    try:
        os.makedirs(d, mode=0o755, exist_ok=True)
    except OSError as exc:
        raise StateError(f"{d}: cannot create the state directory: {exc.strerror} "
                         f"(set LVSLITE_STATE_DIR to a writable tmpfs folder)") from None
    if not os.access(d, os.W_OK | os.X_OK):
        raise StateError(f"{d}: the state directory is not writable "
                         f"(set LVSLITE_STATE_DIR to a writable tmpfs folder)")
    return d


def _owned_data(keys: Iterable[tuple]) -> bytes:
    return (json.dumps({"version": VERSION, "owned": [list(k) for k in sorted(set(keys))]},
                       indent=1) + "\n").encode("utf-8")


def _write_owned(data: bytes, directory: str | None) -> None:
    d = ensure_dir(directory)
    path = _path(d)
    try:
        write_atomically(path, data, f"{path}.{os.getpid()}.tmp")
    except OSError as exc:
        raise StateError(f"{path}: cannot write the state file: {exc.strerror} "
                         f"(is {d} full or read-only?)") from None


def save_owned(keys: Iterable[tuple], directory: str | None = None) -> bool:
    """Remember `keys` as the services lvslite owns; False if that is already what the
    file says (nothing written)."""
    keys = set(keys)
    if keys == load_owned(directory) and os.path.exists(_path(directory)):
        return False
    _write_owned(_owned_data(keys), directory)
    return True


def check_room(directory: str, need: int) -> None:
    """StateError unless the file system of `directory` has `need` bytes free (and SLACK)."""
    try:
        st = os.statvfs(directory)
    except OSError:
        return      # cannot tell: the writes themselves will say
    free = st.f_bavail * st.f_frsize
    if free < need + SLACK:
        raise StateError(f"{directory}: only {free} bytes free, {need + SLACK} needed to "
                         f"record this run (free some space, or set LVSLITE_STATE_DIR to a "
                         f"bigger tmpfs)")


class Ledger:
    """The owned set of one writer, in memory, and owned.json as far as it could be written.

    `strict` (apply): a failed write raises StateError. Otherwise (the daemon, which must go
    on checking and failing over with a read-only state directory) the set is kept in
    memory, `error` says why the file lags behind, and flush() tries again."""

    def __init__(self, directory: str | None = None, strict: bool = True) -> None:
        self.directory = directory or state_dir()
        self.strict = strict
        self.keys = load_owned(self.directory)
        exists = os.path.exists(_path(self.directory))
        self.saved: set | None = set(self.keys) if exists else None   # what the file holds
        self.error: StateError | None = None

    def record(self, keys: Iterable[tuple], room: bool = False) -> None:
        """Own exactly `keys` from now on, and write them unless the file already says so;
        with `room`, also check there is space for one more write of that size."""
        self.keys = set(keys)
        if self.keys == self.saved and not room:
            return
        try:
            data = _owned_data(self.keys)
            if self.keys != self.saved:
                _write_owned(data, self.directory)
                self.saved = set(self.keys)
            if room:
                check_room(self.directory, len(data))
            self.error = None
        except StateError as exc:
            self.error = exc
            if self.strict:
                raise

    def flush(self) -> bool:
        """Write the set if the file lags behind; whether it is now up to date."""
        if self.keys != self.saved:
            self.record(self.keys)
        return self.keys == self.saved


def _holder(path: str) -> tuple:
    """(pid, command) the lock file names; (None, "") when it names none."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            pid, _, command = fh.read(200).strip().partition(" ")
        return int(pid), command
    except (OSError, ValueError):
        return None, ""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True     # EPERM: it exists
    return True


def busy_message(directory: str, pid: int | None, command: str) -> str:
    who = f"pid {pid}" if pid is not None else "pid unknown"
    if command == "run":
        return (f"{directory}: the lvslite daemon ({who}) owns the IPVS table: change its "
                f"config and reload it with `kill -HUP {pid if pid is not None else '<pid>'}`"
                f" (or stop it first)")
    doing = f"`lvslite {command}`, " if command else ""
    return (f"{directory}: another lvslite ({doing}{who}) is changing the IPVS table: run "
            f"again when it is done, or wait for it with `lvslite apply --wait`")


def take_lock(command: str, directory: str | None = None, wait: float | None = 0.0) -> int:
    """Become the state directory's only writer: the lock file's descriptor, held until it
    is closed (or this process ends). `wait` seconds at most (None: as long as it takes);
    LockBusy names the holder. The file is never removed: a writer waiting on a removed
    file would hold a lock nobody else sees."""
    import fcntl
    d = ensure_dir(directory)
    path = os.path.join(d, LOCK_FILE)
    try:    # held read-only: an fd open for writing would keep `mount -o remount,ro` out
        fd = os.open(path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise StateError(f"{path}: cannot open the lock file: {exc.strerror} (is {d} "
                         f"read-only? set LVSLITE_STATE_DIR to a writable tmpfs folder)"
                         ) from None
    deadline = None if wait is None else time.monotonic() + wait
    pause = 0.02
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if deadline is not None and time.monotonic() >= deadline:
                pid, cmd = _holder(path)
                for _ in range(5):      # the holder may not have written itself in yet
                    if pid is not None and _alive(pid):
                        break
                    time.sleep(0.02)
                    pid, cmd = _holder(path)
                os.close(fd)
                raise LockBusy(busy_message(d, pid, cmd), pid, cmd) from None
            time.sleep(pause if deadline is None else
                       max(0.0, min(pause, deadline - time.monotonic())))
            pause = min(pause * 2, 0.25)
    try:
        with open(path, "w") as fh:
            fh.write(f"{os.getpid()} {command}\n")
    except OSError:
        pass    # full or read-only: the lock holds all the same, only its holder goes unnamed
    return fd
