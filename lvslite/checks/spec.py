"""What a check is (CheckSpec), what it is aimed at (Target), what it found (Result).

Values only, no I/O. `CheckSpec.from_dict` turns the config's `check` object, already
validated by lvslite.config.checks, into a spec with every default filled in: the defaults live
here and nowhere else. Specs are immutable and hashable so identical checks of the same real,
configured by several services, can be run once (identity() below). They are tuples with named
fields (lvslite.model.Record), not dataclasses: the daemon imports this module on every box,
and dataclasses (with the `inspect` it pulls in) and typing cost it over a megabyte of RSS.
"""
from __future__ import annotations

from lvslite.model import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Optional, Tuple

# The check types, negotiate services and defaults of docs/config.md#health-checks.
TYPES = ("connect", "negotiate", "external", "ping", "none")
SERVICES = ("http", "https", "tcp")
DEFAULT_TYPE = "connect"
DEFAULT_SERVICE = "http"        # our choice: the service every example config uses
DEFAULT_STATUS = ((200, 399),)  # status default 200-399 (docs/config.md#health-checks)
DEFAULT_INTERVAL = 5.0          # interval default 5 s (docs/config.md#health-checks)
DEFAULT_TIMEOUT = 3.0           # timeout default 3 s (docs/config.md#health-checks)
DEFAULT_RISE = 1                # rise default 1 (docs/config.md#health-checks)
DEFAULT_FALL = 1                # fall default 1 (docs/config.md#health-checks)
DEFAULT_HTTP_REQUEST = "/"      # our choice: the site root when no request is given


class CheckError(ValueError):
    """A check cannot be built from what it was given; the message names the key and the fix."""


class Target(Record):
    """Where a check goes: the real's address (canonical text) and port (0 = none given)."""
    __slots__ = ()
    _fields = ("address", "port")

    def __new__(cls, address: str, port: int = 0):
        return tuple.__new__(cls, (address, port))

    @property
    def v6(self) -> bool:
        return ":" in self.address

    def __str__(self) -> str:
        host = f"[{self.address}]" if self.v6 else self.address
        return f"{host}:{self.port}" if self.port else host


class Result(Record):
    """One run of one check. `reason` is for people ("HTTP 503", "timeout after 3.0s
    (connecting)"). Times are time.monotonic() seconds: the daemon turns them into ages."""
    __slots__ = ()
    _fields = ("ok", "reason", "duration", "finished_at")

    def __new__(cls, ok: bool, reason: str, duration: float = 0.0, finished_at: float = 0.0):
        return tuple.__new__(cls, (ok, reason, duration, finished_at))


class CheckSpec(Record):
    __slots__ = ()
    _fields = ("type", "service", "request", "receive", "virtualhost", "status", "verify",
               "command", "port", "interval", "timeout", "rise", "fall")
    # service:     negotiate only; None elsewhere
    # request:     http(s): the URL path; tcp: the text to send
    # receive:     regular expression on the body / the reply
    # virtualhost: http(s) Host header (and TLS SNI)
    # status:      http(s): ((lo, hi), ...) codes that count as up
    # verify:      https: verify the certificate
    # command:     external: program and its arguments
    # port:        None = the real's port
    # interval:    seconds from one start to the next
    # timeout:     seconds for a whole run

    def __new__(cls, type: str = DEFAULT_TYPE, service: Optional[str] = None,
                request: Optional[str] = None, receive: Optional[str] = None,
                virtualhost: Optional[str] = None,
                status: Tuple[Tuple[int, int], ...] = DEFAULT_STATUS, verify: bool = False,
                command: Tuple[str, ...] = (), port: Optional[int] = None,
                interval: float = DEFAULT_INTERVAL, timeout: float = DEFAULT_TIMEOUT,
                rise: int = DEFAULT_RISE, fall: int = DEFAULT_FALL):
        return tuple.__new__(cls, (type, service, request, receive, virtualhost, status, verify,
                                   command, port, interval, timeout, rise, fall))

    @classmethod
    def from_dict(cls, d: Optional[dict], where: str = "check") -> "CheckSpec":
        """The spec for a validated `check` object (None or {} = a default connect check).

        Keys a type does not use are left at their defaults so equal checks compare equal.
        Raises CheckError only for what validation cannot see (an external check without a
        command) or for a dict that skipped validation.
        """
        d = dict(d or {})
        ctype = d.get("type", DEFAULT_TYPE)
        if ctype not in TYPES:
            raise CheckError(f"{where}.type: {ctype!r} is not a check type "
                             f"(one of {', '.join(TYPES)})")
        service = None
        request = d.get("request")
        if ctype == "negotiate":
            service = d.get("service", DEFAULT_SERVICE)
            if service not in SERVICES:
                raise CheckError(f"{where}.service: {service!r} is not a negotiate service "
                                 f"(one of {', '.join(SERVICES)})")
            if service != "tcp" and not request:
                request = DEFAULT_HTTP_REQUEST
        command: Tuple[str, ...] = ()
        if ctype == "external":
            raw = d.get("command")
            command = (raw,) if isinstance(raw, str) else tuple(raw or ())
            if not command or not all(isinstance(w, str) and w for w in command):
                raise CheckError(f"{where}.command: missing or empty (an external check "
                                 f'needs a program, e.g. ["/usr/local/bin/check-db"])')
        try:
            return cls(
                type=ctype, service=service, request=request, receive=d.get("receive"),
                virtualhost=d.get("virtualhost"),
                status=parse_status(d["status"]) if "status" in d else DEFAULT_STATUS,
                verify=bool(d.get("verify", False)), command=command, port=d.get("port"),
                interval=float(d.get("interval", DEFAULT_INTERVAL)),
                timeout=float(d.get("timeout", DEFAULT_TIMEOUT)),
                rise=int(d.get("rise", DEFAULT_RISE)), fall=int(d.get("fall", DEFAULT_FALL)))
        except (TypeError, ValueError) as exc:
            raise CheckError(f"{where}: {exc} (run `lvslite check` on the config)") from None

    def probe_module(self) -> str:
        """The module (lvslite.checks.<name>) that runs this spec."""
        if self.type == "negotiate":
            return "tcpchat" if self.service == "tcp" else "http"
        return self.type


def parse_status(value: object) -> Tuple[Tuple[int, int], ...]:
    """200, "200-399" or a list of those -> sorted ((lo, hi), ...)."""
    items = value if isinstance(value, list) else [value]
    ranges = []
    for item in items:
        if isinstance(item, int) and not isinstance(item, bool):
            ranges.append((item, item))
            continue
        lo, _, hi = str(item).partition("-")
        ranges.append((int(lo), int(hi or lo)))
    if not ranges:
        raise ValueError("status is empty")
    return tuple(sorted(set(ranges)))


def identity(target: Target, spec: CheckSpec) -> Tuple[Target, CheckSpec]:
    """What makes two checks the same probe: the address and port actually probed and the
    spec minus what only the owner uses (rise/fall feed the owner's state machine, not the
    probe). Ping and none ignore ports. Equal identities are run once and shared."""
    if spec.type in ("ping", "none"):
        port = 0
    else:
        port = spec.port or target.port
    if port != target.port:
        target = Target(target.address, port)
    if spec.port is not None or spec.rise != 1 or spec.fall != 1:
        spec = spec.replace(port=None, rise=1, fall=1)
    return target, spec
