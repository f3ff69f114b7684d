"""A table as text: exactly what `ipvsadm -S -n` prints, or a config `apply` turns back into it.

The ipvsadm form must match ipvsadm 1.31 byte for byte (docs/reference/control-planes.md#the-save-format), quirks included,
as read from ipvsadm.c (print_service_entry, FMT_RULE) and libipvs.c and checked against the
binary in the emulator guest:
- services are sorted with ipvs_cmp_services (fwmark, family, protocol number, address,
  port) and reals with ipvs_cmp_dests (address, port). Both compare by subtracting unsigned
  32-bit values into an int, so addresses more than 2^31 apart compare "backwards"
  (200.0.0.1 sorts before 10.0.0.1) and a fwmark >= 2^31 sorts before fwmark 0. The sort is
  glibc's qsort, a top-down merge sort; it is replayed here step by step, from the order the
  kernel dumped, so the result is identical even where that comparison is not transitive
  (10.x < 100.x < 172.x < 10.x);
- fwmarks print as signed ints (`-f -1` for 4294967295), IPv6 addresses in glibc's
  inet_ntop form inside brackets, tunnel reals end with `--tun-type ipip`, and a flag that
  has no name for sh/mh leaves a bare `-b `.
Pure: no I/O, no kernel.
"""
from __future__ import annotations

import socket

from lvslite.ipvs.ops import FORWARD_SWITCH, PROTO_OPTION, netmask_text, sched_flag_names
from lvslite.model import (F_ONEPACKET, SCHED_FLAGS, Real, RealKey, ServiceKey, Table,
                           VirtualService)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Callable, Sequence, TypeVar
    T = TypeVar("T")

DestOrder = dict[ServiceKey, tuple[RealKey, ...]]   # each service's reals, kernel order

PROTO_NUMBER = {"tcp": 6, "udp": 17, "sctp": 132}     # IPPROTO_*
AF_NUMBER = {4: 2, 6: 10}                             # AF_INET, AF_INET6


# --------------------------------------------------------------------------- ipvsadm's order

def _int32(x: int) -> int:
    """What C does with an unsigned 32-bit difference stored in an int."""
    x &= 0xFFFFFFFF
    return x - 0x100000000 if x & 0x80000000 else x


def _words(address: str) -> list[int]:
    """The 16-byte address union as four ntohl()'d 32-bit words (IPv4: one word, then 0s)."""
    if ":" in address:
        raw = socket.inet_pton(socket.AF_INET6, address)
    else:
        raw = socket.inet_pton(socket.AF_INET, address) + bytes(12)
    return [int.from_bytes(raw[i:i + 4], "big") for i in range(0, 16, 4)]


def _cmp_addr(a1: str, a2: str, af: int) -> int:
    """IPv6 compares the four words in turn, IPv4 the first one only."""
    r = 0
    for x, y in zip(_words(a1), _words(a2)[:4 if af == 6 else 1]):
        r = _int32(x - y)
        if r:
            break
    return r


def cmp_services(s1: VirtualService, s2: VirtualService) -> int:
    """libipvs.c ipvs_cmp_services()."""
    k1, k2 = s1.key, s2.key
    r = _int32(k1.fwmark - k2.fwmark)
    if r:
        return r
    r = AF_NUMBER.get(k1.af, 0) - AF_NUMBER.get(k2.af, 0)
    if r:
        return r
    p1 = 0 if k1.fwmark else PROTO_NUMBER.get(k1.protocol, 0)
    p2 = 0 if k2.fwmark else PROTO_NUMBER.get(k2.protocol, 0)
    if p1 - p2:
        return p1 - p2
    if not k1.fwmark and not k2.fwmark:
        r = _cmp_addr(k1.address, k2.address, k1.af)
        if r:
            return r
    return k1.port - k2.port


def cmp_reals(d1: Real, d2: Real) -> int:
    """libipvs.c ipvs_cmp_dests(): the first real's family decides how both are read."""
    r = _cmp_addr(d1.key.address, d2.key.address, 6 if ":" in d1.key.address else 4)
    if r:
        return r
    return d1.key.port - d2.key.port


def glibc_sort(items: Sequence[T], cmp: Callable[[T, T], int]) -> list[T]:
    """glibc qsort (msort.c): split n/2 | n - n/2, sort each half, merge taking the left
    element while cmp(left, right) <= 0."""
    n = len(items)
    if n <= 1:
        return list(items)
    half = n // 2
    left = glibc_sort(items[:half], cmp)
    right = glibc_sort(items[half:], cmp)
    out: list[T] = []
    i = j = 0
    while i < len(left) and j < len(right):
        if cmp(left[i], right[j]) <= 0:
            out.append(left[i])
            i += 1
        else:
            out.append(right[j])
            j += 1
    out.extend(left[i:])
    out.extend(right[j:])
    return out


# --------------------------------------------------------------------------- ipvsadm -S -n

def _ntop(address: str) -> str:
    if ":" in address:
        return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, address))
    return address


def _addrport(address: str, port: int) -> str:
    return f"[{_ntop(address)}]:{port}" if ":" in address else f"{address}:{port}"


def _service_name(key: ServiceKey) -> str:
    if key.fwmark:
        return f"-f {_int32(key.fwmark)}" + (" -6" if key.af == 6 else "")
    option = PROTO_OPTION.get(key.protocol, "--xxx-service")
    return f"{option} {_addrport(key.address, key.port)}"


def _sched_flags(scheduler: str, flags: int) -> str:
    """-b as ipvsadm -S prints it: like the command line, except that bit 3 of sh/mh has no
    name there (a bare `-b ` when it is the only one)."""
    names = sched_flag_names(scheduler, flags)
    if scheduler in ("sh", "mh"):
        names = [n for n in names if n != "flag-3"]
    return ",".join(names)


def ipvsadm_lines(table: Table, dest_order: DestOrder | None = None) -> list[str]:
    """`table` iterates in the kernel's dump order (a netlink dump keeps it) and
    `dest_order` gives each service's reals in the kernel's order: ipvsadm sorts what the
    kernel handed it, and where its comparison is not transitive the result depends on that
    starting order. Without `dest_order` the reals start sorted by address."""
    lines: list[str] = []
    for svc in glibc_sort(list(table.values()), cmp_services):
        name = _service_name(svc.key)
        reals = list(svc.reals)
        if dest_order and svc.key in dest_order:
            pos = {k: i for i, k in enumerate(dest_order[svc.key])}
            reals.sort(key=lambda r: pos.get(r.key, len(pos)))
        line = f"-A {name} -s {svc.scheduler}"
        if svc.persistent:
            line += f" -p {svc.persistent}"
            mask = netmask_text(svc.key.af, svc.netmask)
            if mask is not None:
                line += f" -M {mask}"
        if svc.flags & F_ONEPACKET:
            line += " -o"
        if svc.flags & SCHED_FLAGS:
            line += " -b " + _sched_flags(svc.scheduler, svc.flags)
        lines.append(line)
        for real in glibc_sort(reals, cmp_reals):
            line = (f"-a {name} -r {_addrport(real.key.address, real.key.port)} "
                    f"{FORWARD_SWITCH[real.forward]} -w {real.weight}")
            if real.forward == "ipip":
                line += " --tun-type ipip"
            lines.append(line)
    return lines


def to_ipvsadm(table: Table, dest_order: DestOrder | None = None) -> str:
    """The whole `ipvsadm -S -n` output (empty for an empty table)."""
    return "".join(line + "\n" for line in ipvsadm_lines(table, dest_order))


# --------------------------------------------------------------------------- JSON config

def _config_address(address: str, port: int, portless: bool) -> str:
    """A config address; the reals of a fwmark service go without their port 0."""
    host = f"[{address}]" if ":" in address else address
    return host if portless and port == 0 else f"{host}:{port}"


def to_config(table: Table) -> tuple[dict, list[str]]:
    """A config (docs/config.md) that `apply` turns back into `table`, and warnings for what
    the config format cannot say (one-packet scheduling, scheduler flags, an IPv6 fwmark
    without reals, a service on port 0)."""
    services = []
    warnings: list[str] = []
    for key in sorted(table):
        svc = table[key]
        entry: dict = {}
        if key.fwmark:
            entry["virtual"] = f"fwmark:{key.fwmark}"
            if key.af == 6 and not svc.reals:
                warnings.append(f"{key}: an IPv6 fwmark service without reals; the config "
                                f"takes a fwmark's family from its reals, so it comes back "
                                f"as IPv4")
        else:
            entry["virtual"] = _config_address(key.address, key.port, False)
            entry["protocol"] = key.protocol
            if key.port == 0:
                warnings.append(f"{key}: a service on port 0 (all ports, with persistence); "
                                f"the config only takes ports 1-65535")
        entry["scheduler"] = svc.scheduler
        if svc.persistent:
            entry["persistent"] = svc.persistent
            mask = netmask_text(key.af, svc.netmask)
            if mask is not None:
                entry["netmask"] = int(mask) if key.af == 6 else mask
        if svc.flags:
            warnings.append(f"{key}: scheduler flags / one-packet scheduling (0x{svc.flags:x}) "
                            f"cannot be written in the config and are left out")
        counts = {}
        for real in svc.reals:
            counts[real.forward] = counts.get(real.forward, 0) + 1
        forward = max(("gate", "masq", "ipip"), key=lambda f: counts.get(f, 0))
        if svc.reals:
            entry["forward"] = forward
        reals = []
        for real in svc.reals:
            address = _config_address(real.key.address, real.key.port, bool(key.fwmark))
            if real.weight == 1 and real.forward == forward:
                reals.append(address)
                continue
            item: dict = {"address": address}
            if real.weight != 1:
                item["weight"] = real.weight
            if real.forward != forward:
                item["forward"] = real.forward
            reals.append(item)
        entry["reals"] = reals
        services.append(entry)
    return {"services": services}, warnings


def to_json(table: Table) -> tuple[str, list[str]]:
    import json
    doc, warnings = to_config(table)
    return json.dumps(doc, indent=2) + "\n", warnings
