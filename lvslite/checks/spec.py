"""What a check is (CheckSpec), what it is aimed at (Target), what it found (Result).

Values only, no I/O. TYPES and SERVICES below define every check type: the keys it takes and
the module that runs it; the defaults are CheckSpec's. The config validator
(lvslite.config.checks) reads a `check` object against them and builds the CheckSpec, so a
config that loaded holds checks that can run: nothing re-validates them. Specs are immutable
and hashable so identical checks of the same real, configured by several services, can be run
once (identity() below). They are tuples with named fields (lvslite.model.Record), not
dataclasses: the daemon imports this module on every box, and dataclasses (with the
`inspect` it pulls in) and typing cost it over a megabyte of RSS.
"""
from __future__ import annotations

from lvslite.model import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Optional, Tuple

# The defaults of docs/config.md#health-checks.
DEFAULT_TYPE = "connect"
DEFAULT_SERVICE = "http"        # our choice: the service every example config uses
DEFAULT_STATUS = ((200, 399),)  # status default 200-399
DEFAULT_INTERVAL = 5.0          # interval default 5 s
DEFAULT_TIMEOUT = 3.0           # timeout default 3 s
DEFAULT_RISE = 1                # rise default 1
DEFAULT_FALL = 1                # fall default 1

# The bounds of docs/config.md#health-checks (lvslite.config.checks enforces them).
# Floor of `interval`: keepalived's delay_loop and connect_timeout take whole seconds, at
# least 1 (check_parser.c reads them with a minimum of 1), ldirectord's checkinterval whole
# seconds. Measured: one connect check run costs about 240 us of CPU on a 3 GHz host, so
# some 10 ms on a 266 MHz Geode; at 1 s a real's check takes about 1% of that box, while an
# interval of 1e-9 s ran checks back to back on a whole core (1845 log lines in 11 s).
MIN_INTERVAL = 1.0
# Floor of `timeout`: a LAN handshake takes well under a millisecond, but with ten checks due
# at once a 266 MHz box serves a socket some 100 ms late: a shorter timeout measures the
# box, not the real.
MIN_TIMEOUT = 0.1
MAX_SECONDS = 86400   # interval and timeout: a day between checks is already no check
MAX_COUNT = 100       # rise/fall: successes/failures in a row before a real changes state
MAX_TEXT = 4096       # request, receive, and each command word, in characters


class Kind(Record):
    """One check type, or one service of `negotiate`: what it takes and what runs it."""
    __slots__ = ()
    _fields = ("keys", "probe", "request")
    # keys:    the `check` keys it takes besides "type"; any other is a config error
    # probe:   the module lvslite.checks.<probe> that runs it ("" = its service's)
    # request: what is requested when the config gives no (or an empty) request

    def __new__(cls, keys: Tuple[str, ...], probe: str = "", request: Optional[str] = None):
        return tuple.__new__(cls, (keys, probe, request))


_TIMING = ("interval", "timeout", "rise", "fall")
_NEGOTIATE = ("service", "request", "receive", "virtualhost", "status", "verify",
              "port") + _TIMING


def _negotiate_without(*keys: str) -> Tuple[str, ...]:
    return tuple(k for k in _NEGOTIATE if k not in keys)


TYPES = {
    "connect": Kind(("port",) + _TIMING, "connect"),
    "negotiate": Kind(_NEGOTIATE),
    "external": Kind(("command", "port") + _TIMING, "external"),
    "ping": Kind(_TIMING, "ping"),
    "none": Kind((), "none"),
}
# The site root when an http(s) check names no request (our choice); tcp sends nothing then.
SERVICES = {
    "http": Kind(_negotiate_without("verify"), "http", "/"),
    "https": Kind(_NEGOTIATE, "http", "/"),
    "tcp": Kind(_negotiate_without("virtualhost", "status", "verify"), "tcpchat"),
}


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

    def probe_module(self) -> str:
        """The module (lvslite.checks.<name>) that runs this spec."""
        if self.type == "negotiate":
            return SERVICES[self.service or DEFAULT_SERVICE].probe
        return TYPES[self.type].probe


def identity(target: Target, spec: CheckSpec) -> Tuple[Target, CheckSpec]:
    """What makes two checks the same probe: the address and port actually probed and the
    spec minus what only the owner uses (rise/fall feed the owner's state machine, not the
    probe). A type that takes no port (ping, none) ignores it. Equal identities are run once
    and shared."""
    if "port" not in TYPES[spec.type].keys:
        port = 0
    else:
        port = spec.port or target.port
    if port != target.port:
        target = Target(target.address, port)
    if spec.port is not None or spec.rise != 1 or spec.fall != 1:
        spec = spec.replace(port=None, rise=1, fall=1)
    return target, spec
