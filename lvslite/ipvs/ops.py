"""Operations on the IPVS table (lvslite.model.Op) as ipvsadm command lines.

Reconcile produces a list of `Op`; every backend consumes the same list. The ipvsadm rendering
lives here because two layers need it and must agree: `apply --dry-run` prints it and the
ipvsadm backend executes it. Pure: no I/O.
"""
from __future__ import annotations

from lvslite.model import (ADD_REAL, ADD_SERVICE, DEL_REAL, DEL_SERVICE, EDIT_REAL,
                           EDIT_SERVICE, F_ONEPACKET, F_SCHED1, F_SCHED2, F_SCHED3, Op,
                           ServiceKey, VirtualService)

# ipvsadm's option per protocol and per forwarding method (ipvsadm.c, ipvsadm(8)).
PROTO_OPTION = {"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}
FORWARD_SWITCH = {"gate": "-g", "masq": "-m", "ipip": "-i"}


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
