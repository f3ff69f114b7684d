"""`ipvsadm -S` / `ipvsadm -S -n` output (an ipvsadm rules file) to lvslite services.

Each line is read by lvslite.ipvs.ipvsadm.parse_save, the parser the ipvsadm backend reads the
kernel's table with, one line at a time so that every value and every problem keeps its line.
This module adds what a saved file has and a live dump does not: comments, service and port
names (`ipvsadm -S` without -n), options parse_save passes over (-x/-y thresholds, tunnel
options, --pe), and the checks of what the config cannot say (scheduler flags, one-packet
scheduling, port 0 services).
"""
from __future__ import annotations

from lvslite.config.addr import Bad
from lvslite.ipvs.ipvsadm import ParseError, parse_save
from lvslite.ipvs.ops import F_ONEPACKET, sched_flag_names
from lvslite.migrate import common
from lvslite.migrate.common import Notes, Service
from lvslite.model import host_prefix

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional
    from lvslite.migrate.common import Where
    from lvslite.model import ServiceKey

PROTOCOL_OF = {"-t": "tcp", "-u": "udp", "--sctp-service": "sctp"}
# Options of each line, with the number of words they take. -b may stand alone at the end
# of a line (sh/mh with flag-3 only), -p without a number takes ipvsadm's default.
SERVICE_OPTIONS = {"-s": 1, "-p": 1, "-M": 1, "-o": 0, "-b": 1, "--pe": 1}
REAL_OPTIONS = {"-r": 1, "-g": 0, "-m": 0, "-i": 0, "-w": 1, "-x": 1, "-y": 1,
                "--tun-type": 1, "--tun-port": 1, "--tun-nocsum": 0, "--tun-csum": 0,
                "--tun-remcsum": 0}
DEFAULT_PERSISTENT = "360"      # what ipvsadm 1.31 sets for a bare -p (its -S shows it)
THRESHOLD = {"-x": "upper", "-y": "lower"}


def read(text: str, source: str, notes: Notes) -> List[Service]:
    services: Dict[ServiceKey, Service] = {}
    skipped: Dict[ServiceKey, int] = {}         # services not imported -> their -A line
    for lineno, line in enumerate(text.splitlines(), 1):
        where = (source, lineno)
        words = line.split("#", 1)[0].split()
        if not words:
            continue
        if words[0] in ("-C", "--clear"):
            notes.warn(where, "-C clears the table first; an imported config replaces the "
                       "whole table anyway")
            continue
        if words[0] not in ("-A", "-a") or len(words) < 3:
            notes.error(where, f"cannot read {line.strip()!r}: expected an -A or -a line of "
                        "ipvsadm -S")
            continue
        end = 3 + (words[1] == "-f" and words[3:4] == ["-6"])
        spec = _spec(notes, where, words[1:end])
        options = _options(notes, where, words[end:],
                           SERVICE_OPTIONS if words[0] == "-A" else REAL_OPTIONS)
        if spec is None or options is None:
            continue
        if words[0] == "-A":
            svc = _add_service(notes, where, spec, options)
            if svc is None:
                continue
            if svc.key in services or svc.key in skipped:
                first = services[svc.key].where[1] if svc.key in services else skipped[svc.key]
                notes.warn(where, f"{svc.key} is already added at line {first}; this line is "
                           "left out")
            elif svc.scheduler:
                services[svc.key] = svc
            else:
                skipped[svc.key] = lineno
        else:
            _add_real(notes, where, spec, options, services, skipped)
    return list(services.values())


def _spec(notes: Notes, where: Where, spec: List[str]) -> Optional[List[str]]:
    """The service words with a port name made a number; None (said) if unusable."""
    if spec[0] == "-f":
        if len(spec) < 2 or not spec[1].lstrip("-").isdigit():
            notes.error(where, "-f takes a fwmark number")
            return None
        return spec
    if spec[0] not in PROTOCOL_OF or len(spec) < 2:
        notes.error(where, f"{spec[0]}: expected -t, -u, --sctp-service or -f")
        return None
    address = _address(notes, where, spec[1], PROTOCOL_OF[spec[0]])
    return None if address is None else [spec[0], address]


def _address(notes: Notes, where: Where, text: str, protocol: str) -> Optional[str]:
    """ADDRESS:PORT with the address checked and a port name made a number."""
    host, port_text = common.hostport(text)
    if port_text is None:
        notes.error(where, f"{text}: expected ADDRESS:PORT")
        return None
    try:
        common.real_key(host, 0)
    except Bad as exc:
        named = any(c.isalpha() for c in host) and ":" not in host
        notes.error(where, exc.what + (" (save the table with ipvsadm -S -n)" if named else ""))
        return None
    port = 0 if port_text == "0" else common.port(notes, where, port_text, protocol)
    if port is None:
        return None
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _options(notes: Notes, where: Where, words: List[str], known: Dict[str, int]
             ) -> Optional[List[str]]:
    """The option words, checked against `known`; options lvslite drops are said and taken
    out here (-x, -y, the tunnel's, --pe), the others are left for parse_save."""
    out: List[str] = []
    i = 0
    while i < len(words):
        opt = words[i]
        if opt not in known:
            notes.error(where, f"unknown option {opt}")
            return None
        n = known[opt]
        value = words[i + 1:i + 1 + n]
        if opt == "-p" and not (value and value[0].isdigit()):
            value, n = [DEFAULT_PERSISTENT], 0
        elif len(value) < n and opt != "-b":
            notes.error(where, f"{opt} needs a value")
            return None
        i += 1 + n
        if opt in THRESHOLD:
            notes.warn(where, f"{opt} {value[0]}: lvslite has no {THRESHOLD[opt]} connection "
                       "threshold; real imported without it")
        elif opt == "--tun-type" and value == ["ipip"]:
            pass    # what -i means anyway
        elif opt.startswith("--tun-"):
            notes.warn(where, f"{' '.join([opt] + value)}: lvslite tunnels are plain ipip; "
                       "real imported with forward \"ipip\" without it")
        elif opt == "--pe":
            notes.warn(where, f"--pe {value[0]}: lvslite has no persistence engines; service "
                       "imported without it")
        else:
            out += [opt] + value
    return out


def _parse(notes: Notes, where: Where, text: str):
    try:
        return parse_save(text)
    except ParseError as exc:
        notes.error(where, str(exc).split(": ", 2)[-1])
        return None


def _add_service(notes: Notes, where: Where, spec: List[str], options: List[str]
                 ) -> Optional[Service]:
    """The service of an -A line; scheduler "" when it is not imported (said)."""
    table = _parse(notes, where, " ".join(["-A"] + spec + options))
    if not table:
        return None
    vs = next(iter(table.values()))
    key = vs.key
    if not key.fwmark and key.port == 0:
        notes.warn(where, f"{key} is on port 0 (every port, with persistence), which lvslite "
                   "cannot say; the service and its reals are not imported")
        return Service(where, key, "")
    if vs.flags:
        what = ["one-packet scheduling (-o)"] if vs.flags & F_ONEPACKET else []
        names = sched_flag_names(vs.scheduler, vs.flags)
        if names:
            what.append(f"scheduler flags (-b {','.join(names)})")
        notes.warn(where, f"lvslite has no {' or '.join(what)}; service imported without "
                   f"{'them' if len(what) > 1 or names else 'it'}")
    sched = common.scheduler(notes, where, vs.scheduler)
    if sched is None:
        return None
    svc = Service(where, key, sched)
    svc.persistent = vs.persistent
    if vs.netmask != host_prefix(key.af):
        svc.netmask = vs.netmask
    return svc


def _add_real(notes: Notes, where: Where, spec: List[str], options: List[str],
              services: Dict[ServiceKey, Service], skipped: Dict[ServiceKey, int]) -> None:
    if "-r" not in options:
        notes.error(where, "an -a line without -r ADDRESS:PORT")
        return
    at = options.index("-r") + 1
    protocol = PROTOCOL_OF.get(spec[0], "tcp")
    address = _address(notes, where, options[at], protocol)
    if address is None:
        return
    forward = [o for o in options if o in ("-g", "-m", "-i")] or ["-g"]
    weight = options[options.index("-w"):options.index("-w") + 2] if "-w" in options else []
    table = _parse(notes, where, "\n".join([" ".join(["-A"] + spec),
                                            " ".join(["-a"] + spec + ["-r", address] +
                                                     forward[-1:] + weight)]))
    if not table:
        return
    vs = next(iter(table.values()))
    svc = services.get(vs.key)
    if svc is None:
        if vs.key not in skipped:
            notes.warn(where, f"a real of {vs.key}, which no -A line before adds; left out")
        return
    common.add_real(notes, where, svc, vs.reals[0])
