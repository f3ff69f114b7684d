"""`ping`: one ICMP echo request; an echo reply from the real before the timeout = up.

Root opens a raw ICMP socket (with an ICMP filter, so only echo replies wake us); anyone else
gets the kernel's unprivileged "ping socket" (SOCK_DGRAM), which works when the process's
group is inside net.ipv4.ping_group_range. IPv4 and IPv6. One request per run: a lost packet
is what `fall` is for.

A raw socket sees every echo reply the host receives, so replies are matched on source
address, identifier and sequence number; a ping socket gets only its own (the kernel sets the
identifier), so there the sequence number is enough.
"""
from __future__ import annotations

import itertools
import os
import socket
import struct

from lvslite.checks.probe import READ, WRITE, Failed, describe

ECHO_REQUEST = {False: 8, True: 128}   # RFC 792 / RFC 4443 type numbers
ECHO_REPLY = {False: 0, True: 129}
SOL_RAW = 255                          # linux/socket.h; Python has no constant for it
ICMP_FILTER = 1                        # linux/icmp.h: bit set = type blocked
ICMP6_FILTER = 1                       # linux/icmpv6.h: same, 256 bits
PAYLOAD = b"lvslite-health-check"
_seq = itertools.count(1)
_IDENT = os.getpid() & 0xFFFF


def probe(target, spec):
    v6 = target.v6
    sock, raw = _open(v6)
    try:
        seq = next(_seq) & 0xFFFF
        packet = _echo(v6, _IDENT, seq)
        want = socket.inet_pton(sock.family, target.address.split("%")[0])
        while True:
            try:
                sock.sendto(packet, (target.address, 0))
                break
            except BlockingIOError:
                pass
            except OSError as exc:
                raise Failed(describe(exc)) from None
            yield sock.fileno(), WRITE, "sending the echo request"
        while True:
            try:
                data, source = sock.recvfrom(1024)
            except BlockingIOError:
                yield sock.fileno(), READ, "no echo reply"
                continue
            except OSError as exc:
                raise Failed(describe(exc)) from None
            if _is_reply(data, v6, raw, seq) and \
                    socket.inet_pton(sock.family, source[0].split("%")[0]) == want:
                return "echo reply"
    finally:
        sock.close()


def _open(v6: bool):
    family = socket.AF_INET6 if v6 else socket.AF_INET
    proto = socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP
    try:
        sock = socket.socket(family, socket.SOCK_RAW, proto)
        raw = True
    except PermissionError:
        try:
            sock = socket.socket(family, socket.SOCK_DGRAM, proto)
            raw = False
        except OSError as exc:
            raise Failed(f"cannot open an ICMP socket ({describe(exc)}): run as root, or add "
                         "this group to net.ipv4.ping_group_range") from None
    except OSError as exc:
        raise Failed(f"cannot open an ICMP socket: {describe(exc)}") from None
    try:
        sock.setblocking(False)
        if raw and v6:
            blocked = [0xFFFFFFFF] * 8
            blocked[ECHO_REPLY[True] >> 5] &= ~(1 << (ECHO_REPLY[True] & 31)) & 0xFFFFFFFF
            sock.setsockopt(socket.IPPROTO_ICMPV6, ICMP6_FILTER, struct.pack("8I", *blocked))
        elif raw:
            sock.setsockopt(SOL_RAW, ICMP_FILTER,
                            struct.pack("I", ~(1 << ECHO_REPLY[False]) & 0xFFFFFFFF))
    except OSError:
        pass   # the filter only saves wake-ups; replies are matched below anyway
    return sock, raw


def _echo(v6: bool, ident: int, seq: int) -> bytes:
    header = struct.pack("!BBHHH", ECHO_REQUEST[v6], 0, 0, ident, seq)
    if v6:
        return header + PAYLOAD   # the kernel fills in the ICMPv6 checksum
    return struct.pack("!BBHHH", ECHO_REQUEST[v6], 0, _checksum(header + PAYLOAD), ident,
                       seq) + PAYLOAD


def _checksum(data: bytes) -> int:
    """RFC 1071 internet checksum."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def _is_reply(data: bytes, v6: bool, raw: bool, seq: int) -> bool:
    offset = 0
    if raw and not v6:
        offset = (data[0] & 0x0F) * 4 if data else 0   # raw IPv4 includes the IP header
    if len(data) < offset + 8:
        return False
    kind, _code, _sum, ident, rseq = struct.unpack_from("!BBHHH", data, offset)
    return kind == ECHO_REPLY[v6] and rseq == seq and (not raw or ident == _IDENT)
