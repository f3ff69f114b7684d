"""What the three importers share: notes with file:line, a service being built, the config.

Each importer reads its format into `Service` values (model keys and reals, canonical
addresses) and says what it could not carry over as `Notes`; `config()` turns the services
into a config dict with the conventions of `lvslite export --format json` (the kernel part is
written by lvslite.ipvs.export.to_config itself) and runs the project's validator on each
service, so a value the source format took but lvslite refuses is an error at its line.
"""
from __future__ import annotations

from lvslite.config import addr
from lvslite.config.addr import Bad
from lvslite.config.checks import KEYS as CHECK_KEYS
from lvslite.config.errors import ConfigError
from lvslite.config.validate import SERVICE_KEYS, ipaddress_is_loopback, validate
from lvslite.ipvs.export import to_config
from lvslite.model import (SCHEDULERS, Real, RealKey, ServiceKey, VirtualService,
                           host_prefix)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional, Tuple
    Where = Tuple[str, int]


class Note:
    """One thing said about the input: `FILE:LINE: text` (errors add `error: `)."""
    __slots__ = ("source", "line", "text", "error")

    def __init__(self, source: str, line: int, text: str, error: bool = False) -> None:
        self.source, self.line, self.text, self.error = source, line, text, error

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line else self.source
        return f"{where}: {'error: ' if self.error else ''}{self.text}"

    def __repr__(self) -> str:
        return f"Note({str(self)!r})"


class Failed(Exception):
    """Nothing usable can be made of the input; `notes` says why (and what else was seen)."""

    def __init__(self, notes: List[Note]) -> None:
        super().__init__("\n".join(str(n) for n in notes))
        self.notes = notes


class Notes:
    """Warnings and errors in the order met."""

    def __init__(self) -> None:
        self.items: List[Note] = []

    def warn(self, where: Where, text: str) -> None:
        self.items.append(Note(where[0], where[1], text))

    def error(self, where: Where, text: str) -> None:
        self.items.append(Note(where[0], where[1], text, True))

    @property
    def errors(self) -> int:
        return sum(n.error for n in self.items)

    @property
    def failed(self) -> bool:
        return self.errors > 0

    def fail(self, where: Where, text: str) -> Failed:
        """The error, recorded, as an exception that stops the import."""
        self.error(where, text)
        return Failed(self.items)


class Service:
    """One virtual service on its way to the config. For a fwmark service `key.af` is set
    from its reals by `config()`."""
    __slots__ = ("where", "key", "scheduler", "persistent", "netmask", "reals", "fallback",
                 "quiescent", "check")

    def __init__(self, where: Where, key: ServiceKey, scheduler: str) -> None:
        self.where = where
        self.key = key
        self.scheduler = scheduler
        self.persistent = 0
        self.netmask: Optional[int] = None     # a prefix length; None = one client
        self.reals: List[Tuple[Real, Where]] = []
        self.fallback: Optional[Real] = None
        self.quiescent = False
        self.check: Optional[dict] = None


# --------------------------------------------------------------------------- values

def number(text: str) -> object:
    """'5' -> 5, '1.5' -> 1.5; ValueError for anything else (no nan, inf or sign)."""
    if not text or not all(c.isdigit() or c == "." for c in text) or text.count(".") > 1 \
            or text == ".":
        raise ValueError(f"{text!r} is not a number")
    value = float(text)
    return int(value) if value.is_integer() else value


# Service names every box knows, for one without /etc/services (as a minimal image may be).
WELL_KNOWN = {"ftp": 21, "ssh": 22, "smtp": 25, "domain": 53, "http": 80, "www": 80,
              "pop3": 110, "imap": 143, "https": 443, "submission": 587, "imaps": 993,
              "pop3s": 995, "mysql": 3306, "sip": 5060, "postgresql": 5432}


def port(notes: Notes, where: Where, text: str, protocol: str = "tcp") -> Optional[int]:
    """A port number, or a service name looked up in /etc/services (no DNS involved)."""
    try:
        if text.isdigit():
            return addr.port(text)
    except Bad as exc:
        notes.error(where, exc.what)
        return None
    import socket
    try:
        return socket.getservbyname(text, "udp" if protocol == "udp" else "tcp")
    except OSError:
        if text in WELL_KNOWN:
            return WELL_KNOWN[text]
        notes.error(where, f"port {text!r} is neither a number nor a known service name")
        return None


def hostport(text: str) -> Tuple[str, Optional[str]]:
    """'A.B.C.D:PORT', '[v6]:PORT', 'A.B.C.D' or '[v6]' as (host, port text or None)."""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        return host, rest[1:] if rest.startswith(":") else None
    host, colon, port_text = text.rpartition(":")
    return (host, port_text) if colon and ":" not in host else (text, None)


def seconds(notes: Notes, where: Where, said: str, text: Optional[str]) -> object:
    """`text` as a number of seconds (None stays None); `said` is how the file spelled it."""
    if text is None:
        return None
    try:
        return number(text)
    except ValueError:
        notes.error(where, f"{said} is not a number of seconds")
        return None


def service_key(protocol: str, address: str, port: int) -> ServiceKey:
    """The key of an address service; raises Bad for an address lvslite cannot use."""
    family, canonical = addr.ip(address)
    return ServiceKey(family, protocol, canonical, port)


def real_key(address: str, port: int) -> RealKey:
    return RealKey(addr.ip(address)[1], port)


def scheduler(notes: Notes, where: Where, name: str) -> Optional[str]:
    if name in SCHEDULERS:
        return name
    notes.error(where, f"unknown scheduler {name!r} (lvslite knows {', '.join(SCHEDULERS)})")
    return None


def netmask(notes: Notes, where: Where, svc: Service, text: str) -> None:
    """A persistence granularity: a dotted mask (IPv4) or a prefix length."""
    try:
        if text.isdigit():
            prefix = int(text)
            if not 1 <= prefix <= (128 if svc.key.fwmark else host_prefix(svc.key.af)):
                raise Bad(f"prefix length {prefix} is out of range", "")
        else:
            prefix = addr.ipv4_mask(text)
    except Bad as exc:
        notes.error(where, f"netmask: {exc.what}")
        return
    svc.netmask = prefix


def check(type_: str, **values) -> dict:
    """A check object, keys in the config's order, None values left out."""
    values["type"] = type_
    return {k: values[k] for k in CHECK_KEYS if values.get(k) is not None}


def add_real(notes: Notes, where: Where, svc: Service, real: Real, what: str = "real"
             ) -> Optional[Real]:
    """`real` made fit for `svc` (what the kernel would do anyway, said as a warning), added
    to its reals unless `what` is "fallback"; None when it cannot be used."""
    key = svc.key
    family = 6 if ":" in real.key.address else 4
    if not key.fwmark and family != key.af:
        notes.error(where, f"{what} {real.key} is IPv{family} in the IPv{key.af} service {key}")
        return None
    if not key.fwmark and real.forward in ("gate", "ipip") and real.key.port != key.port:
        notes.warn(where, f"{what} {real.key} is on another port than the service ({key.port})"
                   f" with forward \"{real.forward}\", where the kernel does not translate "
                   f"ports; imported on port {key.port}")
        real = real.replace(key=RealKey(real.key.address, key.port))
    if real.forward == "masq" and ipaddress_is_loopback(real.key.address):
        notes.warn(where, f"{what} {real.key} is a loopback address, which the kernel does not "
                   f"NAT to; imported with forward \"gate\"")
        real = real.replace(forward="gate")
    if what == "fallback":
        return real
    for other, at in svc.reals:
        if other.key == real.key:
            notes.warn(where, f"real {real.key} is already listed at line {at[1]}; "
                       f"this one is left out")
            return None
    svc.reals.append((real, where))
    return real


# --------------------------------------------------------------------------- the config

def _address(real: Real, portless: bool) -> str:
    host = f"[{real.key.address}]" if ":" in real.key.address else real.key.address
    return host if portless and real.key.port == 0 else f"{host}:{real.key.port}"


def _entry(notes: Notes, svc: Service) -> dict:
    key = svc.key
    mask = host_prefix(key.af) if svc.netmask is None else svc.netmask
    vs = VirtualService(key, svc.scheduler, svc.persistent, mask, 0,
                        tuple(sorted(r for r, _ in svc.reals)))
    doc, warnings = to_config({key: vs})
    for text in warnings:   # the forms the config cannot say (an IPv6 fwmark without reals)
        notes.warn(svc.where, text[len(str(key)) + 2:] if text.startswith(f"{key}: ") else text)
    entry = doc["services"][0]
    if svc.fallback is not None:
        fb, forward = svc.fallback, entry.get("forward", "gate")
        text = _address(fb, bool(key.fwmark))
        if fb.weight == 1 and fb.forward == forward:
            entry["fallback"] = text
        else:
            entry["fallback"] = {"address": text}
            if fb.weight != 1:
                entry["fallback"]["weight"] = fb.weight
            if fb.forward != forward:
                entry["fallback"]["forward"] = fb.forward
    if svc.quiescent:
        entry["quiescent"] = True
    if svc.check is not None:
        entry["check"] = svc.check
    return {k: entry[k] for k in SERVICE_KEYS if k in entry}


def config(notes: Notes, services: List[Service], source: str) -> dict:
    """The config of `services` (file order). Raises Failed when there are errors, or no
    service at all. A service defined twice is kept once, the first time, with a warning."""
    seen: Dict[ServiceKey, Where] = {}
    out = []
    for svc in services:
        if svc.key.fwmark:
            families = {6 if ":" in r.key.address else 4 for r, _ in svc.reals}
            if len(families) > 1:
                notes.error(svc.where, f"{svc.key} mixes IPv4 and IPv6 reals; lvslite takes one "
                            f"address family per fwmark service")
                continue
            if families:
                svc.key = svc.key.replace(af=families.pop())
        # the key the config will say (a fwmark without reals is read back as IPv4)
        written = svc.key.replace(af=4) if svc.key.fwmark and not svc.reals else svc.key
        if written in seen:
            said = str(written) if written == svc.key else \
                f"{svc.key} (without reals, which the config reads back as IPv4)"
            notes.warn(svc.where, f"{said} is already defined at line {seen[written][1]}; "
                       "this one is left out")
            continue
        seen[written] = svc.where
        if svc.netmask is not None and not svc.persistent:
            notes.warn(svc.where, f"{svc.key} has a persistence netmask but no persistence, "
                       f"where it has no effect; left out")
        entry = _entry(notes, svc)
        try:
            validate({"services": [entry]}, svc.where[0])
        except ConfigError as exc:
            for p in exc.problems:
                notes.error(svc.where, str(p).replace("services[0].", "", 1))
            continue
        out.append(entry)
    if notes.failed:
        raise Failed(notes.items)
    if not out:
        raise notes.fail((source, 0), "no virtual service could be imported")
    return {"services": out}
