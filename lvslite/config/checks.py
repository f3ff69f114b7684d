"""A service's `check` object to a lvslite.checks.spec.CheckSpec: types, ranges, defaults.

Which keys each check type (and each service of `negotiate`) takes, and the defaults, are
lvslite.checks.spec's TYPES, SERVICES and CheckSpec; this reads a `check` object against them
and reports every problem with its JSON path. A key that the chosen type would not use is an
error, like an unknown key: a typo must never silently do nothing. To add a check type or a
key, extend spec.TYPES (and CheckSpec, and a reader in `check`).
"""
from __future__ import annotations

import re

from lvslite.checks.spec import (DEFAULT_FALL, DEFAULT_INTERVAL, DEFAULT_RISE, DEFAULT_SERVICE,
                                 DEFAULT_STATUS, DEFAULT_TIMEOUT, DEFAULT_TYPE, MAX_COUNT,
                                 MAX_SECONDS, MAX_TEXT, MIN_INTERVAL, MIN_TIMEOUT, SERVICES,
                                 TYPES, CheckSpec)
from lvslite.config.errors import kind, show
from lvslite.config.fields import (INVALID, Collector, boolean, choice, integer, join, number,
                                   obj, string)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Optional, Tuple

KEYS = CheckSpec._fields


def _takers(kinds: dict, key: str) -> tuple:
    """The names in `kinds` (TYPES or SERVICES) that take `key`."""
    return tuple(name for name, k in kinds.items() if key in k.keys)


USED_BY = {key: _takers(TYPES, key) for key in KEYS[1:]}
# Keys of `negotiate` that only some of its services take -> those services.
SERVICE_ONLY = {key: _takers(SERVICES, key) for key in TYPES["negotiate"].keys
                if len(_takers(SERVICES, key)) < len(SERVICES)}
# Names other tools use (ldirectord's checktype, keepalived's *_CHECK) -> ours.
TYPE_ALIASES = {"tcp": "connect", "tcp_check": "connect", "http": "negotiate",
                "https": "negotiate", "http_get": "negotiate", "ssl_get": "negotiate",
                "simpletcp": "negotiate", "misc_check": "external", "icmp": "ping",
                "on": "none"}

EXPECTED = 'an object like {"type": "connect", "interval": 5}'

_NO_SPACE = re.compile(r"[^\x00-\x20\x7f]+\Z")
_HOST = re.compile(r"[A-Za-z0-9.\-]+(?::[0-9]{1,5})?\Z|\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?\Z")
_STATUS = re.compile(r"([0-9]{3})(?:-([0-9]{3}))?\Z")


def check(c: Collector, value: object, path: str) -> Optional[CheckSpec]:
    """The check `value` describes, every default filled in, or None if it is wrong."""
    o = obj(c, value, path, KEYS, EXPECTED)
    if o is None:
        return None
    errors = len(c.problems)
    ctype = choice(c, o, "type", path, TYPES, DEFAULT_TYPE, TYPE_ALIASES, "check type")
    service = INVALID
    if ctype is not INVALID:
        for key in o:
            if key in USED_BY and ctype not in USED_BY[key]:
                users = " or ".join(f'"{t}"' for t in USED_BY[key])
                c.add(join(path, key), f'is not used by check type "{ctype}"',
                      f"remove it, or use it with type {users}")
        service = choice(c, o, "service", path, SERVICES, None, noun="negotiate service")
        if isinstance(service, str) and ctype == "negotiate":
            for key, services in SERVICE_ONLY.items():
                if key in o and service not in services:
                    c.add(join(path, key), f'is not used by service "{service}"',
                          "remove it, or use service " +
                          " or ".join(f'"{s}"' for s in services))

    request = string(c, o, "request", path, None, "a string: the URL path or the text to send")
    if isinstance(request, str) and service in ("http", "https") and request and \
            not _NO_SPACE.match(request):
        c.add(join(path, "request"), f"{show(request)} contains spaces or control characters",
              "a URL path like /alive.html")
    receive = string(c, o, "receive", path, None, "a string: a regular expression")
    if isinstance(receive, str):
        try:
            re.compile(receive)
        except (re.error, RecursionError, OverflowError, ValueError) as exc:
            c.add(join(path, "receive"), f"{show(receive)} is not a valid regular expression: "
                  f"{exc}", "a Python regular expression, e.g. I'm alive")
    host = string(c, o, "virtualhost", path, None, "a host name for the Host header", 255)
    if isinstance(host, str) and not _HOST.match(host):
        c.add(join(path, "virtualhost"), f"{show(host)} is not a host name",
              "a name like www.example.com, optionally with :PORT")
    status = _status(c, o["status"], join(path, "status")) if "status" in o else \
        DEFAULT_STATUS
    verify = boolean(c, o, "verify", path, False)
    command: Tuple[str, ...] = ()
    if "command" in o:
        command = _command(c, o["command"], join(path, "command"))
    elif ctype == "external":
        c.add(join(path, "command"), "an external check needs a command",
              'a command: "/usr/local/bin/check-db" or ["/usr/bin/check", "--quick"]')
    port = integer(c, o, "port", path, 1, 65535, None)
    interval = number(c, o, "interval", path, MIN_INTERVAL, MAX_SECONDS, DEFAULT_INTERVAL,
                      " seconds")
    timeout = number(c, o, "timeout", path, MIN_TIMEOUT, MAX_SECONDS, DEFAULT_TIMEOUT,
                     " seconds")
    rise = integer(c, o, "rise", path, 1, MAX_COUNT, DEFAULT_RISE, " checks in a row")
    fall = integer(c, o, "fall", path, 1, MAX_COUNT, DEFAULT_FALL, " checks in a row")
    if len(c.problems) != errors:
        return None
    # Every key given is one the type takes (any other was reported above), so what a type
    # does not use is at its default and equal checks compare equal.
    if ctype == "negotiate":
        service = service or DEFAULT_SERVICE
        request = request or SERVICES[service].request
    return CheckSpec(ctype, service, request, receive, host, status, verify, command, port,
                     float(interval), float(timeout), rise, fall)  # type: ignore


def _status(c: Collector, value: object, path: str) -> Optional[tuple]:
    """HTTP status codes that count as up: 200, "200-399", or a list of those, as sorted
    ((lo, hi), ...); None if wrong."""
    expected = 'a status code like 200, a range like "200-399", or a list of them'
    if value == []:
        c.add(path, "is an empty list", expected)
    items = value if isinstance(value, list) else [value]
    ranges = set()
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(value, list) else path
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            c.add(where, f"got {kind(item)}", expected)
            continue
        if isinstance(item, int):
            lo = hi = item
        else:
            m = _STATUS.match(item)
            if not m:
                c.add(where, f"{show(item)} is not a status or range", expected)
                continue
            lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not (100 <= lo <= 599 and 100 <= hi <= 599):
            c.add(where, f"{show(item)} is outside the HTTP status codes", "codes 100..599")
        elif lo > hi:
            c.add(where, f"{show(item)} is an empty range", "LOW-HIGH with LOW <= HIGH")
        else:
            ranges.add((lo, hi))
    return tuple(sorted(ranges)) or None


def _command(c: Collector, value: object, path: str) -> Tuple[str, ...]:
    """A shell-free command: a non-empty string, or a list of strings (program, arguments)."""
    expected = 'a command: "/usr/local/bin/check-db" or ["/usr/bin/check", "--quick"]'
    items = value if isinstance(value, list) else [value]
    if not items:
        c.add(path, "is an empty list", expected)
    for i, item in enumerate(items):
        where = f"{path}[{i}]" if isinstance(value, list) else path
        if not isinstance(item, str):
            c.add(where, f"got {kind(item)}", expected)
        elif not item or "\x00" in item or len(item) > MAX_TEXT or (i == 0 and not item.strip()):
            c.add(where, f"{show(item)} is not a usable command word", expected)
    return tuple(items)
