"""Address, port, fwmark and netmask spellings of the config, to canonical values.

Pure functions; each raises Bad(what, expected) and the caller adds the JSON path.
Addresses come back in ipaddress's compressed text (model.py's canonical form), so a config
and a kernel dump of the same table compare equal. No name resolution: a host name in the
config is an error, never a DNS lookup at boot.
"""
from __future__ import annotations

import re

from lvslite.config.errors import show

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Optional, Tuple

FWMARK_MAX = 2 ** 32 - 1  # the kernel's fwmark is a u32 (IPVS_SVC_ATTR_FWMARK, NLA_U32)
PORT_MAX = 65535

_IPV4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\Z")
_HOSTNAME = re.compile(r"[A-Za-z0-9.-]+\Z")
_DIGITS = re.compile(r"[0-9]{1,10}\Z")  # ASCII only: int() would take "٨٠" and " 80"
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"  # 0..255, no leading zero
_V4_PORT = re.compile(rf"({_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}):([1-9][0-9]{{0,4}})\Z")
_SPECIAL_V4 = ("0.0.0.0", "255.255.255.255")  # refused by ip(), with the reason

ENDPOINT = "A.B.C.D:PORT or [IPv6]:PORT"
VIRTUAL = "A.B.C.D:PORT, [IPv6]:PORT or fwmark:N"


class Bad(ValueError):
    def __init__(self, what: str, expected: str):
        super().__init__(what)
        self.what, self.expected = what, expected


def ip(text: str) -> Tuple[int, str]:
    """`text` as (family, canonical address). Only addresses a real can have: not the
    unspecified address, multicast, broadcast or IPv6 link-local (the kernel refuses those
    as destinations, and as a virtual address they would never match a client's packet)."""
    if ":" in text or "%" in text:
        return 6, _ipv6(text)
    m = _IPV4.match(text)
    if not m:
        if _HOSTNAME.match(text) and re.search(r"[A-Za-z]", text):
            raise Bad(f"{show(text)} is a host name; names are not resolved",
                      "an IP address like 10.0.0.10")
        raise Bad(f"{show(text)} is not an IPv4 address", "A.B.C.D, like 10.0.0.10")
    # Checked by hand rather than with ipaddress.IPv4Address: 10x faster, which matters for
    # 1000-service configs on a 266 MHz CPU. Without leading zeros the text is canonical.
    octets = []
    for part in m.groups():
        if len(part) > 1 and part[0] == "0":
            raise Bad(f"{show(text)} has a leading zero in {part!r}, which some tools "
                      "read as octal", "decimal numbers without leading zeros")
        octets.append(int(part))
        if octets[-1] > 255:
            raise Bad(f"{show(text)} has {part}, larger than 255",
                      "four numbers 0..255, like 10.0.0.10")
    if octets == [255, 255, 255, 255]:
        raise Bad(f"{show(text)} is the broadcast address", "a unicast address")
    if octets == [0, 0, 0, 0]:
        raise Bad(f"{show(text)} is the unspecified address", "a real host's address")
    if 224 <= octets[0] <= 239:
        raise Bad(f"{show(text)} is a multicast address", "a unicast address")
    return 4, text


def _ipv6(text: str) -> str:
    import ipaddress  # only IPv6 configs pay for it

    if "%" in text:
        raise Bad(f"{show(text)} has a zone index (%...), which IPVS cannot use",
                  "an address without %zone")
    try:
        addr = ipaddress.IPv6Address(text)
    except ValueError:
        raise Bad(f"{show(text)} is not a valid IPv6 address",
                  "an IPv6 address like 2001:db8::10") from None
    if addr.is_link_local:
        raise Bad(f"{show(text)} is an IPv6 link-local address, which IPVS cannot use "
                  "without an interface", "a global or unique-local IPv6 address")
    if addr.is_unspecified:
        raise Bad(f"{show(text)} is the unspecified address", "a real host's address")
    if addr.is_multicast:
        raise Bad(f"{show(text)} is a multicast address", "a unicast address")
    return str(addr)


def _leading_zero(text: str, what: str, expected: str) -> None:
    """Refuse '080' as the octets refuse '010': some tools read a leading zero as octal."""
    if len(text) > 1 and text[0] == "0":
        raise Bad(f"{what} {show(text)} has a leading zero, which some tools read as octal",
                  expected)


def port(text: str) -> int:
    expected = f"a port 1..{PORT_MAX} without leading zeros"
    if not _DIGITS.match(text):
        raise Bad(f"port {show(text)} is not a number", f"a port 1..{PORT_MAX}")
    _leading_zero(text, "port", expected)
    value = int(text)
    if not 1 <= value <= PORT_MAX:
        raise Bad(f"port {value} is out of range", f"a port 1..{PORT_MAX}")
    return value


def endpoint(text: str, port_optional: bool = False, expected: str = ""
             ) -> Tuple[int, str, Optional[int]]:
    """'A.B.C.D:PORT' or '[v6]:PORT' as (family, address, port). With port_optional (reals
    of fwmark services) 'A.B.C.D' and '[v6]' are accepted too, and an explicit port 0 (what
    `ipvsadm -S` prints for them): the port is then None."""
    m = _V4_PORT.match(text)  # the usual spelling, checked in one step
    if m and int(m.group(2)) <= PORT_MAX and m.group(1) not in _SPECIAL_V4 and \
            not 224 <= int(text[:text.index(".")]) <= 239:
        return 4, m.group(1), int(m.group(2))
    expected = expected or ENDPOINT + (", or without :PORT in a fwmark service"
                                       if port_optional else "")
    if text.startswith("["):
        close = text.find("]")
        if close < 0:
            raise Bad(f"{show(text)} has no closing ]", expected)
        host, rest = text[1:close], text[close + 1:]
        if ":" not in host:
            raise Bad(f"{show(text)} has brackets around a non-IPv6 address",
                      "brackets only around IPv6 addresses: " + expected)
        if rest and not rest.startswith(":"):
            raise Bad(f"{show(text)} has {show(rest)} after the ]", expected)
        port_text = rest[1:] if rest else None
    elif text.count(":") > 1 and _IPV4.match(text.split(":", 1)[0]):
        raise Bad(f"{show(text)} has more than one :PORT", expected)
    elif text.count(":") > 1:
        raise Bad(f"{show(text)} looks like an IPv6 address without brackets",
                  "[IPv6]:PORT, like [2001:db8::10]:80")
    elif ":" in text:
        host, port_text = text.split(":")
    else:
        host, port_text = text, None
    family, address = ip(host)
    if port_text is None:
        if not port_optional:
            raise Bad(f"{show(text)} has no port", expected)
        return family, address, None
    if port_optional and port_text == "0":
        return family, address, None
    return family, address, port(port_text)


def fwmark(text: str) -> int:
    """The N of 'fwmark:N'."""
    if not _DIGITS.match(text):
        raise Bad(f"fwmark {show(text)} is not a number", f"fwmark:N with N 1..{FWMARK_MAX}")
    _leading_zero(text, "fwmark", f"fwmark:N with N 1..{FWMARK_MAX} without leading zeros")
    value = int(text)
    if not 1 <= value <= FWMARK_MAX:
        raise Bad(f"fwmark {value} is out of range" if value else "fwmark 0 means no mark",
                  f"fwmark:N with N 1..{FWMARK_MAX}")
    return value


def virtual(text: str) -> Tuple[int, str, int, int]:
    """A service's `virtual` as (family, address, port, fwmark); family 0 for fwmark
    services (their family comes from their reals)."""
    if text.startswith("fwmark:"):
        return 0, "", 0, fwmark(text[len("fwmark:"):])
    if text.lower().startswith("fwmark"):
        raise Bad(f"{show(text)} is not a fwmark spelling", "fwmark:N, like fwmark:1")
    family, address, port_ = endpoint(text, expected=VIRTUAL)
    return family, address, 0 if port_ is None else port_, 0


def ipv4_mask(text: str) -> int:
    """A dotted IPv4 netmask ('255.255.255.0') as a prefix length; contiguous masks only,
    since persistence granularity is a prefix (ipvsadm -M prints it back dotted)."""
    m = _IPV4.match(text)
    if not m or any(int(p) > 255 for p in m.groups()):
        raise Bad(f"{show(text)} is not a dotted netmask", "a mask like 255.255.255.0")
    value = 0
    for part in m.groups():
        value = value << 8 | int(part)
    prefix = bin(value).count("1")
    if value != (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF:
        raise Bad(f"{show(text)} is not a contiguous mask",
                  "ones then zeros, like 255.255.255.0 for /24")
    return prefix
