"""`lvslite doctor`: what is wrong on this director, layer by layer, each with its fix
(docs/operate.md#lvslite-doctor).

The checks are pure functions from what the box shows (the text of /proc files, the mount
table, the interface addresses, probe results) to Findings; gather() reads those from the
system and run() puts the two together. Nothing here writes anything or changes the kernel.

Levels: `error` breaks traffic or the agent now (IPVS missing, a scheduler the kernel cannot
load, forwarding off for NAT, a VIP on no interface, a real without a route or answer);
`warn` works but will bite (state on the card, a read-write root, clients kept on removed
reals, a stale daemon, a clock in the past); `info` is what was seen or what to do elsewhere
(the real servers' side of LVS-DR, the card's writes since boot); `ok` passed.
"""
from __future__ import annotations

import os
import time

from lvslite import EXIT_INVALID, EXIT_OK, EXIT_WARNINGS
from lvslite.model import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Callable, Dict, Iterable, List, Optional, Tuple

OK, INFO, WARN, ERROR = "ok", "info", "warn", "error"
MIN_YEAR, MAX_YEAR = 2020, 2100
PROBE_TIMEOUT_S = 1.0
MODULES = "/lib/modules"


class Finding(Record):
    __slots__ = ()
    _fields = ("level", "layer", "saw", "fix")

    def __new__(cls, level: str, layer: str, saw: str, fix: str = ""):
        return tuple.__new__(cls, (level, layer, saw, fix))

    def line(self) -> str:
        label = "fix" if self.level in (WARN, ERROR) else "do"
        fix = f"; {label}: {self.fix}" if self.fix else ""
        return f"{self.level:<5} {self.layer:<9} {self.saw}{fix}"


def exit_code(findings: Iterable[Finding]) -> int:
    levels = {f.level for f in findings}
    return EXIT_INVALID if ERROR in levels else EXIT_WARNINGS if WARN in levels else EXIT_OK


# --------------------------------------------------------------------------- kernel modules

class Modules(Record):
    """Module names (with '-' as '_') loaded now, built into the kernel, and loadable."""
    __slots__ = ()
    _fields = ("loaded", "builtin", "loadable")

    def __new__(cls, loaded=frozenset(), builtin=frozenset(), loadable=frozenset()):
        return tuple.__new__(cls, (frozenset(loaded), frozenset(builtin), frozenset(loadable)))

    def state(self, name: str) -> Optional[str]:
        name = name.replace("-", "_")
        for what, names in (("loaded", self.loaded), ("built in", self.builtin),
                            ("loadable", self.loadable)):
            if name in names:
                return what
        return None


def module_names(text: str) -> set:
    """Names from modules.dep ('kernel/.../ip_vs_rr.ko.xz: deps') or modules.builtin lines."""
    out = set()
    for line in text.splitlines():
        path = line.split(":", 1)[0].strip()
        base = path.rsplit("/", 1)[-1]
        if ".ko" in base:
            out.add(base[:base.index(".ko")].replace("-", "_"))
    return out


def loaded_names(proc_modules: str) -> set:
    return {line.split()[0].replace("-", "_") for line in proc_modules.splitlines()
            if line.strip()}


def kernel(ip_vs: Optional[str], mods: Modules, release: str) -> List[Finding]:
    from lvslite.ipvs.proc import version
    seen = version(ip_vs) if ip_vs is not None else None
    if seen is not None:
        return [Finding(OK, "kernel", f"IPVS {seen[0]} loaded (connection table size "
                        f"{seen[1]}), kernel {release}")]
    if ip_vs is not None:
        return [Finding(ERROR, "kernel", "/proc/net/ip_vs has an unknown layout: "
                        f"{ip_vs.splitlines()[0][:40] if ip_vs else 'empty'}",
                        "lvslite reads IPVS 1.2.x; check the kernel's IPVS")]
    state = mods.state("ip_vs")
    if state in ("loaded", "built in"):
        return [Finding(ERROR, "kernel", f"ip_vs is {state} but /proc/net/ip_vs cannot be "
                        "read", "mount -t proc proc /proc")]
    if state == "loadable":
        return [Finding(ERROR, "kernel", f"IPVS not loaded (no /proc/net/ip_vs); ip_vs is in "
                        f"{MODULES}/{release}/modules.dep", "modprobe ip_vs")]
    return [Finding(ERROR, "kernel", f"IPVS not loaded and no ip_vs module for kernel "
                    f"{release}", "boot a kernel built with CONFIG_IP_VS (m or y)")]


def schedulers(config, mods: Modules, release: str) -> List[Finding]:
    out = []
    used: Dict[str, List[str]] = {}
    for sc in config.services:
        used.setdefault(sc.service.scheduler, []).append(str(sc.service.key))
    for name, services in used.items():
        module = f"ip_vs_{name}"
        state = mods.state(module)
        whose = services[0] + (f" and {len(services) - 1} more" if len(services) > 1 else "")
        if state is None:
            out.append(Finding(ERROR, "scheduler", f"{name} ({whose}): {module} is not loaded, "
                               f"not built in, not in {MODULES}/{release}/modules.dep",
                               f"install the kernel's {module} module (CONFIG_IP_VS_"
                               f"{name.upper()}) or pick another scheduler"))
        else:
            how = "" if state != "loadable" else " (the kernel loads it with the service)"
            out.append(Finding(OK, "scheduler", f"{name}: {module} {state}{how}"))
    return out


# --------------------------------------------------------------------------- forwarding, VIPs

def forwarding(config, ipv4: Optional[str], ipv6: Optional[str]) -> List[Finding]:
    """NAT sends the replies back through the director, which must route them."""
    out = []
    for af, value, name in ((4, ipv4, "net.ipv4.ip_forward"),
                            (6, ipv6, "net.ipv6.conf.all.forwarding")):
        masq = [str(sc.service.key) for sc in config.services if sc.service.key.af == af
                and any(r.forward == "masq" for r in sc.service.reals)]
        if not masq:
            continue
        if value is None:
            out.append(Finding(ERROR, "forward", f"no {name} (IPv{af} disabled?) but "
                               f"{masq[0]} forwards with masq", f"enable IPv{af} in the kernel"))
        elif value.strip() != "1":
            out.append(Finding(ERROR, "forward", f"{name} = {value.strip()} but masq is used by "
                               f"{masq[0]}{' and others' if len(masq) > 1 else ''} "
                               f"(NAT replies come back through this box)",
                               f"sysctl -w {name}=1"))
        else:
            out.append(Finding(OK, "forward", f"{name} = 1 for masq"))
    return out


def vips(config, addresses: List[Tuple[str, str, int]]) -> List[Finding]:
    """Each service's address on an interface; addresses are (interface, address, prefix)."""
    import ipaddress
    out = []
    have = {a for _, a, _ in addresses}
    for sc in config.services:
        key = sc.service.key
        if key.fwmark:
            continue     # the firewall marks the packets; no address of its own
        vip = key.address
        if vip in have:
            dev = next(i for i, a, _ in addresses if a == vip)
            out.append(Finding(OK, "vip", f"{vip} on {dev} ({key})"))
            continue
        ip = ipaddress.ip_address(vip)
        dev = next((i for i, a, p in addresses if ipaddress.ip_address(a).version == ip.version
                    and not ipaddress.ip_address(a).is_loopback
                    and ip in ipaddress.ip_network(f"{a}/{p}", strict=False)), "IFACE")
        out.append(Finding(ERROR, "vip", f"{vip} ({key}) is on no interface of this box: "
                           f"clients' packets never reach IPVS",
                           f"ip addr add {vip}/{ip.max_prefixlen} dev {dev}"))
    return out


# --------------------------------------------------------------------------- reals

def routes_v4(text: str) -> List[Tuple[int, int, str, bool, int]]:
    """/proc/net/route as (network, mask, interface, via a gateway, metric), up routes only;
    addresses as ints (the file writes them as little-endian hex)."""
    out = []
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 8:
            continue
        try:
            dest, gw, flags, metric, mask = (int(f[1], 16), int(f[2], 16), int(f[3], 16),
                                             int(f[6]), int(f[7], 16))
        except ValueError:
            continue
        if flags & 1:                                  # RTF_UP
            out.append((_swap(dest), _swap(mask), f[0], bool(flags & 2 or gw), metric))
    return out


def _swap(le: int) -> int:
    return int.from_bytes(le.to_bytes(4, "little"), "big")


def routes_v6(text: str) -> List[Tuple[int, int, str, bool, int]]:
    """/proc/net/ipv6_route as (network, prefix length, interface, via a gateway, metric)."""
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 10:
            continue
        try:
            dest, plen, gw, metric, flags = (int(f[0], 16), int(f[1], 16), int(f[4], 16),
                                             int(f[5], 16), int(f[8], 16))
        except ValueError:
            continue
        if flags & 1 and not flags & 0x200:            # RTF_UP, not RTF_REJECT
            mask = ((1 << 128) - 1) ^ ((1 << (128 - plen)) - 1)
            out.append((dest, mask, f[9], bool(gw), metric))
    return out


def route_for(address: str, v4: list, v6: list) -> Optional[Tuple[str, bool]]:
    """(interface, via a gateway) of the longest matching route; None = no route."""
    import ipaddress
    ip = ipaddress.ip_address(address)
    n = int(ip)
    best = None
    for net, mask, dev, gw, metric in (v4 if ip.version == 4 else v6):
        if n & mask == net & mask:
            rank = (bin(mask).count("1"), -metric)
            if best is None or rank > best[0]:
                best = (rank, dev, gw)
    return None if best is None else (best[1], best[2])


def neighbours(arp: str) -> Dict[str, str]:
    """/proc/net/arp: address -> 'complete' or 'incomplete' (flags without ATF_COM)."""
    out = {}
    for line in arp.splitlines()[1:]:
        f = line.split()
        if len(f) >= 4:
            try:
                out[f[0]] = "complete" if int(f[2], 16) & 2 else "incomplete"
            except ValueError:
                continue
    return out


def all_reals(config) -> List[Tuple[str, object, str]]:
    """(service, Real, role) of every real and fallback, each address:port once."""
    out, seen = [], set()
    for sc in config.services:
        members = [(r, "real") for r in sc.service.reals]
        if sc.fallback is not None:
            members.append((sc.fallback, "fallback"))
        for real, role in members:
            if real.key not in seen:
                seen.add(real.key)
                out.append((str(sc.service.key), real, role))
    return out


def reals(config, local: set, v4: list, v6: list, arp: Dict[str, str],
          probes: Optional[Dict[Tuple[str, int], str]]) -> List[Finding]:
    """Each real: a route (gate: a directly connected one), its neighbour entry, and the
    probe's answer ('answered', 'refused', 'timeout', or an errno text) when probes ran."""
    out = []
    for service, real, role in all_reals(config):
        addr, port = real.key.address, real.key.port
        name = f"{role} {real.key} ({service}, {real.forward})"
        if addr in local or addr.startswith("127.") or addr == "::1":
            out.append(Finding(OK, "real", f"{name}: on this box"))
            continue
        route = route_for(addr, v4, v6)
        if route is None:
            out.append(Finding(ERROR, "real", f"{name}: no route to {addr}",
                               f"add a route (ip route add {addr} via GATEWAY) or fix the "
                               f"address"))
            continue
        dev, via_gateway = route
        if via_gateway and real.forward == "gate":
            out.append(Finding(ERROR, "real", f"{name}: reached through a gateway on {dev}; "
                               f"gate (LVS-DR) rewrites only the MAC, so the real must share "
                               f"a network with this box",
                               f"put {addr} on a network of this box, or use masq or ipip"))
            continue
        answer = probes.get((addr, port)) if probes is not None and port else None
        neigh = arp.get(addr)
        seen = f"{name}: route via {dev}{' (gateway)' if via_gateway else ''}"
        if neigh:
            seen += f", neighbour {neigh}"
        if answer is None:
            level = WARN if neigh == "incomplete" and not via_gateway else OK
            fix = f"check {addr} is up and on {dev}'s network" if level == WARN else ""
            out.append(Finding(level, "real", seen, fix))
        elif answer == "answered":
            out.append(Finding(OK, "real", f"{seen}, port {port} answered"))
        elif answer == "refused":
            out.append(Finding(WARN, "real", f"{seen}, port {port} refused: the host is up "
                               f"but nothing listens", f"start the service on {real.key}; its "
                               f"health check keeps it out until then"))
        else:
            out.append(Finding(ERROR, "real", f"{seen}, port {port}: {answer}",
                               f"check {addr} is up and cabled to {dev}'s network "
                               f"(ping {addr}; ip neigh show {addr})"))
    return out


def probe(targets: Iterable[Tuple[str, int]], timeout: float = PROBE_TIMEOUT_S,
          ) -> Dict[Tuple[str, int], str]:
    """A TCP connect to each (address, port), all at once, each bounded by `timeout`:
    'answered', 'refused', 'timeout' or the error's text."""
    import errno
    import select
    import socket
    out: Dict[Tuple[str, int], str] = {}
    pending: Dict[object, Tuple[str, int]] = {}
    for target in set(targets):
        af = socket.AF_INET6 if ":" in target[0] else socket.AF_INET
        s = socket.socket(af, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex(target)
        if err in (0, errno.EINPROGRESS):
            pending[s] = target
        else:
            out[target] = _connect_result(err)
            s.close()
    deadline = time.monotonic() + timeout
    while pending:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        _, ready, _ = select.select([], list(pending), [], left)
        for s in ready:
            out[pending.pop(s)] = _connect_result(
                s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
            s.close()
    for s, target in pending.items():
        out[target] = "timeout"
        s.close()
    return out


def _connect_result(err: int) -> str:
    import errno
    if err == 0:
        return "answered"
    if err == errno.ECONNREFUSED:
        return "refused"
    return os.strerror(err).lower()


def gate_hints(config) -> List[Finding]:
    """LVS-DR: every real owns the VIP without answering ARP for it. Another box's settings,
    so printed as the commands to run there."""
    out = []
    for sc in config.services:
        key = sc.service.key
        gate = [r.key.address for r in sc.service.reals if r.forward == "gate"
                and not (r.key.address.startswith("127.") or r.key.address == "::1")]
        if not gate or key.fwmark:
            continue
        prefix = 128 if key.af == 6 else 32
        cmds = "ip addr add {}/{} dev lo".format(key.address, prefix)
        if key.af == 4:
            cmds = ("sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2"
                    f" && {cmds}")
        out.append(Finding(INFO, "realside", f"{key} is gate (LVS-DR): on "
                           f"{', '.join(sorted(set(gate)))} run", cmds))
    return out


# --------------------------------------------------------------------------- box settings

EXPIRE = ("expire_nodest_conn", "expire_quiescent_template")


def expire_sysctls(values: Dict[str, Optional[str]]) -> List[Finding]:
    out = []
    for name in EXPIRE:
        value = values.get(name)
        full = f"net.ipv4.vs.{name}"
        if value is None:
            continue            # IPVS not loaded: said by the kernel layer
        if value.strip() == "1":
            out.append(Finding(OK, "sysctl", f"{full} = 1"))
        else:
            out.append(Finding(WARN, "sysctl", f"{full} = {value.strip()}: clients stay on "
                               f"a {'removed' if 'nodest' in name else 'quiesced'} real",
                               f"sysctl -w {full}=1 (lvslite run sets it unless --no-sysctl)"))
    return out


def state_dir(path: str, mounts: str, exists: bool, writable: bool) -> List[Finding]:
    """`path` resolved; `exists` and `writable` of it, or of its nearest existing parent."""
    from lvslite.mounts import holding
    m = holding(mounts, path)
    where = f"{path}" if exists else f"{path} (not created yet)"
    if not writable:
        return [Finding(ERROR, "state", f"{where} is not writable",
                        "set LVSLITE_STATE_DIR to a writable tmpfs folder")]
    if m is None or m.fstype not in ("tmpfs", "ramfs"):
        fs = f"{m.fstype} at {m.point}" if m else "an unknown file system"
        return [Finding(WARN, "state", f"{where} is on {fs}, not tmpfs: the status file is "
                        f"rewritten every second, onto the card",
                        "mount -t tmpfs tmpfs /run (the card image does), or set "
                        "LVSLITE_STATE_DIR to a tmpfs folder")]
    return [Finding(OK, "state", f"{where} on {m.fstype}")]


def root(mounts: str) -> List[Finding]:
    from lvslite.mounts import holding
    m = holding(mounts, "/")
    if m is None:
        return [Finding(WARN, "root", "no / in the mount table", "check /proc is mounted")]
    if m.read_only:
        return [Finding(OK, "root", f"/ read-only ({m.fstype} {m.device})")]
    return [Finding(WARN, "root", f"/ is read-write ({m.fstype} {m.device}): every stray "
                    "write wears the card and a power cut can corrupt it",
                    "mount -o remount,ro / (the card image mounts it read-only)")]


def card(point: str, fstype: str, major: int, minor: int, diskstats: str) -> List[Finding]:
    """Sectors written since boot to the device holding `point` (/cfg, else /)."""
    from lvslite.cardsave import device_counters
    from lvslite.wear.diskstats import SECTOR_BYTES
    if major == 0:
        return [Finding(INFO, "card", f"{point} is {fstype}, on no block device: no card "
                        "writes to count")]
    counts = device_counters(diskstats, major, minor)
    if not counts:
        return [Finding(INFO, "card", f"{point}: device {major}:{minor} not in /proc/diskstats")]
    disk = min(counts, key=len)           # the whole disk when the partition has one
    text = ", ".join(f"{n} {_size(s * SECTOR_BYTES)}" for n, s in sorted(counts.items()))
    return [Finding(INFO, "card", f"written since boot (holding {point}): {text}",
                    f"lvslite wear watch --device {disk} for a rate and the card's life")]


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return ""


def clock(now: float, status_time: Optional[float]) -> List[Finding]:
    year = time.gmtime(now).tm_year
    stamp = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(now))
    if not MIN_YEAR <= year <= MAX_YEAR:
        return [Finding(WARN, "clock", f"the clock says {stamp}: no RTC, or its battery is "
                        "flat; logs and the status file's age are wrong",
                        "set it (date -s, rdate, ntpd) and keep it set (hwclock -w)")]
    if status_time is not None and status_time > now + 5:
        return [Finding(WARN, "clock", f"the clock ({stamp}) is {status_time - now:.0f}s "
                        "behind the daemon's last status write: it was set back",
                        "keep one time source (ntpd); restart lvslite run")]
    return [Finding(OK, "clock", stamp)]


def daemon(doc: Optional[dict], now: float) -> List[Finding]:
    from lvslite.status import is_stale
    if doc is None:
        return [Finding(INFO, "daemon", "no status file: lvslite run is not running (fine "
                        "if you use lvslite apply alone)")]
    age = now - doc.get("time", 0)
    if is_stale(doc, now):
        return [Finding(WARN, "daemon", f"status of pid {doc.get('pid')} is {age:.0f}s old: "
                        "the daemon stopped or hangs", "restart lvslite run (on the card "
                        "lvslite-supervise restarts it; see logread)")]
    return [Finding(OK, "daemon", f"lvslite run pid {doc.get('pid')}, status {age:.0f}s old")]


def table(config, ip_vs: str) -> List[Finding]:
    """Configured services the kernel does not have."""
    from lvslite.ipvs.proc import table as kernel_table
    have = {service for service, _, _, _ in kernel_table(ip_vs)}
    out = []
    missing = []
    for sc in config.services:
        key = sc.service.key
        if (f"fwmark:{key.fwmark}" if key.fwmark else str(key)) not in have:
            missing.append(str(key))
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        out.append(Finding(WARN, "table", f"{missing[0]}{more} configured but not in the "
                           "kernel's table", "lvslite apply -c CONFIG, or start lvslite run"))
    elif config.services:
        out.append(Finding(OK, "table", f"all {len(config.services)} configured services in "
                           "the kernel"))
    return out


# --------------------------------------------------------------------------- the system

def read_text(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return None


def ipv4_addresses() -> List[Tuple[str, str, int]]:
    """(interface label, address, prefix) of every IPv4 address: one RTM_GETADDR dump."""
    import _socket as socket
    import _struct as struct
    out = []
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)     # NETLINK_ROUTE
    try:
        s.settimeout(5)
        # nlmsghdr(len, RTM_GETADDR, NLM_F_REQUEST|NLM_F_DUMP, seq, pid) + ifaddrmsg(AF_INET)
        s.sendto(struct.pack("=IHHIIBBBBI", 24, 22, 0x301, 1, 0, socket.AF_INET, 0, 0, 0, 0),
                 (0, 0))
        while True:
            buf = s.recv(65536)
            off = 0
            while off + 16 <= len(buf):
                size, kind = struct.unpack_from("=IH", buf, off)
                if size < 16 or kind in (2, 3):                  # NLMSG_ERROR, NLMSG_DONE
                    return out
                if kind == 20:                                   # RTM_NEWADDR
                    family, plen = struct.unpack_from("=BB", buf, off + 16)
                    attrs, a = {}, off + 24
                    while a + 4 <= off + size:
                        alen, atype = struct.unpack_from("=HH", buf, a)
                        if alen < 4:
                            break
                        attrs[atype] = buf[a + 4:a + alen]
                        a += (alen + 3) & ~3
                    addr = attrs.get(2) or attrs.get(1)              # IFA_LOCAL, IFA_ADDRESS
                    if family == socket.AF_INET and addr and len(addr) == 4:
                        label = attrs.get(3, b"?").rstrip(b"\0").decode("ascii", "replace")
                        out.append((label, socket.inet_ntoa(addr), plen))
                off += (size + 3) & ~3
    except OSError:
        return out
    finally:
        s.close()


def ipv6_addresses(text: Optional[str]) -> List[Tuple[str, str, int]]:
    """/proc/net/if_inet6: 32 hex digits, index, prefix length (hex), scope, flags, name."""
    import ipaddress
    out = []
    for line in (text or "").splitlines():
        f = line.split()
        if len(f) >= 6 and len(f[0]) == 32:
            out.append((f[5], str(ipaddress.IPv6Address(int(f[0], 16))), int(f[2], 16)))
    return out


def modules(release: str) -> Modules:
    base = os.path.join(MODULES, release)
    return Modules(loaded_names(read_text("/proc/modules") or ""),
                   module_names(read_text(os.path.join(base, "modules.builtin")) or ""),
                   module_names(read_text(os.path.join(base, "modules.dep")) or ""))


def _existing(path: str) -> str:
    while not os.path.exists(path) and path != os.path.dirname(path):
        path = os.path.dirname(path)
    return path


def diagnose(config_path: str, do_probe: bool = True, timeout: float = PROBE_TIMEOUT_S,
             clock_now: Callable[[], float] = time.time) -> List[Finding]:
    """Every finding for this box and the config at `config_path`, layer by layer."""
    from lvslite.config import ConfigError, load
    from lvslite.state import state_dir as default_state_dir
    from lvslite.status import read as read_status

    findings: List[Finding] = []
    config = None
    try:
        config = load(config_path)
        from lvslite.config import summary
        findings.append(Finding(OK, "config", f"{config_path}: {summary(config)}"))
    except ConfigError as exc:
        first = str(exc).splitlines()
        findings.append(Finding(ERROR, "config", f"{first[0]}" + (
            f" (and {len(first) - 1} more lines)" if len(first) > 1 else ""),
            f"lvslite check -c {config_path} lists every problem"))
    release = os.uname().release
    mods = modules(release)
    ip_vs = read_text("/proc/net/ip_vs")
    findings += kernel(ip_vs, mods, release)
    if config is not None:
        findings += schedulers(config, mods, release)
        findings += forwarding(config, read_text("/proc/sys/net/ipv4/ip_forward"),
                               read_text("/proc/sys/net/ipv6/conf/all/forwarding"))
        addresses = ipv4_addresses() + ipv6_addresses(read_text("/proc/net/if_inet6"))
        findings += vips(config, addresses)
        targets = [(r.key.address, r.key.port) for _, r, _ in all_reals(config) if r.key.port]
        probes = probe(targets, timeout) if do_probe else None
        findings += reals(config, {a for _, a, _ in addresses},
                          routes_v4(read_text("/proc/net/route") or ""),
                          routes_v6(read_text("/proc/net/ipv6_route") or ""),
                          neighbours(read_text("/proc/net/arp") or ""), probes)
        if ip_vs is not None:
            findings += table(config, ip_vs)
        findings += gate_hints(config)
    findings += expire_sysctls({n: read_text(f"/proc/sys/net/ipv4/vs/{n}") for n in EXPIRE})
    mounts = read_text("/proc/self/mounts") or ""
    sdir = os.path.realpath(default_state_dir())
    near = _existing(sdir)
    findings += state_dir(sdir, mounts, near == sdir, os.access(near, os.W_OK | os.X_OK))
    findings += root(mounts)
    from lvslite.mounts import find_mount
    point = "/cfg" if find_mount(mounts, "/cfg") is not None else "/"
    held = find_mount(mounts, point)
    st = os.stat(point)
    findings += card(point, held.fstype if held else "?", os.major(st.st_dev),
                     os.minor(st.st_dev), read_text("/proc/diskstats") or "")
    now = clock_now()
    doc = read_status(default_state_dir())
    findings += clock(now, doc.get("time") if doc else None)
    findings += daemon(doc, now)
    return findings
