"""/proc/net/ip_vs, the kernel's text view of this network namespace's IPVS table: read it,
take its connection counters, and write its lines the way the kernel does.

One read of the same table a netlink dump walks (~20 ms for 1000 services, against ~1 s for
the dump under the emulator), needing no netlink. lvslite.snapshot uses it as a cheap
witness that the table did not change; `lvslite status` for the connection counters.

The format is ip_vs_info_seq_show's (net/netfilter/ipvs/ip_vs_ctl.c): three header lines,
then per service `TCP  0A000164:0050 rr ...` (protocol, hex address, hex port) or
`FWM  00000007 wlc ...`, IPv6 addresses in brackets, and per destination
"  -> ADDRESS:PORT      %-7s %-6d %-10d %-10d\n": forward, weight, then the active and
inactive connection counters. Pure but for read().
"""
from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional, Tuple

PROC = "/proc/net/ip_vs"
DEST_HEADER = b"  -> RemoteAddress:Port Forward Weight ActiveConn InActConn"
# Cutting the last 22 bytes of each destination line drops exactly the two counters, which
# change with traffic: they are ints, 10 characters at most, so they always fill their padded
# columns, and the cut can never reach the weight or the method (a wider counter would only
# leave some of itself behind: a mismatch, a dump, never a false match). The header names the
# columns: any other layout is not trusted at all.
COUNTERS = 22
PROTOCOL_TEXT = {"tcp": b"TCP", "udp": b"UDP", "sctp": b"SCTP"}
FORWARD_TEXT = {"masq": b"Masq", "gate": b"Route", "ipip": b"Tunnel"}


def read(path: Optional[str] = None) -> Optional[bytes]:
    """The whole text (of PROC unless `path` is given); None when it cannot be read."""
    try:
        fd = os.open(path or PROC, os.O_RDONLY)
    except OSError:
        return None
    try:
        parts = []
        while True:     # big reads: seq_file fills each one whole (fewer walks, no regrowth)
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            parts.append(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return b"".join(parts)


def witness(path: Optional[str] = None) -> Optional[bytes]:
    """The text without the connection counters; None when it cannot be read (no IPVS, no
    /proc) or has another layout."""
    text = read(path)
    if text is None:
        return None
    lines = text.split(b"\n")
    if len(lines) < 4 or lines[2] != DEST_HEADER:
        return None
    # a split and one slice per line: ~7x faster than a regular expression substitution
    return b"\n".join([ln[:-COUNTERS] if ln[:4] == b"  ->" else ln for ln in lines])


# --------------------------------------------------------------------------- writing lines

def hex_ipv4(address: str) -> bytes:
    return b"%02X%02X%02X%02X" % tuple(int(octet) for octet in address.split("."))


def service_start(key) -> bytes:
    """The start of an IPv4 or fwmark service's line (model.ServiceKey), newline first."""
    if key.fwmark:
        return b"\nFWM  %08X " % key.fwmark
    return b"\n%s  %s:%04X " % (PROTOCOL_TEXT[key.protocol], hex_ipv4(key.address), key.port)


def dest_start(real_key) -> bytes:
    """The start of an IPv4 destination's line (model.RealKey), newline first, up to its
    forwarding method."""
    return b"\n  -> %s:%04X      " % (hex_ipv4(real_key.address), real_key.port)


def dest_columns(forward: str, weight: int) -> bytes:
    """A destination's forwarding method and weight columns, as the kernel pads them."""
    return b"%-7s %-6d" % (FORWARD_TEXT[forward], weight)


# --------------------------------------------------------------------------- reading lines

def _address(text: str) -> str:
    """'0A000164' or '[2001:0db8:...]' to canonical text (as model keys spell it)."""
    import ipaddress
    if text.startswith("["):
        return str(ipaddress.ip_address(text.strip("[]")))
    return str(ipaddress.IPv4Address(int(text, 16)))


def _hostport(text: str) -> str:
    host, _, port = text.rpartition(":")
    addr = _address(host)
    return f"[{addr}]:{int(port, 16)}" if ":" in addr else f"{addr}:{int(port, 16)}"


_PROTOCOL_NAME = {v.decode(): k for k, v in PROTOCOL_TEXT.items()}


def connections(text: str) -> Dict[Tuple[str, str], Tuple[int, int]]:
    """{(service, real): (active, inactive)}; service as 'tcp 10.0.1.100:80' or 'fwmark:1',
    real as '10.0.0.10:80': the spelling of model.ServiceKey's and RealKey's str()."""
    out: Dict[Tuple[str, str], Tuple[int, int]] = {}
    service = None
    for line in text.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] in _PROTOCOL_NAME and len(parts) >= 2:
            service = f"{_PROTOCOL_NAME[parts[0]]} {_hostport(parts[1])}"
        elif parts[0] == "FWM" and len(parts) >= 2:
            service = f"fwmark:{int(parts[1], 16)}"
        elif parts[0] == "->" and service and len(parts) >= 6 and parts[1] != "RemoteAddress:Port":
            out[(service, _hostport(parts[1]))] = (int(parts[4]), int(parts[5]))
    return out


# --------------------------------------------------------------------------- the whole view
# `lvslite top` and `lvslite doctor` read more than the counters: the header's version and
# table size, each service's scheduler, each destination's method and weight, and the kernel's
# totals and rate estimates in /proc/net/ip_vs_stats.

STATS = "/proc/net/ip_vs_stats"
_FORWARD_NAME = {v.decode(): k for k, v in FORWARD_TEXT.items()}
_FORWARD_NAME["Local"] = "gate"     # a destination on the director itself shows as Local


def version(text: str) -> Optional[Tuple[str, int]]:
    """('1.2.1', 4096) from the first line, 'IP Virtual Server version 1.2.1 (size=4096)';
    None for any other first line."""
    first = text.split("\n", 1)[0].split()
    if first[:4] != ["IP", "Virtual", "Server", "version"] or len(first) < 6:
        return None
    size = first[5]
    if not (size.startswith("(size=") and size.endswith(")") and size[6:-1].isdigit()):
        return None
    return first[4], int(size[6:-1])


def table(text: str) -> List[tuple]:
    """Every service in the kernel's order, as (service, scheduler, persistent, reals), with
    reals a list of (real, forward, weight, active, inactive); service and real spelled as in
    connections(), forward as lvslite names it ('Local' counts as gate), persistent a bool
    (the number after it is the timeout in the kernel's jiffies, not seconds)."""
    out: List[tuple] = []
    reals: List[tuple] = []
    for line in text.splitlines()[3:]:
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "->":
            if out and len(parts) >= 6:
                reals.append((_hostport(parts[1]), _FORWARD_NAME.get(parts[2], parts[2]),
                              int(parts[3]), int(parts[4]), int(parts[5])))
            continue
        if parts[0] in _PROTOCOL_NAME and len(parts) >= 3:
            service = f"{_PROTOCOL_NAME[parts[0]]} {_hostport(parts[1])}"
        elif parts[0] == "FWM" and len(parts) >= 3:
            service = f"fwmark:{int(parts[1], 16)}"
        else:
            continue
        reals = []
        out.append((service, parts[2], "persistent" in parts[3:], reals))
    return out


STAT_NAMES = ("conns", "inpkts", "outpkts", "inbytes", "outbytes")


def stats(text: str) -> Optional[Dict[str, int]]:
    """/proc/net/ip_vs_stats (ip_vs_stats_show, all figures in hex): the totals since IPVS
    was loaded as conns, inpkts, outpkts, inbytes, outbytes, and the kernel's own rate
    estimates (about a 2 s average) as cps, inpps, outpps, inbps, outbps; None for any other
    layout."""
    rows = [ln.split() for ln in text.splitlines()]
    numbers = [r for r in rows if len(r) == 5 and all(_is_hex(x) for x in r)]
    if len(numbers) != 2:
        return None
    out = dict(zip(STAT_NAMES, (int(x, 16) for x in numbers[0])))
    out.update(zip(("cps", "inpps", "outpps", "inbps", "outbps"),
                   (int(x, 16) for x in numbers[1])))
    return out


def _is_hex(word: str) -> bool:
    try:
        int(word, 16)
    except ValueError:
        return False
    return True
