"""Operations on the IPVS table as values, and their ipvsadm command lines.

Reconcile produces a list of `Op`; every backend consumes the same list. The ipvsadm rendering
lives here because two layers need it and must agree: `apply --dry-run` prints it and the
ipvsadm backend executes it. Pure: no I/O.
"""
from __future__ import annotations

from lvslite.model import Real, ServiceKey, VirtualService

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Iterable

ADD_SERVICE = "add-service"
EDIT_SERVICE = "edit-service"
DEL_SERVICE = "del-service"
ADD_REAL = "add-real"
EDIT_REAL = "edit-real"
DEL_REAL = "del-real"
KINDS = (ADD_SERVICE, EDIT_SERVICE, DEL_SERVICE, ADD_REAL, EDIT_REAL, DEL_REAL)

# Service flags, from the kernel's include/uapi/linux/ip_vs.h (IP_VS_SVC_F_*).
F_PERSISTENT = 0x0001
F_HASHED = 0x0002          # set by the kernel itself; never sent (it breaks hashing on add)
F_ONEPACKET = 0x0004
F_SCHED1 = 0x0008          # sh-fallback / mh-fallback
F_SCHED2 = 0x0010          # sh-port / mh-port
F_SCHED3 = 0x0020
# What VirtualService.flags may hold: the flags a user sets (-o, -b); persistence is its own
# field and HASHED is the kernel's bookkeeping.
USER_FLAGS = F_ONEPACKET | F_SCHED1 | F_SCHED2 | F_SCHED3
SCHED_FLAGS = F_SCHED1 | F_SCHED2 | F_SCHED3

# ipvsadm's option per protocol and per forwarding method (ipvsadm.c, ipvsadm(8)).
PROTO_OPTION = {"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}
FORWARD_SWITCH = {"gate": "-g", "masq": "-m", "ipip": "-i"}


class Op:
    """One change. For service ops `service` carries the attributes to set (for a delete, the
    kernel's entry); for real ops only `service.key` matters and `real` is the real to add,
    set or delete. Immutable; a plain slotted class, not a dataclass, because apply can make
    thousands and dataclasses would pull `inspect` into the agent."""
    __slots__ = ("kind", "service", "real")

    def __init__(self, kind: str, service: VirtualService, real: Real | None = None) -> None:
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "service", service)
        object.__setattr__(self, "real", real)

    def __setattr__(self, name, value):
        raise AttributeError("Op is immutable")

    def __eq__(self, other) -> bool:
        if not isinstance(other, Op):
            return NotImplemented
        return (self.kind, self.service, self.real) == (other.kind, other.service, other.real)

    def __hash__(self) -> int:
        return hash((self.kind, self.service.key, self.real))

    def __repr__(self) -> str:
        return f"Op({self.kind!r}, {self.service!r}, {self.real!r})"

    @property
    def key(self) -> ServiceKey:
        return self.service.key

    def __str__(self) -> str:
        return command_line(self)


# --------------------------------------------------------------------------- summary

def summary(ops: Iterable[Op]) -> tuple[int, int, int]:
    """(added, changed, removed): one count per operation, so the three add up to len(ops).
    Deleting a service counts once, whatever number of reals went with it."""
    added = changed = removed = 0
    for op in ops:
        if op.kind in (ADD_SERVICE, ADD_REAL):
            added += 1
        elif op.kind in (EDIT_SERVICE, EDIT_REAL):
            changed += 1
        else:
            removed += 1
    return added, changed, removed


def summary_line(ops: Iterable[Op]) -> str:
    """The last line `apply` prints (docs/design.md#the-agents-data-flow)."""
    return "%d added, %d changed, %d removed" % summary(ops)


# --------------------------------------------------------------------------- rendering

def hostport(address: str, port: int) -> str:
    return f"[{address}]:{port}" if ":" in address else f"{address}:{port}"


def netmask_text(af: int, prefix: int) -> str | None:
    """The -M argument for a persistence granularity, None for a single host (the default).
    IPv4 takes a dotted mask, IPv6 a prefix length (ipvsadm(8))."""
    if af == 6:
        return None if prefix >= 128 else str(prefix)
    if prefix >= 32:
        return None
    mask = (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF
    return ".".join(str((mask >> s) & 0xFF) for s in (24, 16, 8, 0))


def prefix_of(mask: int) -> int:
    """Leading one bits of a 32-bit IPv4 mask (a non-contiguous mask is cut at its first
    hole): the persistence granularity as a prefix length."""
    n = 0
    while n < 32 and mask & (0x80000000 >> n):
        n += 1
    return n


def sched_flag_names(scheduler: str, flags: int) -> list[str]:
    """-b names in the order ipvsadm prints them; bits without a name for this scheduler
    fall back to the generic flag-N (which ipvsadm accepts for any scheduler)."""
    names = []
    if scheduler in ("sh", "mh"):
        if flags & F_SCHED1:
            names.append(f"{scheduler}-fallback")
        if flags & F_SCHED2:
            names.append(f"{scheduler}-port")
        if flags & F_SCHED3:
            names.append("flag-3")
    else:
        for bit, name in ((F_SCHED1, "flag-1"), (F_SCHED2, "flag-2"), (F_SCHED3, "flag-3")):
            if flags & bit:
                names.append(name)
    return names


def service_spec(key: ServiceKey) -> list[str]:
    if key.fwmark:
        return ["-f", str(key.fwmark)] + (["-6"] if key.af == 6 else [])
    return [PROTO_OPTION[key.protocol], hostport(key.address, key.port)]


def service_options(svc: VirtualService) -> list[str]:
    """Every attribute, always: `ipvsadm -E` resets whatever it is not given."""
    args = ["-s", svc.scheduler]
    if svc.persistent:
        args += ["-p", str(svc.persistent)]
        mask = netmask_text(svc.key.af, svc.netmask)
        if mask is not None:
            args += ["-M", mask]
    if svc.flags & F_ONEPACKET:
        args.append("-o")
    names = sched_flag_names(svc.scheduler, svc.flags)
    if names:
        args += ["-b", ",".join(names)]
    return args


def argv(op: Op) -> list[str]:
    """The ipvsadm arguments (without the program name) that perform `op`."""
    spec = service_spec(op.key)
    if op.kind == ADD_SERVICE:
        return ["-A"] + spec + service_options(op.service)
    if op.kind == EDIT_SERVICE:
        return ["-E"] + spec + service_options(op.service)
    if op.kind == DEL_SERVICE:
        return ["-D"] + spec
    real = op.real
    if real is None:
        raise ValueError(f"{op.kind} without a real")
    target = ["-r", hostport(real.key.address, real.key.port)]
    if op.kind == DEL_REAL:
        return ["-d"] + spec + target
    flag = "-a" if op.kind == ADD_REAL else "-e"
    if op.kind not in (ADD_REAL, EDIT_REAL):
        raise ValueError(f"unknown operation {op.kind!r}")
    return [flag] + spec + target + [FORWARD_SWITCH[real.forward], "-w", str(real.weight)]


def command_line(op: Op) -> str:
    return "ipvsadm " + " ".join(argv(op))
