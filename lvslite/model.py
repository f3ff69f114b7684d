"""The IPVS table as values: what the config wants, what the kernel has, what to change.

Shared by every layer (config, reconcile, backends, daemon): plain frozen dataclasses, no I/O,
no kernel. Addresses are kept in their canonical text form (ipaddress's compressed form), so
two equal tables compare equal whichever side (JSON, netlink, ipvsadm) they came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

PROTOCOLS = ("tcp", "udp", "sctp")
FORWARDS = ("gate", "masq", "ipip")
# DESIGN.md §4.1: every scheduler the kernel ships (ip_vs_<name>.ko).
SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf",
              "mh")
DEFAULT_SCHEDULER = "wlc"


@dataclass(frozen=True, order=True)
class ServiceKey:
    """What identifies a virtual service in the kernel: (af, protocol, address, port) or
    (af, fwmark). For fwmark services protocol and address are "" and port is 0."""
    af: int              # 4 or 6
    protocol: str        # "tcp" | "udp" | "sctp" | "" (fwmark)
    address: str         # canonical IP text, "" for fwmark
    port: int            # 1..65535, 0 for fwmark
    fwmark: int = 0      # > 0 for fwmark services

    def __str__(self) -> str:
        if self.fwmark:
            return f"fwmark:{self.fwmark}" + ("/v6" if self.af == 6 else "")
        host = f"[{self.address}]" if self.af == 6 else self.address
        return f"{self.protocol} {host}:{self.port}"


@dataclass(frozen=True, order=True)
class RealKey:
    """A real server within a service: address and port (port 0 allowed for fwmark reals)."""
    address: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Real:
    key: RealKey
    weight: int = 1
    forward: str = "gate"


@dataclass(frozen=True)
class VirtualService:
    """One virtual service with the reals that should be (or are) in the kernel table."""
    key: ServiceKey
    scheduler: str = DEFAULT_SCHEDULER
    persistent: int = 0          # seconds; 0 = not persistent
    netmask: int = 32            # persistence granularity as a prefix length (32 / 128 = host)
    flags: int = 0               # scheduler flags as the kernel reports them (sh-fallback...)
    reals: Tuple[Real, ...] = ()  # sorted by key

    def real_map(self) -> Dict[RealKey, Real]:
        return {r.key: r for r in self.reals}


# A whole table: what the kernel holds, or what it should hold.
Table = Dict[ServiceKey, VirtualService]


@dataclass(frozen=True)
class ServiceConfig:
    """One service of the config file: the kernel-level service with ALL its configured reals,
    plus what only the agent uses (fallback, quiescent, health check)."""
    service: VirtualService
    fallback: Optional[Real] = None
    quiescent: bool = False
    check: Optional[dict] = field(default=None, compare=False, hash=False)
    path: str = ""               # JSON path of this service, e.g. "services[1]", for messages
    # issue 4: never take out more reals than would leave fewer than this fraction in (0 = off)
    depool_threshold: float = 0.0


@dataclass(frozen=True)
class Config:
    services: Tuple[ServiceConfig, ...] = ()


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
