"""A decoded JSON value to a lvslite.model.Config, after checking all of docs/config.md.

Boundary: pure, no file and no kernel. Every problem is collected and the config is refused
with all of them: a Config is returned only when nothing is wrong, so nothing downstream ever
programs half of a bad file. Beyond types and ranges this refuses what the kernel would take
but not do as written: a gate/ipip real on another port than its service (the kernel does not
translate ports for those and would silently use the service's), a netmask without
persistence, a real of the other address family, two services or two reals that are one.
"""
from __future__ import annotations

from lvslite.checks.spec import CheckSpec
from lvslite.config import addr, checks
from lvslite.config.addr import Bad
from lvslite.config.errors import ConfigError, kind, show
from lvslite.config.fields import (INVALID, Collector, boolean, choice, integer, join, number,
                                   obj)
from lvslite.model import (DEFAULT_SCHEDULER, FORWARDS, PROTOCOLS, SCHEDULERS, Config, Real,
                           RealKey, ServiceConfig, ServiceKey, VirtualService)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional, Tuple

TOP_KEYS = ("services",)
SERVICE_KEYS = ("virtual", "protocol", "scheduler", "persistent", "netmask", "forward",
                "fallback", "quiescent", "check", "reals", "depool_threshold")
REAL_KEYS = ("address", "weight", "forward")

WEIGHT_MAX = 65535            # ipvsadm -w 0..65535 (docs/reference/control-planes.md#command-line-grammar)
# ipvsadm refuses -p above MAX_TIMEOUT (86400*31, "31 days", ipvsadm.c); the kernel keeps
# the timeout as seconds*HZ in an unsigned int, so this also stays clear of its overflow.
PERSISTENT_MAX = 86400 * 31
# The kernel refuses an IPv6 persistence prefix outside 1..128 with EINVAL
# (ip_vs_add_service / ip_vs_edit_service, net/netfilter/ipvs/ip_vs_ctl.c).
V6_PREFIX_MIN = 1
# ipvsadm's and ldirectord's spellings of the forward methods -> ours.
FORWARD_ALIASES = {"nat": "masq", "masquerade": "masq", "masquerading": "masq", "dr": "gate",
                   "direct": "gate", "droute": "gate", "route": "gate", "routing": "gate",
                   "tun": "ipip", "tunnel": "ipip", "tunneling": "ipip"}

EXPECT_TOP = 'a JSON object like {"services": [...]}'
EXPECT_SERVICE = 'an object like {"virtual": "10.0.0.100:80", "reals": ["10.0.0.10:80"]}'
EXPECT_REAL = '"A.B.C.D:PORT", "[IPv6]:PORT" or {"address": ..., "weight": ..., "forward": ...}'


def validate(value: object, source: str = "<config>") -> Config:
    """The Config `value` (as json.loads gives it) describes, or ConfigError with every
    problem of it."""
    c = Collector(source)
    services: List[ServiceConfig] = []
    if not isinstance(value, dict):
        c.add("", f"the top level is {kind(value)}", EXPECT_TOP)
    else:
        top = obj(c, value, "", TOP_KEYS, EXPECT_TOP,
                  {"services": "a list of virtual services, which may be empty"})
        raw = top.get("services", []) if top is not None else []
        if not isinstance(raw, list):
            c.add("services", f"got {kind(raw)}", "a list of virtual services")
            raw = []
        seen: Dict[ServiceKey, str] = {}
        for i, item in enumerate(raw):
            path = f"services[{i}]"
            key, sc = _service(c, item, path)
            if key is not None:
                if key in seen:
                    c.add(join(path, "virtual"), f"{key} is already defined by {seen[key]}",
                          "each protocol, address and port, or fwmark, once")
                else:
                    seen[key] = path
            if sc is not None:
                services.append(sc)
    if c.problems:
        raise ConfigError(c.problems)
    return Config(tuple(services))


class _Ctx:
    """What a service's reals are checked against (None/0 where the service is itself wrong,
    which then skips the checks that depend on it rather than report noise)."""

    def __init__(self, family: int, port: Optional[int], fwmark: int, forward: object):
        self.family = family        # 4 or 6; 0 = fwmark (taken from the first real) or unknown
        self.port = port            # the service's port; None if unknown or fwmark
        self.fwmark = fwmark
        self.forward = forward      # the service's default forward, or INVALID
        self.first: Optional[Tuple[int, str]] = None  # fwmark: (family, path) of first real


def _service(c: Collector, value: object, path: str
             ) -> Tuple[Optional[ServiceKey], Optional[ServiceConfig]]:
    o = obj(c, value, path, SERVICE_KEYS, EXPECT_SERVICE,
            {"virtual": "the service's address: A.B.C.D:PORT, [IPv6]:PORT or fwmark:N"})
    if o is None:
        return None, None
    before = len(c.problems)
    family, address, port, fwmark = 0, "", None, 0
    known = False
    if "virtual" in o:
        where = join(path, "virtual")
        if not isinstance(o["virtual"], str):
            c.add(where, f"got {kind(o['virtual'])}", addr.VIRTUAL)
        else:
            try:
                family, address, port, fwmark = addr.virtual(o["virtual"])
                known = True
            except Bad as exc:
                c.add(where, exc.what, exc.expected)
    protocol = choice(c, o, "protocol", path, PROTOCOLS, "tcp", noun="protocol")
    scheduler = choice(c, o, "scheduler", path, SCHEDULERS, DEFAULT_SCHEDULER, noun="scheduler")
    persistent = integer(c, o, "persistent", path, 0, PERSISTENT_MAX, 0, " seconds")
    forward = choice(c, o, "forward", path, FORWARDS, "gate", FORWARD_ALIASES, "forward method")
    quiescent = boolean(c, o, "quiescent", path, False)
    depool = number(c, o, "depool_threshold", path, 0, 1, 0, ", a fraction of the reals")
    check = checks.check(c, o["check"], join(path, "check")) if "check" in o else CheckSpec()

    ctx = _Ctx(family, None if fwmark or not known else port, fwmark, forward)
    # keyed by (address, port): hashing a plain tuple is 3x cheaper than a RealKey
    reals: Dict[Tuple[str, int], Tuple[Real, str]] = {}  # -> (real, JSON path of it)
    raw = o.get("reals", [])
    if not isinstance(raw, list):
        c.add(join(path, "reals"), f"got {kind(raw)}", "a list of reals: " + EXPECT_REAL)
        raw = []
    for i, item in enumerate(raw):
        got = _real(c, item, f"{path}.reals[{i}]", ctx)
        if got is None:
            continue
        real, where = got
        key = (real.key.address, real.key.port)
        if key in reals:
            c.add(where, f"{real.key} is already a real of this service at {reals[key][1]}",
                  "each real once per service")
        else:
            reals[key] = got
    fallback = None
    if "fallback" in o:
        got = _real(c, o["fallback"], join(path, "fallback"), ctx)
        if got is not None:
            fallback, where = got
            twin = reals.get((fallback.key.address, fallback.key.port))
            if twin:
                c.add(where, f"{fallback.key} is also {twin[1]}",
                      "a different server: the fallback only serves while no real is in")
    if fwmark:
        family = ctx.first[0] if ctx.first else 4
    netmask = _netmask(c, o, path, family if known else 0, persistent)

    key = None
    if known and (fwmark or protocol is not INVALID):
        key = (ServiceKey(family, "", "", 0, fwmark) if fwmark
               else ServiceKey(family, str(protocol), address, int(port or 0)))
    if len(c.problems) != before or key is None:
        return key, None
    ordered = tuple(reals[k][0] for k in sorted(reals))  # == sorted by RealKey
    svc = VirtualService(key, str(scheduler), int(persistent), int(netmask), 0,  # type: ignore
                         ordered)
    return key, ServiceConfig(svc, fallback, bool(quiescent), check, path, float(depool))


def ipaddress_is_loopback(address: str) -> bool:
    """127.0.0.0/8 or ::1, for canonical text (IPv4 is read without importing ipaddress:
    every masq real asks)."""
    if ":" not in address:
        return address.startswith("127.")
    import ipaddress
    return ipaddress.ip_address(address).is_loopback


def _real(c: Collector, value: object, path: str, ctx: _Ctx) -> Optional[Tuple[Real, str]]:
    """One real (or the fallback) as (Real, JSON path of its address)."""
    weight, forward = 1, ctx.forward
    if isinstance(value, str):
        text, where = value, path
    elif isinstance(value, dict):
        o = obj(c, value, path, REAL_KEYS, EXPECT_REAL,
                {"address": "the real server's A.B.C.D:PORT or [IPv6]:PORT"})
        weight = integer(c, o, "weight", path, 0, WEIGHT_MAX, 1)
        forward = choice(c, o, "forward", path, FORWARDS, ctx.forward, FORWARD_ALIASES,
                         "forward method")
        where = join(path, "address")
        text = o.get("address")
        if "address" in o and not isinstance(text, str):
            c.add(where, f"got {kind(text)}", addr.ENDPOINT)
            return None
        if text is None:
            return None
    else:
        c.add(path, f"got {kind(value)}", EXPECT_REAL)
        return None
    try:
        family, address, port = addr.endpoint(text, port_optional=bool(ctx.fwmark))
    except Bad as exc:
        c.add(where, exc.what, exc.expected)
        return None
    if ctx.fwmark:
        if ctx.first is None:
            ctx.first = (family, where)
        elif family != ctx.first[0]:
            c.add(where, f"{show(text)} is IPv{family} but {ctx.first[1]} is IPv{ctx.first[0]}",
                  f"one address family per fwmark service: IPv{ctx.first[0]} here")
            return None
    elif ctx.family and family != ctx.family:
        c.add(where, f"{show(text)} is IPv{family} in an IPv{ctx.family} service",
              f"an IPv{ctx.family} address, like the virtual address")
        return None
    if ctx.port is not None and forward in ("gate", "ipip") and port != ctx.port:
        c.add(where, f"port {port} differs from the service's port {ctx.port}, and with "
              f'forward "{forward}" the kernel does not translate ports (it would silently '
              f"send to port {ctx.port})",
              f'port {ctx.port}, or forward "masq" to map port {ctx.port} to {port}')
        return None
    if forward == "masq" and ipaddress_is_loopback(address):
        c.add(where, f"{show(text)} is a loopback address, and the kernel drops NAT to a "
              f"loopback address (\"stopping DNAT to loopback\")",
              'forward "gate": a local server is then reached directly')
        return None
    if weight is INVALID or forward is INVALID:
        return None
    return Real(RealKey(address, port or 0), int(weight), str(forward)), where  # type: ignore


def _netmask(c: Collector, o: dict, path: str, family: int, persistent: object) -> int:
    """Persistence granularity as a prefix length: dotted mask for IPv4 services, prefix length
    for IPv6 ones. The host (32 / 128) when absent."""
    host = 128 if family == 6 else 32
    if "netmask" not in o:
        return host
    value, where = o["netmask"], join(path, "netmask")
    if persistent == 0:
        c.add(where, "has no effect without persistence",
              'set "persistent" to the seconds a client sticks to one real, or remove it')
        return host
    if family == 6:
        got = integer(c, o, "netmask", path, V6_PREFIX_MIN, 128, host,
                      " as the prefix length of an IPv6 service")
        return host if got is INVALID else int(got)  # type: ignore
    if family == 4:
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 32:
            dotted = ".".join(str((0xFFFFFFFF << (32 - value) >> s) & 255)
                              for s in (24, 16, 8, 0))
            c.add(where, f"got the prefix length {value}",
                  f'a dotted mask for an IPv4 service: "{dotted}"')
        elif not isinstance(value, str):
            c.add(where, f"got {kind(value)}", 'a dotted mask like "255.255.255.0"')
        else:
            try:
                return addr.ipv4_mask(value)
            except Bad as exc:
                c.add(where, exc.what, exc.expected)
    return host
