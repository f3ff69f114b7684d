"""What lvslite remembers between runs, in its state directory: the services it created.

The state directory is the only place the agent writes (docs/design.md#the-state-directory): /run/lvslite, a
tmpfs, by default, or $LVSLITE_STATE_DIR. It is cleared by a reboot together with the
kernel's IPVS table, which is what we want: ownership means "created since boot".

Writes are atomic (a temporary file in the same directory, fsync, rename), so a power cut or
a second lvslite never sees half a file. An unreadable state file is treated as "owns
nothing", the safe side: lvslite then deletes nothing it did not see itself create.
"""
from __future__ import annotations

import json
import os

from lvslite.atomic import write_atomically

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Iterable

DEFAULT_DIR = "/run/lvslite"
OWNED_FILE = "owned.json"
PID_FILE = "lvslite.pid"        # the daemon's
VERSION = 1


class StateError(Exception):
    """The state directory cannot be used; the message says which path and what to do."""


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


def save_owned(keys: Iterable[tuple], directory: str | None = None) -> bool:
    """Remember `keys` as the services lvslite created; False if that is already what the
    file says (nothing written)."""
    keys = sorted(set(keys))
    if set(keys) == load_owned(directory) and os.path.exists(_path(directory)):
        return False
    d = ensure_dir(directory)
    path = _path(d)
    tmp = f"{path}.{os.getpid()}.tmp"
    data = json.dumps({"version": VERSION, "owned": [list(k) for k in keys]},
                      indent=1) + "\n"
    try:
        write_atomically(path, data.encode("utf-8"), tmp)
    except OSError as exc:
        raise StateError(f"{path}: cannot write the state file: {exc.strerror} "
                         f"(is {d} full or read-only?)") from None
    return True
