"""ldirectord.cf to lvslite services.

The file is `name = value` lines: a `virtual=` (or `virtual6=`) line at the left margin opens
a block, and the indented lines after it are that virtual's settings. Lines at the left margin
outside a block are global settings; the ones a virtual can also take (check timing, fallback,
quiescent) are its defaults, wherever they stand in the file, as ldirectord resolves them.
`#` starts a comment outside double quotes.

Defaults are ldirectord's: scheduler wrr, protocol tcp (udp for port 53), checktype negotiate
with the service guessed from the port, checkinterval 10, checktimeout 5 (negotiate: 30),
forward gate, weight 1.
"""
from __future__ import annotations

import re

from lvslite.config.addr import Bad
from lvslite.migrate import common
from lvslite.migrate.common import Notes, Service
from lvslite.model import Real, ServiceKey

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional, Tuple
    from lvslite.migrate.common import Where

_SETTING = re.compile(r"([A-Za-z][A-Za-z0-9_]*)\s*=\s*(.*?)\s*\Z")
_REAL = re.compile(r"(?P<host>\[[^\]]*\]|[0-9A-Za-z._-]+?)"
                   r"(?:->(?P<last>\[[^\]]*\]|[0-9A-Za-z._-]+?))?(?::(?P<port>[0-9A-Za-z_-]+))?"
                   r"\s+(?P<forward>\S+)(?:\s+(?P<weight>\d+))?"
                   r"(?:\s+\"(?P<request>[^\"]*)\"[,\s]\s*\"(?P<receive>[^\"]*)\")?"
                   r"(?:\s+l:(?P<lower>\d+))?(?:\s+u:(?P<upper>\d+))?\s*\Z")
_FALLBACK = re.compile(r"(?P<host>\[[^\]]*\]|[0-9A-Za-z._-]+?)(?::(?P<port>[0-9A-Za-z_-]+))?"
                       r"(?:\s+(?P<forward>\S+))?\s*\Z")
FORWARDS = ("gate", "masq", "ipip")
MAX_RANGE = 256

# Settings a virtual inherits from the global section.
INHERITED = ("checktimeout", "negotiatetimeout", "checkinterval", "failurecount", "fallback",
             "fallback6", "quiescent")
# ldirectord's guess of a negotiate check's service from the virtual's port.
SERVICE_OF_PORT = {21: "ftp", 25: "smtp", 53: "dns", 80: "http", 110: "pop", 119: "nntp",
                   143: "imap", 389: "ldap", 443: "https", 587: "submission", 636: "ldaps",
                   993: "imaps", 995: "pops", 1521: "oracle", 1812: "radius",
                   3128: "http_proxy", 3306: "mysql", 5060: "sip", 5432: "pgsql"}
CHECKTYPES = ("connect", "negotiate", "ping", "off", "on", "external", "external-perl")
USED_BY = {"request": ("negotiate",), "receive": ("negotiate",), "service": ("negotiate",),
           "virtualhost": ("negotiate",), "httpmethod": ("negotiate",),
           "checkcommand": ("external", "external-perl")}
# What lvslite does not do, by setting: why it is not imported.
NOT_IMPORTED = {
    "autoreload": "lvslite reloads on SIGHUP", "callback": "lvslite runs no callback",
    "logfile": "lvslite logs to syslog", "execute": "lvslite runs one config",
    "fork": "lvslite always checks in parallel", "supervised": "a daemon setting of ldirectord",
    "readdquiescent": "lvslite has no such mode", "cleanstop": "lvslite has no such mode",
    "maintenancedir": "lvslite has no maintenance directory",
    "emailalert": "lvslite sends no mail", "emailalertfreq": "lvslite sends no mail",
    "emailalertstatus": "lvslite sends no mail", "emailalertfrom": "lvslite sends no mail",
    "smtp": "lvslite sends no mail", "fallbackcommand": "lvslite runs no fallback command",
    "monitorfile": "lvslite logs to syslog", "servicename": "lvslite has no service names",
    "comment": "lvslite has no comments in its config",
    "checkcount": "lvslite retries at each interval (failurecount maps to fall)",
    "login": "lvslite's checks do not log in", "passwd": "lvslite's checks do not log in",
    "database": "lvslite's checks do not query databases",
    "secret": "lvslite's checks do not speak RADIUS", "load": "lvslite has no load checks",
    "schedflags": "lvslite cannot set scheduler flags",
    "ops": "lvslite cannot set one-packet scheduling",
}

# Values of those settings that ask for nothing lvslite lacks: not worth a warning.
HARMLESS = {"autoreload": "no", "fork": "no", "supervised": "no", "readdquiescent": "no",
            "ops": "no", "emailalertfreq": "0", "checkcount": "1"}


def _not_imported(notes: Notes, where: Where, name: str, value: str) -> None:
    if HARMLESS.get(name) != value.lower():
        notes.warn(where, f"{name} is not imported ({NOT_IMPORTED[name]})")


class _Block:
    """A virtual's lines: its own settings (name -> (value, where)) and its real lines."""

    def __init__(self, where: Where, v6: bool, value: str) -> None:
        self.where, self.v6, self.value = where, v6, value
        self.settings: Dict[str, Tuple[str, Where]] = {}
        self.reals: List[Tuple[str, Where, bool]] = []     # (text, where, real6?)


def _strip_comment(line: str) -> str:
    quoted = False
    for i, c in enumerate(line):
        if c == '"':
            quoted = not quoted
        elif c == "#" and not quoted:
            return line[:i]
    return line


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] == '"' else value


def read(text: str, source: str, notes: Notes) -> List[Service]:
    glob: Dict[str, Tuple[str, Where]] = {}
    blocks: List[_Block] = []
    block: Optional[_Block] = None
    for lineno, raw in enumerate(text.splitlines(), 1):
        where = (source, lineno)
        line = _strip_comment(raw).rstrip()
        if not line.strip():
            continue
        indented = line[0] in " \t"
        m = _SETTING.match(line.strip())
        if not m:
            raise notes.fail(where, f"cannot read {line.strip()!r}: expected name=value")
        name, value = m.group(1).lower(), m.group(2)
        if name in ("virtual", "virtual6"):
            if indented:
                raise notes.fail(where, f"{name}= is indented: a virtual starts at the left "
                                 "margin, its settings are indented under it")
            block = _Block(where, name == "virtual6", value)
            blocks.append(block)
        elif indented:
            if block is None:
                raise notes.fail(where, f"indented {name}= before any virtual=")
            if name in ("real", "real6"):
                block.reals.append((value, where, name == "real6"))
            else:
                if name in block.settings:
                    notes.warn(where, f"{name} is already set at line "
                               f"{block.settings[name][1][1]}; this value is used")
                block.settings[name] = (_unquote(value), where)
        else:
            block = None
            if name in INHERITED:
                glob[name] = (_unquote(value), where)
            elif name in NOT_IMPORTED:
                _not_imported(notes, where, name, _unquote(value))
            else:
                notes.warn(where, f"unknown global setting {name!r}; ignored")
    services = []
    for b in blocks:
        svc = _service(b, glob, notes)
        if svc is not None:
            services.append(svc)
    return services


def _service(b: _Block, glob: Dict[str, Tuple[str, Where]], notes: Notes
             ) -> Optional[Service]:
    settings = dict(glob)
    settings.update(b.settings)

    def get(name: str, default: Optional[str] = None) -> Optional[str]:
        return settings[name][0] if name in settings else default

    def at(name: str) -> Where:
        return settings[name][1] if name in settings else b.where

    protocol = (get("protocol") or "").lower()
    value = b.value.strip()
    errors = notes.errors
    if value.isdigit():
        if protocol not in ("", "fwm"):
            notes.error(at("protocol"), f"protocol={protocol} on a fwmark virtual; "
                        "expected fwm")
        key = ServiceKey(6 if b.v6 else 4, "", "", 0, int(value))
        if not 1 <= key.fwmark <= 2 ** 32 - 1:
            raise notes.fail(b.where, f"fwmark {value} is out of range")
    else:
        host, port_text = common.hostport(value)
        if port_text is None:
            raise notes.fail(b.where, f"virtual={value}: expected ADDRESS:PORT, [IPv6]:PORT "
                             "or a fwmark number")
        if protocol in ("", "tcp", "udp", "sctp"):
            port = common.port(notes, b.where, port_text, protocol or "tcp")
            protocol = protocol or ("udp" if port == 53 else "tcp")
        else:
            notes.error(at("protocol"), f"protocol={protocol} is not tcp, udp or sctp")
            return None
        if port is None:
            return None
        try:
            key = common.service_key(protocol, host, port)
        except Bad as exc:
            notes.error(b.where, f"virtual={value}: {exc.what}")
            return None
        if (key.af == 6) != b.v6:
            notes.warn(b.where, f"an IPv{key.af} address on a "
                       f"{'virtual6' if b.v6 else 'virtual'}= line; read as IPv{key.af}")
    sched = common.scheduler(notes, at("scheduler"), (get("scheduler") or "wrr").lower())
    if sched is None:
        return None
    svc = Service(b.where, key, sched)
    if get("persistent") is not None:
        if not get("persistent", "").isdigit():
            notes.error(at("persistent"), f"persistent={get('persistent')} is not a number")
        else:
            svc.persistent = int(get("persistent", "0"))
    if get("netmask") is not None:
        common.netmask(notes, at("netmask"), svc, get("netmask", ""))
    quiescent = (get("quiescent") or "no").lower()
    if quiescent not in ("yes", "no"):
        notes.error(at("quiescent"), f"quiescent={quiescent}: expected yes or no")
    svc.quiescent = quiescent == "yes"
    for name in sorted(b.settings, key=lambda n: b.settings[n][1][1]):
        if name in NOT_IMPORTED:
            _not_imported(notes, at(name), name, b.settings[name][0])
        elif name not in KNOWN:
            notes.warn(at(name), f"unknown setting {name!r}; ignored")

    pairs = []      # per-real request/receive pairs, with where
    for text, where, _ in b.reals:
        pairs += _reals(text, where, svc, notes)
    name = "fallback6" if b.v6 else "fallback"
    if get(name) is not None:
        _fallback(get(name, ""), at(name), svc, notes)
    svc.check = _check(svc, get, at, pairs, notes)
    if svc.check is not None and svc.check["type"] == "off":
        svc.check = {"type": "none"}
        svc.reals = [(r.replace(weight=0), w) for r, w in svc.reals]
    return svc if notes.errors == errors else None


KNOWN = ("protocol", "scheduler", "persistent", "netmask", "quiescent", "fallback",
         "fallback6", "checktype", "service", "request", "receive", "checkport",
         "checkinterval", "checktimeout", "negotiatetimeout", "connecttimeout",
         "failurecount", "checkcommand", "httpmethod", "virtualhost")


def _reals(text: str, where: Where, svc: Service, notes: Notes) -> list:
    """Add the real(s) of one real= line; its request/receive pair, if any, as a list."""
    m = _REAL.match(text.strip())
    if not m:
        notes.error(where, f"cannot read real={text.strip()}: expected ADDRESS[:PORT] "
                    "gate|masq|ipip [WEIGHT] [\"request\", \"receive\"]")
        return []
    forward = m.group("forward")
    if forward not in FORWARDS:
        notes.error(where, f"forward method {forward!r}: expected gate, masq or ipip")
        return []
    key = svc.key
    port: Optional[int] = key.port
    if m.group("port") is not None:
        port = common.port(notes, where, m.group("port"), key.protocol or "tcp")
        if port is None:
            return []
    for bound in ("lower", "upper"):
        if m.group(bound) is not None:
            flag = "-y" if bound == "lower" else "-x"
            notes.warn(where, f"the {bound} connection threshold {bound[0]}:{m.group(bound)} "
                       f"(ipvsadm {flag}) has no lvslite equivalent; real imported without it")
    try:
        hosts = _range(m.group("host").strip("[]"), (m.group("last") or "").strip("[]"))
        reals = [Real(common.real_key(h, port or 0), int(m.group("weight") or 1), forward)
                 for h in hosts]
    except Bad as exc:
        notes.error(where, f"real={text.strip()}: {exc.what}")
        return []
    for real in reals:
        common.add_real(notes, where, svc, real)
    if m.group("request") is None:
        return []
    return [(m.group("request"), m.group("receive"), where)]


def _range(first: str, last: str) -> List[str]:
    if not last:
        return [first]
    from lvslite.config import addr
    a, b = addr.ip(first), addr.ip(last)
    if a[0] != 4 or b[0] != 4:
        raise Bad("an address range is IPv4 only", "")
    lo, hi = (int.from_bytes(bytes(int(p) for p in x[1].split(".")), "big") for x in (a, b))
    if not 0 <= hi - lo < MAX_RANGE:
        raise Bad(f"the range {first}->{last} is empty or longer than {MAX_RANGE} addresses",
                  "")
    return [".".join(str(n >> s & 255) for s in (24, 16, 8, 0)) for n in range(lo, hi + 1)]


def _fallback(text: str, where: Where, svc: Service, notes: Notes) -> None:
    m = _FALLBACK.match(text.strip())
    forward = (m.group("forward") if m else None) or "gate"
    if not m or forward not in FORWARDS:
        notes.error(where, f"cannot read fallback={text.strip()}: expected ADDRESS[:PORT] "
                    "[gate|masq|ipip]")
        return
    port = svc.key.port
    if m.group("port") is not None:
        port = common.port(notes, where, m.group("port"), svc.key.protocol or "tcp")
        if port is None:
            return
    try:
        real = Real(common.real_key(m.group("host").strip("[]"), port or 0), 1, forward)
    except Bad as exc:
        notes.error(where, f"fallback={text.strip()}: {exc.what}")
        return
    svc.fallback = common.add_real(notes, where, svc, real, "fallback")


def _seconds(notes: Notes, where: Where, name: str, text: Optional[str]) -> object:
    return common.seconds(notes, where, f"{name}={text}", text)


def _check(svc: Service, get, at, pairs: list, notes: Notes) -> Optional[dict]:
    key = svc.key
    ctype = (get("checktype") or "negotiate").lower()
    where = at("checktype")
    if ctype.isdigit():
        notes.warn(where, f"checktype={ctype} (connect checks with a negotiate check every "
                   f"{ctype}) has no lvslite equivalent; imported as negotiate at every check")
        ctype = "negotiate"
    elif ctype not in CHECKTYPES:
        notes.error(where, f"checktype={ctype}: expected one of {', '.join(CHECKTYPES)} or a "
                    "number")
        return None
    if ctype == "on":
        return common.check("none")
    if ctype == "off":
        notes.warn(where, "checktype=off keeps every real and the fallback out, which lvslite "
                   "cannot say; imported with check \"none\" and every real at weight 0")
        return {"type": "off"}
    if get("connecttimeout") is not None:
        notes.warn(at("connecttimeout"), "connecttimeout is ldirectord's old name of "
                   "negotiatetimeout; read as negotiatetimeout")
    negotiate_timeout = get("negotiatetimeout") or get("connecttimeout")
    if ctype == "negotiate":
        timeout = negotiate_timeout or get("checktimeout") or "30"
    else:
        timeout = get("checktimeout") or negotiate_timeout or "5"
    timing = {
        "interval": _seconds(notes, at("checkinterval"), "checkinterval",
                             get("checkinterval") or "10"),
        "timeout": _seconds(notes, at("checktimeout"), "timeout", timeout),
        "fall": _seconds(notes, at("failurecount"), "failurecount", get("failurecount")),
        "port": (common.port(notes, at("checkport"), get("checkport", ""))
                 if get("checkport") is not None else None),
    }
    for name, users in USED_BY.items():
        if get(name) is not None and ctype not in users:
            notes.warn(at(name), f"{name} is not used by checktype={ctype}; ignored")
    if ctype in ("external", "external-perl"):
        import shlex
        command = shlex.split(get("checkcommand") or "/bin/true")
        if ctype == "external-perl":
            notes.warn(where, "checktype=external-perl: lvslite runs the checkcommand as a "
                       "program, not inside a Perl interpreter")
        notes.warn(at("checkcommand"), "lvslite gives an external check the real's address and "
                   "port as its last two arguments (ldirectord gave the virtual's first); "
                   "check that the command reads them so")
        return common.check("external", command=command if len(command) > 1 else command[0],
                            **timing)
    if ctype in ("connect", "ping"):
        if ctype == "connect" and key.protocol == "udp":
            ctype = "ping"       # ldirectord pings for a connect check of a UDP service
        if ctype == "ping":
            timing.pop("port")
        return common.check(ctype, **timing)
    service = (get("service") or ("none" if key.fwmark else
                                  SERVICE_OF_PORT.get(key.port, "none"))).lower()
    if service == "none":
        return common.check("none")
    if service not in ("http", "https", "simpletcp"):
        fallback = "ping" if key.protocol == "udp" else "connect"
        notes.warn(at("service") if get("service") else where,
                   f"service={service} has no lvslite negotiate check; imported with check "
                   f"\"{fallback}\"")
        if fallback == "ping":
            timing.pop("port")
        return common.check(fallback, **timing)
    request, receive = get("request"), get("receive")
    for req, rec, at_real in pairs:
        if request is None and receive is None and all(p[:2] == (req, rec) for p in pairs):
            request, receive = req, rec
        elif (req, rec) != (request, receive):
            notes.warn(at_real, "a request/receive pair of its own for this real; lvslite "
                       "has one check per service: the service's is used for every real")
    if service == "simpletcp":
        return common.check("negotiate", service="tcp",
                            request=(request or "").replace("\\n", "\n") or None,
                            receive=receive or None, **timing)
    if (get("httpmethod") or "GET").upper() != "GET":
        notes.warn(at("httpmethod"), f"httpmethod={get('httpmethod')}: lvslite's HTTP check "
                   "always uses GET")
    request = request or "/"
    if not request.startswith("/"):
        request = "/" + request     # ldirectord's requests are relative to the site root
    return common.check("negotiate", service=service, request=request, receive=receive or None,
                        virtualhost=get("virtualhost"), **timing)
