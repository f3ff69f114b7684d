"""The IPVS table as values: what the config wants, what the kernel has, what to change.

Shared by every layer (config, reconcile, backends, daemon): immutable values, no I/O, no
kernel. Addresses are kept in their canonical text form (ipaddress's compressed form), so
two equal tables compare equal whichever side (JSON, netlink, ipvsadm) they came from.

The table values (ServiceKey, RealKey, Real, VirtualService) are tuples with named fields,
not dataclasses: equality, hashing and ordering then run in C (a 1000-service diff compares
5000 of them), a plain tuple read back from the state directory's snapshot compares equal to
the value it was made from, and the agent does not import dataclasses (+2.5 MB RSS with the
`inspect` it pulls in) or typing (+1.6 MB) on a 64 MB box.
"""
from __future__ import annotations

from operator import itemgetter

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only
    from lvslite.checks.spec import CheckSpec

PROTOCOLS = ("tcp", "udp", "sctp")
FORWARDS = ("gate", "masq", "ipip")
# docs/config.md#services: every scheduler the kernel ships (ip_vs_<name>.ko).
SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf",
              "mh")
DEFAULT_SCHEDULER = "wlc"


def host_prefix(af: int) -> int:
    """The persistence netmask of a single client: /32, or /128 for IPv6."""
    return 128 if af == 6 else 32


def prefix_of(mask: int) -> int:
    """Leading one bits of a 32-bit IPv4 mask (a non-contiguous mask is cut at its first
    hole): the persistence granularity as a prefix length."""
    n = 0
    while n < 32 and mask & (0x80000000 >> n):
        n += 1
    return n


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


class Record(tuple):
    """A tuple whose fields also have names (a namedtuple without importing collections).

    A subclass declares `__slots__ = ()`, `_fields` and a `__new__` with its defaults; a
    read-only property per field is made from `_fields` here."""
    __slots__ = ()
    _fields: tuple = ()

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        for index, name in enumerate(cls.__dict__.get("_fields", ())):
            if name not in cls.__dict__:
                setattr(cls, name, property(itemgetter(index)))

    def __repr__(self) -> str:
        inner = ", ".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
        return f"{type(self).__name__}({inner})"

    def __getnewargs__(self) -> tuple:      # copy and pickle call __new__ with the fields
        return tuple(self)

    def replace(self, **changes):
        """A copy with some fields changed (dataclasses.replace)."""
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise TypeError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        return type(self)(*(changes.get(f, v) for f, v in zip(self._fields, self)))


class ServiceKey(Record):
    """What identifies a virtual service in the kernel: (af, protocol, address, port) or
    (af, fwmark). For fwmark services protocol and address are "" and port is 0."""
    __slots__ = ()
    _fields = ("af", "protocol", "address", "port", "fwmark")
    # af:       4 or 6
    # protocol: "tcp" | "udp" | "sctp" | "" (fwmark)
    # address:  canonical IP text, "" for fwmark
    # port:     1..65535, 0 for fwmark
    # fwmark:   > 0 for fwmark services

    def __new__(cls, af: int, protocol: str, address: str, port: int, fwmark: int = 0):
        return tuple.__new__(cls, (af, protocol, address, port, fwmark))

    def __str__(self) -> str:
        if self.fwmark:
            return f"fwmark:{self.fwmark}" + ("/v6" if self.af == 6 else "")
        host = f"[{self.address}]" if self.af == 6 else self.address
        return f"{self.protocol} {host}:{self.port}"


class RealKey(Record):
    """A real server within a service: address and port (port 0 allowed for fwmark reals)."""
    __slots__ = ()
    _fields = ("address", "port")

    def __new__(cls, address: str, port: int):
        return tuple.__new__(cls, (address, port))

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


class Real(Record):
    __slots__ = ()
    _fields = ("key", "weight", "forward")

    def __new__(cls, key: RealKey, weight: int = 1, forward: str = "gate"):
        return tuple.__new__(cls, (key, weight, forward))


class VirtualService(Record):
    """One virtual service with the reals that should be (or are) in the kernel table."""
    __slots__ = ()
    _fields = ("key", "scheduler", "persistent", "netmask", "flags", "reals")
    # persistent: seconds; 0 = not persistent
    # netmask:    persistence granularity as a prefix length (32 / 128 = host)
    # flags:      scheduler flags as the kernel reports them
    # reals:      tuple of Real, sorted by key

    def __new__(cls, key: ServiceKey, scheduler: str = DEFAULT_SCHEDULER, persistent: int = 0,
                netmask: int = 32, flags: int = 0, reals: tuple = ()):
        return tuple.__new__(cls, (key, scheduler, persistent, netmask, flags, reals))

    @classmethod
    def of(cls, value) -> VirtualService:
        """`value` as a VirtualService: itself, or one rebuilt from the plain nested tuples
        a snapshot holds (lvslite.snapshot), which compare equal to it."""
        if type(value) is cls:
            return value
        key, scheduler, persistent, netmask, flags, reals = value
        return cls(ServiceKey(*key), scheduler, persistent, netmask, flags,
                   tuple(Real(RealKey(*rkey), weight, forward)
                         for rkey, weight, forward in reals))

    def real_map(self) -> dict:
        """RealKey -> Real."""
        return {r.key: r for r in self.reals}


# A whole table, what the kernel holds or what it should hold: a dict ServiceKey ->
# VirtualService (a plain dict; the name is for annotations).
Table = dict


# --------------------------------------------------------------------------- changes

ADD_SERVICE = "add-service"
EDIT_SERVICE = "edit-service"
DEL_SERVICE = "del-service"
ADD_REAL = "add-real"
EDIT_REAL = "edit-real"
DEL_REAL = "del-real"
KINDS = (ADD_SERVICE, EDIT_SERVICE, DEL_SERVICE, ADD_REAL, EDIT_REAL, DEL_REAL)


class Op:
    """One change of the kernel's table, as reconcile decides it and every backend performs
    it. For service ops `service` carries the attributes to set (for a delete, the kernel's
    entry); for real ops only `service.key` matters and `real` is the real to add, set or
    delete. Immutable; a plain slotted class, not a dataclass, because apply can make
    thousands and dataclasses would pull `inspect` into the agent. Prints as the ipvsadm
    command line that performs it (lvslite.ipvs.ops)."""
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
        from lvslite.ipvs.ops import command_line
        return command_line(self)


def summary(ops) -> tuple:
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


# --------------------------------------------------------------------------- the config

class ServiceConfig:
    """One service of the config file: the kernel-level service with ALL its configured reals,
    plus what only the agent uses (fallback, quiescent, health check). Immutable; two are
    equal when everything but the health check is (the daemon compares checks itself)."""
    __slots__ = ("service", "fallback", "quiescent", "check", "path", "depool_threshold")

    def __init__(self, service: VirtualService, fallback: Real | None = None,
                 quiescent: bool = False, check: CheckSpec | None = None, path: str = "",
                 depool_threshold: float = 0.0) -> None:
        # check: the health check (lvslite.checks.spec.CheckSpec); None = the default one.
        # path: the JSON path of this service, e.g. "services[1]", for messages.
        # depool_threshold: never take out more reals than would leave fewer than this
        # fraction in (0 = off).
        for name, value in (("service", service), ("fallback", fallback),
                            ("quiescent", quiescent), ("check", check), ("path", path),
                            ("depool_threshold", depool_threshold)):
            object.__setattr__(self, name, value)

    def __setattr__(self, name, value):
        raise AttributeError(f"ServiceConfig is immutable (cannot set {name})")

    def _compared(self) -> tuple:
        return (self.service, self.fallback, self.quiescent, self.path, self.depool_threshold)

    def __eq__(self, other) -> bool:
        if type(other) is not ServiceConfig:
            return NotImplemented
        return self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    def __repr__(self) -> str:
        return (f"ServiceConfig(service={self.service!r}, fallback={self.fallback!r}, "
                f"quiescent={self.quiescent!r}, check={self.check!r}, path={self.path!r}, "
                f"depool_threshold={self.depool_threshold!r})")


class Config(Record):
    """The whole config file, validated."""
    __slots__ = ()
    _fields = ("services",)
    # services: tuple of ServiceConfig, in file order

    def __new__(cls, services: tuple = ()):
        return tuple.__new__(cls, (services,))


def apply_table(config: Config) -> Table:
    """The table `lvslite apply` programs: every configured real in (checks are ignored);
    the fallback only for a service that has no reals at all."""
    table: Table = {}
    for sc in config.services:
        svc = sc.service
        if not svc.reals and sc.fallback is not None:
            svc = VirtualService(svc.key, svc.scheduler, svc.persistent, svc.netmask, svc.flags,
                                 (sc.fallback,))
        table[svc.key] = svc
    return table
