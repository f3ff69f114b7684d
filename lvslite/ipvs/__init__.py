"""The only door to the kernel's IPVS table (docs/design.md#the-agents-data-flow: all kernel talk behind one seam).

Backends share one small interface, so `apply` and `export` never know which one they hold:

    backend.dump() -> Table          the live table, as model values
    backend.save_text() -> str       the live table exactly as `ipvsadm -S -n` prints it
    backend.apply(ops) -> None       run the ops in order; IPVSError says which one failed
    backend.close() -> None

`netlink` (default) speaks generic netlink with the standard library; `ipvsadm` forks the
ipvsadm binary once per operation. Each is imported only when asked for: `lvslite check`
and `--dry-run` of a config that fails validation never load either.
"""
from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Sequence


BACKENDS = ("netlink", "ipvsadm")


class IPVSError(Exception):
    """The kernel refused, or IPVS cannot be reached. The message says what to load or check.

    `done` lists the operations that did take effect before (or despite) the failure, so the
    caller can remember which services it created even when an apply stops half way.
    """

    def __init__(self, message: str, errno: int | None = None,
                 done: Sequence = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno
        self.done = list(done)

    def __str__(self) -> str:
        return self.message


# What both backends say, in the same words, for the refusals a person can fix.
NOT_AVAILABLE = "IPVS is not available: load the ip_vs module (modprobe ip_vs)"
PERMISSION = ("permission denied by the kernel (programming IPVS needs root, or CAP_NET_ADMIN "
              "in the director's network namespace)")


def no_scheduler(thing: str, scheduler: str) -> str:
    return (f"{thing}: the kernel has no IPVS scheduler '{scheduler}' (load it: modprobe "
            f"ip_vs_{scheduler}, or pick another scheduler)")


def more_failed(n: int) -> str:
    """The tail of an IPVSError message when the first failure was not the only one."""
    return f" ({n} more operation{'s' if n > 1 else ''} failed)" if n else ""


FAULT_ENV = "LVSLITE_FAULT_AFTER_OPS"


def fault_limit() -> int | None:
    """A test hook, off by default: with $LVSLITE_FAULT_AFTER_OPS set to N (or N:stop), a
    backend's apply() stops its own process with SIGKILL (SIGSTOP) once exactly N of its
    operations were acknowledged, N = 0 before the first. tests/vm/test_faults.py kills
    applies at points it draws from their operation counts. Costs one environment lookup
    per apply."""
    import os
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return None
    return int(spec.partition(":")[0])


def fault_fire() -> None:
    import os
    import signal
    stop = os.environ.get(FAULT_ENV, "").endswith(":stop")
    os.kill(os.getpid(), signal.SIGSTOP if stop else signal.SIGKILL)


def open_backend(name: str = "netlink"):
    """A connected backend by name; raises IPVSError when IPVS cannot be reached."""
    if name == "netlink":
        from lvslite.ipvs.netlink import NetlinkBackend
        return NetlinkBackend()
    if name == "ipvsadm":
        from lvslite.ipvs.ipvsadm import IpvsadmBackend
        return IpvsadmBackend()
    raise ValueError(f"unknown backend {name!r} (expected one of {', '.join(BACKENDS)})")
