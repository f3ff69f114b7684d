"""keepalived.conf to lvslite services.

The file is read with a tokenizer of our own into a tree of statements: a keyword, its words
on the same line, and a `{ ... }` block where one follows. `#` and `!` start comments outside
double quotes; `include PATTERN` (a glob, relative to the including file) is replaced by the
statements of the files it matches, in name order. Only the load-balancing part is imported:
virtual_server and virtual_server_group; VRRP and the rest are named and left out.

Defaults are keepalived's: lb_algo wlc, lb_kind NAT, delay_loop 60, connect_timeout 5,
weight 1. keepalived checks each real on its own; lvslite has one check per service, so the
first real's check is the service's and a real whose check differs is warned about.
"""
from __future__ import annotations

from lvslite.config.addr import Bad
from lvslite.migrate import common
from lvslite.migrate.common import Notes, Service
from lvslite.model import Real, ServiceKey

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional, Tuple
    from lvslite.migrate.common import Where

MAX_INCLUDE_DEPTH = 8
MAX_RANGE = 256
FORWARD_OF = {"nat": "masq", "dr": "gate", "tun": "ipip"}
DEFAULT_DELAY_LOOP = "60"
DEFAULT_CONNECT_TIMEOUT = "5"
# Checkers lvslite has no counterpart for: what is used instead is said with them.
OTHER_CHECKS = ("SMTP_CHECK", "DNS_CHECK", "UDP_CHECK", "BFD_CHECK", "FILE_CHECK")
# Top-level blocks that are not load balancing.
NOT_LVS = {"global_defs": "global settings of keepalived",
           "vrrp_instance": "lvslite does not do VRRP", "vrrp_sync_group": "lvslite does not do VRRP",
           "vrrp_script": "lvslite does not do VRRP", "static_ipaddress": "lvslite sets no addresses",
           "static_routes": "lvslite sets no routes", "static_rules": "lvslite sets no rules",
           "linkbeat_interfaces": "lvslite does not do VRRP", "track_file": "lvslite does not do VRRP",
           "garp_group": "lvslite does not do VRRP", "bfd_instance": "lvslite does not do BFD",
           "net_namespace": "lvslite runs in one namespace"}
# virtual_server and real_server settings lvslite cannot say.
NOT_IMPORTED = {
    "ops": "one-packet scheduling", "hashed": "scheduler flags", "flag-1": "scheduler flags",
    "flag-2": "scheduler flags", "flag-3": "scheduler flags", "sh-port": "scheduler flags",
    "sh-fallback": "scheduler flags", "mh-port": "scheduler flags",
    "mh-fallback": "scheduler flags", "persistence_engine": "persistence engines",
    "ha_suspend": "ha_suspend", "alpha": "alpha mode", "omega": "omega mode",
    "quorum": "quorum", "quorum_up": "quorum", "quorum_down": "quorum",
    "hysteresis": "quorum", "smtp_alert": "mail alerts", "snmp_name": "SNMP names",
    "sorry_server_inhibit": "sorry_server_inhibit", "warmup": "check warm-up",
    "uthreshold": "connection thresholds", "lthreshold": "connection thresholds",
    "notify_up": "notify scripts", "notify_down": "notify scripts", "ip_family": "ip_family",
    "weight": "virtual server weight", "delay_before_retry": "delay before retries",
}


class Node:
    """One statement: keyword, its words, and its block (None when it has none)."""
    __slots__ = ("name", "args", "where", "block")

    def __init__(self, name: str, where: Where) -> None:
        self.name, self.args, self.where = name, [], where
        self.block: Optional[List[Node]] = None


# --------------------------------------------------------------------------- tokens and tree

def _tokens(text: str, source: str) -> list:
    """(kind, text, where) with kind "word", "{", "}" or "\\n" (end of a line)."""
    out = []
    for lineno, line in enumerate(text.splitlines(), 1):
        where = (source, lineno)
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if c in "#!":
                break
            if c.isspace():
                i += 1
            elif c in "{}":
                out.append((c, c, where))
                i += 1
            elif c == '"':
                end = line.find('"', i + 1)
                if end < 0:
                    end = n     # keepalived takes an unclosed quote to the end of the line
                out.append(("word", line[i + 1:end], where))
                i = end + 1
            else:
                j = i
                while j < n and not line[j].isspace() and line[j] not in '{}"':
                    j += 1
                out.append(("word", line[i:j], where))
                i = j
        out.append(("\n", "", where))
    return out


def _expand(tokens: list, notes: Notes, depth: int) -> list:
    """`tokens` with each `include PATTERN` line replaced by the tokens of its files."""
    import glob
    import os
    out = []
    i = 0
    while i < len(tokens):
        kind, text, where = tokens[i]
        at_start = i == 0 or tokens[i - 1][0] in ("\n", "{", "}")
        if kind == "word" and text == "include" and at_start:
            words = []
            i += 1
            while i < len(tokens) and tokens[i][0] == "word":
                words.append(tokens[i][1])
                i += 1
            if len(words) != 1:
                raise notes.fail(where, "include takes one file name or pattern")
            if depth >= MAX_INCLUDE_DEPTH:
                raise notes.fail(where, f"includes nested deeper than {MAX_INCLUDE_DEPTH} "
                                 "(an include loop?)")
            pattern = os.path.join(os.path.dirname(where[0]), words[0])
            paths = sorted(glob.glob(pattern))
            if not paths:
                notes.warn(where, f"include {words[0]} matches no file; nothing included")
            from lvslite.migrate import read_text
            for path in paths:
                out += _expand(_tokens(read_text(path, notes, where), path), notes, depth + 1)
            continue
        out.append(tokens[i])
        i += 1
    return out


def parse(text: str, source: str, notes: Notes) -> List[Node]:
    """The statements of `text` (includes read), as a tree; Failed on unbalanced braces."""
    top: List[Node] = []
    stack: List[Tuple[List[Node], Where]] = [(top, (source, 0))]
    current: Optional[Node] = None
    for kind, text_, where in _expand(_tokens(text, source), notes, 0):
        if kind == "\n":
            current = None
        elif kind == "{":
            body = stack[-1][0]
            owner = current or (body[-1] if body and body[-1].block is None else None)
            if owner is None:
                raise notes.fail(where, "{ without a keyword before it")
            owner.block = []
            stack.append((owner.block, where))
            current = None
        elif kind == "}":
            if len(stack) == 1:
                raise notes.fail(where, "} without a { to close")
            stack.pop()
            current = None
        elif current is None:
            current = Node(text_, where)
            stack[-1][0].append(current)
        else:
            current.args.append(text_)
    if len(stack) > 1:
        where = stack[-1][1]
        raise notes.fail(where, f"the {{ opened at line {where[1]} is never closed")
    return top


# --------------------------------------------------------------------------- services

def read(text: str, source: str, notes: Notes) -> List[Service]:
    groups: Dict[str, Node] = {}
    services: List[Service] = []
    for node in parse(text, source, notes):
        if node.name == "virtual_server_group":
            if len(node.args) != 1 or node.block is None:
                notes.error(node.where, "virtual_server_group takes a name and a block")
            else:
                groups[node.args[0]] = node
        elif node.name == "virtual_server":
            services += _virtual_server(node, groups, notes)
        elif node.name in NOT_LVS:
            notes.warn(node.where, f"{node.name} is not imported ({NOT_LVS[node.name]})")
        else:
            notes.warn(node.where, f"unknown keyword {node.name!r}; ignored")
    return services


def _members(node: Node, groups: Dict[str, Node], notes: Notes
             ) -> List[Tuple[Optional[str], int, int, Where]]:
    """The (address, port, fwmark, where) a virtual_server stands for: itself, or each member
    of its group (address ranges expanded)."""
    args = node.args
    if args[:1] == ["group"]:
        group = groups.get(args[1]) if len(args) == 2 else None
        if group is None:
            notes.error(node.where, f"virtual_server {' '.join(args)}: no virtual_server_group "
                        "of that name before it")
            return []
        out = []
        for member in group.block or ():
            out += _member([member.name] + member.args, member.where, notes)
        if not out:
            notes.warn(node.where, f"virtual_server_group {args[1]} has no members; "
                       "nothing imported")
        return out
    return _member(args, node.where, notes)


def _member(words: List[str], where: Where, notes: Notes) -> list:
    if len(words) == 2 and words[0] == "fwmark":
        if not words[1].isdigit() or not 1 <= int(words[1]) <= 2 ** 32 - 1:
            notes.error(where, f"fwmark {words[1]} is not a number 1..4294967295")
            return []
        return [(None, 0, int(words[1]), where)]
    if len(words) == 1 or (len(words) == 2 and words[1] == "0"):
        notes.warn(where, f"{words[0]} has no port (every port, with persistence), which "
                   "lvslite cannot say; not imported")
        return []
    if len(words) != 2:
        notes.error(where, f"expected ADDRESS PORT or fwmark N, got {' '.join(words)!r}")
        return []
    port = common.port(notes, where, words[1])
    if port is None:
        return []
    host, dash, last = words[0].partition("-")
    if not dash:
        return [(host, port, 0, where)]
    # a range: the last part of the address runs from the first one's to `last`
    sep = ":" if ":" in host else "."
    head, _, first = host.rpartition(sep)
    base = 16 if sep == ":" else 10
    try:
        lo, hi = int(first or "0", base), int(last, base)
    except ValueError:
        notes.error(where, f"cannot read the address range {words[0]}")
        return []
    if not 0 <= hi - lo < MAX_RANGE:
        notes.error(where, f"the address range {words[0]} is empty or longer than {MAX_RANGE}")
        return []
    hosts = [f"{head}{sep}{n:x}" if base == 16 else f"{head}{sep}{n}" for n in range(lo, hi + 1)]
    notes.warn(where, f"the range {words[0]} {port} is one entry in keepalived; lvslite has no "
               f"ranges: expanded into {len(hosts)} services")
    return [(h, port, 0, where) for h in hosts]


class _Settings:
    """A virtual_server's settings, with where each was given."""

    def __init__(self) -> None:
        self.values: Dict[str, Tuple[List[str], Where]] = {}

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        got = self.values.get(name)
        return got[0][0] if got and got[0] else default

    def at(self, name: str, default: Where) -> Where:
        return self.values[name][1] if name in self.values else default


def _virtual_server(node: Node, groups: Dict[str, Node], notes: Notes) -> List[Service]:
    if not node.args:
        notes.error(node.where, "virtual_server without an address")
        return []
    members = _members(node, groups, notes)
    vs = _Settings()
    reals = _sort(node, vs, VS_KEYWORDS, lambda n: n == "real_server", notes)
    if not reals:
        notes.warn(node.where, "a virtual_server without real_server, which keepalived "
                   "ignores; not imported")
        return []
    out = []
    for address, port, fwmark, where in members:
        svc = _service(node, address, port, fwmark, where, vs, reals, notes)
        if svc is not None:
            out.append(svc)
    return out


def _sort(node: Node, settings: _Settings, keywords: Tuple[str, ...], wanted, notes: Notes
          ) -> List[Node]:
    """The statements of `node`'s block that `wanted(name)` picks; its `keywords` go into
    `settings` (under keepalived's older names too); the rest are warned about."""
    picked = []
    for item in node.block or ():
        name = ALIASES.get(item.name, item.name)
        if wanted(item.name):
            picked.append(item)
        elif name in keywords:
            settings.values[name] = (item.args, item.where)
        elif name in NOT_IMPORTED:
            notes.warn(item.where, f"{item.name}: lvslite has no {NOT_IMPORTED[name]}; "
                       "not imported")
        else:
            notes.warn(item.where, f"unknown keyword {item.name!r} in {node.name}; ignored")
    return picked


ALIASES = {"lvs_sched": "lb_algo", "lvs_method": "lb_kind"}
VS_KEYWORDS = ("delay_loop", "lb_algo", "lb_kind", "persistence_timeout",
               "persistence_granularity", "protocol", "sorry_server", "sorry_server_lvs_method",
               "inhibit_on_failure", "virtualhost", "retry", "connect_timeout")
RS_KEYWORDS = ("weight", "lb_kind", "inhibit_on_failure", "delay_loop", "retry",
               "connect_timeout", "virtualhost")


def _forward(notes: Notes, where: Where, text: Optional[str], default: str) -> str:
    if text is None:
        return default
    forward = FORWARD_OF.get(text.lower())
    if forward is None:
        notes.error(where, f"lb_kind {text}: expected NAT, DR or TUN")
        return default
    return forward


def _service(node: Node, address: Optional[str], port: int, fwmark: int, where: Where,
             vs: _Settings, reals: List[Node], notes: Notes) -> Optional[Service]:
    errors = notes.errors
    protocol = (vs.get("protocol") or "tcp").lower()
    if protocol not in ("tcp", "udp", "sctp"):
        notes.error(vs.at("protocol", where), f"protocol {protocol}: expected TCP, UDP or SCTP")
        return None
    if fwmark:
        key = ServiceKey(4, "", "", 0, fwmark)
    else:
        try:
            key = common.service_key(protocol, address or "", port)
        except Bad as exc:
            notes.error(where, exc.what)
            return None
    sched = common.scheduler(notes, vs.at("lb_algo", where), (vs.get("lb_algo") or "wlc"))
    if sched is None:
        return None
    svc = Service(where, key, sched)
    if vs.get("persistence_timeout") is not None:
        try:
            svc.persistent = int(vs.get("persistence_timeout", ""))
        except ValueError:
            notes.error(vs.at("persistence_timeout", where), "persistence_timeout "
                        f"{vs.get('persistence_timeout')} is not a number of seconds")
    if vs.get("persistence_granularity") is not None:
        common.netmask(notes, vs.at("persistence_granularity", where), svc,
                       vs.get("persistence_granularity", ""))
    forward = _forward(notes, vs.at("lb_kind", where), vs.get("lb_kind"), "masq")
    checks = []     # (check, real, where) of each real, in file order
    inhibit = set()
    for rs in reals:
        got = _real(rs, svc, vs, forward, notes)
        if got is not None:
            real, check, quiescent = got
            checks.append((check, real, rs.where))
            inhibit.add(quiescent)
    svc.quiescent = True in inhibit
    if len(inhibit) > 1:
        notes.warn(where, "inhibit_on_failure is set for some reals only; lvslite's quiescent "
                   "is per service: set for every real")
    if checks:
        svc.check = checks[0][0]
        for check, real, at in checks[1:]:
            if check != svc.check:
                notes.warn(at, f"real {real.key} is checked differently from real "
                           f"{checks[0][1].key}; lvslite has one check per service: imported "
                           f"with the check of {checks[0][1].key}")
    if vs.get("sorry_server") is not None:
        _sorry(svc, vs, forward, notes)
    return svc if notes.errors == errors else None


def _sorry(svc: Service, vs: _Settings, forward: str, notes: Notes) -> None:
    args, where = vs.values["sorry_server"]
    if len(args) not in (1, 2):
        notes.error(where, "sorry_server takes an address and a port")
        return
    port = common.port(notes, where, args[1]) if len(args) == 2 else svc.key.port
    if port is None:
        return
    forward = _forward(notes, vs.at("sorry_server_lvs_method", where),
                       vs.get("sorry_server_lvs_method"), forward)
    try:
        real = Real(common.real_key(args[0], port), 1, forward)
    except Bad as exc:
        notes.error(where, f"sorry_server: {exc.what}")
        return
    svc.fallback = common.add_real(notes, where, svc, real, "fallback")


def _real(rs: Node, svc: Service, vs: _Settings, forward: str, notes: Notes
          ) -> Optional[Tuple[Real, Optional[dict], bool]]:
    """The real of a real_server block, added to `svc`; with its check and quiescence."""
    if len(rs.args) != 2:
        notes.error(rs.where, "real_server takes an address and a port")
        return None
    port = 0 if svc.key.fwmark and rs.args[1] == "0" else \
        common.port(notes, rs.where, rs.args[1], svc.key.protocol or "tcp")
    if port is None:
        return None
    own = _Settings()
    checkers = _sort(rs, own, RS_KEYWORDS,
                     lambda n: n.endswith("_CHECK") or n in ("HTTP_GET", "SSL_GET"), notes)
    weight_text = own.get("weight", "1") or "1"
    if not weight_text.isdigit():
        notes.error(own.at("weight", rs.where), f"weight {weight_text} is not a number")
        return None
    try:
        real = Real(common.real_key(rs.args[0], port), int(weight_text),
                    _forward(notes, own.at("lb_kind", rs.where), own.get("lb_kind"), forward))
    except Bad as exc:
        notes.error(rs.where, exc.what)
        return None
    added = common.add_real(notes, rs.where, svc, real)
    if added is None:
        return None

    def setting(name: str, checker: Optional[_Settings] = None) -> Optional[str]:
        """A check setting: the checker's own, else the real's, else the virtual's."""
        for scope in (checker, own, vs):
            if scope is not None and scope.get(name) is not None:
                return scope.get(name)
        return None

    quiescent = "inhibit_on_failure" in own.values or "inhibit_on_failure" in vs.values
    if checkers:
        check = _check(checkers[0], added, svc, setting, notes)
        for extra in checkers[1:]:
            notes.warn(extra.where, f"a second checker ({extra.name}) for real {added.key}; "
                       f"lvslite has one check per service: only {checkers[0].name} is imported")
    else:
        check = common.check("none")
    return added, check, quiescent


def _seconds(notes: Notes, where: Where, name: str, text: Optional[str]) -> object:
    return common.seconds(notes, where, f"{name} {text}", text)


def _check(node: Node, real: Real, svc: Service, setting, notes: Notes) -> Optional[dict]:
    own = _Settings()
    urls: List[Node] = []
    for item in node.block or ():
        if item.name == "url":
            urls.append(item)
        else:
            own.values[item.name] = (item.args, item.where)
    name = node.name
    kind = {"TCP_CHECK": "connect", "HTTP_GET": "negotiate", "SSL_GET": "negotiate",
            "MISC_CHECK": "external", "PING_CHECK": "ping"}.get(name)
    if kind is None:
        kind = "ping" if svc.key.protocol == "udp" else "connect"
        what = "has no lvslite equivalent" if name in OTHER_CHECKS else "is not a keepalived " \
            "checker lvslite knows"
        notes.warn(node.where, f"{name} {what}; real {real.key} imported with check \"{kind}\"")
    values: dict = {
        "interval": _seconds(notes, node.where, "delay_loop",
                             setting("delay_loop", own) or DEFAULT_DELAY_LOOP),
    }
    timeout_name = "misc_timeout" if name == "MISC_CHECK" else "connect_timeout"
    values["timeout"] = _seconds(notes, own.at(timeout_name, node.where), timeout_name,
                                 setting(timeout_name, own) or DEFAULT_CONNECT_TIMEOUT)
    retry = own.get("retry") or own.get("nb_get_retry") or setting("retry")
    if retry is not None:
        if not retry.isdigit():
            notes.error(own.at("retry", node.where), f"retry {retry} is not a number")
        else:
            values["fall"] = int(retry) + 1      # keepalived retries `retry` times, then fails
    if kind in ("connect", "negotiate"):
        port_text = own.get("connect_port")
        if port_text is not None:
            port = common.port(notes, own.at("connect_port", node.where), port_text)
            if port is not None and port != real.key.port:
                values["port"] = port
    handled = {"connect_port", "connect_timeout", "misc_timeout", "retry", "nb_get_retry",
               "delay_loop"}
    if kind == "negotiate" and name in ("HTTP_GET", "SSL_GET"):
        values["service"] = "http" if name == "HTTP_GET" else "https"
        values["virtualhost"] = setting("virtualhost", own)
        handled.add("virtualhost")
        if urls:
            _url(urls[0], values, notes)
            for extra in urls[1:]:
                notes.warn(extra.where, "a second url; lvslite's check asks for one: only the "
                           "first is imported")
    if name == "MISC_CHECK":
        import shlex
        path = own.get("misc_path")
        if path is None:
            notes.error(node.where, "MISC_CHECK without misc_path")
            return None
        command = shlex.split(path)
        values["command"] = command if len(command) > 1 else command[0]
        notes.warn(own.at("misc_path", node.where), "lvslite gives an external check the real's "
                   "address and port as two more arguments; check that misc_path accepts them")
        handled.add("misc_path")
    for key_, (args, at) in own.values.items():
        if key_ in handled:
            continue
        if key_ == "delay_before_retry":
            notes.warn(at, "delay_before_retry: lvslite checks again at the next interval; "
                       "not imported")
        elif key_ == "misc_dynamic":
            notes.warn(at, "misc_dynamic: lvslite does not set weights from a check's exit "
                       "status; not imported")
        else:
            notes.warn(at, f"{key_} in {name}: lvslite's check has no such setting; ignored")
    return common.check(kind, **values)


def _url(url: Node, values: dict, notes: Notes) -> None:
    for item in url.block or ():
        arg = item.args[0] if item.args else ""
        if item.name == "path":
            values["request"] = arg
        elif item.name == "status_code":
            codes = [int(a) if a.isdigit() else a for a in item.args]
            values["status"] = codes[0] if len(codes) == 1 else codes
        elif item.name == "regex":
            values["receive"] = arg
        elif item.name == "virtualhost":
            values["virtualhost"] = arg
        elif item.name == "digest":
            notes.warn(item.where, "digest has no lvslite equivalent (lvslite matches the status "
                       "and a regular expression); not imported")
        else:
            notes.warn(item.where, f"{item.name} in url: lvslite's check has no such setting; "
                       "ignored")
