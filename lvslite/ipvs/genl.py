"""Generic netlink with the standard library alone: message framing, attributes, and a socket
bound to one family (linux/netlink.h, linux/genetlink.h).

Nothing here knows IPVS; lvslite.ipvs.netlink speaks the IPVS family on top of it. Errors are
the package's IPVSError, worded by the family's socket (GenlSocket.refused, .no_family).
"""
from __future__ import annotations

import os

# The C modules themselves: socket.py wraps _socket in conveniences this client does not use
# and imports selectors and array for them (+0.8 MB RSS on every apply); struct.py only
# re-exports _struct.
import _socket as socket
import _struct as struct

from lvslite.ipvs import IPVSError

# linux/netlink.h
NETLINK_GENERIC = 16
NLM_F_REQUEST = 0x01
NLM_F_MULTI = 0x02
NLM_F_ACK = 0x04
NLM_F_DUMP = 0x300          # NLM_F_ROOT | NLM_F_MATCH
NLM_F_CAPPED = 0x100        # in an error message: the request was not echoed back
NLM_F_ACK_TLVS = 0x200      # in an error message: extended-ack attributes follow
NLMSG_NOOP = 1
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLMSG_OVERRUN = 4
NLMSGERR_ATTR_MSG = 1
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11
NLA_F_NESTED = 0x8000
NLA_TYPE_MASK = 0x3FFF
# linux/genetlink.h
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2

RECV_BYTES = 65536       # a dump part is at most 32 kB (net/netlink/af_netlink.c)
TIMEOUT_S = 30.0         # no reply at all within this: give up with an IPVSError

_HDR = struct.Struct("=IHHII")      # struct nlmsghdr
_GENL = struct.Struct("=BBH")       # struct genlmsghdr
NLATTR = struct.Struct("=HH")       # struct nlattr


# --------------------------------------------------------------------------- encoding

def nla(atype: int, payload: bytes) -> bytes:
    size = NLATTR.size + len(payload)
    return NLATTR.pack(size, atype) + payload + b"\0" * (-size % 4)


def nla_u16(atype: int, value: int) -> bytes:
    return nla(atype, struct.pack("=H", value))


def nla_u32(atype: int, value: int) -> bytes:
    return nla(atype, struct.pack("=I", value))


def nla_be16(atype: int, value: int) -> bytes:
    return nla(atype, struct.pack("!H", value))


def nla_str(atype: int, value: str) -> bytes:
    return nla(atype, value.encode() + b"\0")


def nla_nest(atype: int, *parts: bytes) -> bytes:
    return nla(atype | NLA_F_NESTED, b"".join(parts))


def genl_message(family: int, cmd: int, flags: int, seq: int, payload: bytes = b"",
                 version: int = 1) -> bytes:
    body = _GENL.pack(cmd, version, 0) + payload
    return _HDR.pack(_HDR.size + len(body), family, flags, seq, 0) + body


# --------------------------------------------------------------------------- decoding

def parse_attrs(buf, start: int, end: int, want=None) -> dict[int, bytes]:
    """type -> payload of the attributes in buf[start:end] (flags stripped from the type);
    only the types in `want`, when given (a dump entry carries statistics we never read)."""
    attrs: dict[int, bytes] = {}
    if end > len(buf):
        end = len(buf)
    unpack = NLATTR.unpack_from
    off = start
    while off + 4 <= end:
        size, atype = unpack(buf, off)
        if size < 4 or off + size > end:
            break
        atype &= NLA_TYPE_MASK
        if want is None or atype in want:
            attrs[atype] = bytes(buf[off + 4:off + size])
        off += (size + 3) & ~3
    return attrs


def find_nested(buf, start: int, end: int, atype: int) -> tuple[int, int] | None:
    """(start, end) of the payload of attribute `atype` in buf[start:end], without copying."""
    unpack = NLATTR.unpack_from
    off = start
    while off + 4 <= end:
        size, t = unpack(buf, off)
        if size < 4 or off + size > end:
            return None
        if t & NLA_TYPE_MASK == atype:
            return off + 4, off + size
        off += (size + 3) & ~3
    return None


def u16(b: bytes) -> int:
    return struct.unpack("=H", b[:2])[0]


def u32(b: bytes) -> int:
    return struct.unpack("=I", b[:4])[0]


def parse_error(buf, off: int, length: int, flags: int) -> tuple[int, str]:
    """(errno, extended-ack message) of an NLMSG_ERROR; errno 0 is an acknowledgement."""
    err = -struct.unpack_from("=i", buf, off + 16)[0]
    text = ""
    if flags & NLM_F_ACK_TLVS:
        orig_len = _HDR.unpack_from(buf, off + 20)[0]
        tlvs = off + 20 + (16 if flags & NLM_F_CAPPED else (orig_len + 3) & ~3)
        msg = parse_attrs(buf, tlvs, off + length).get(NLMSGERR_ATTR_MSG)
        if msg:
            text = msg.split(b"\0", 1)[0].decode("utf-8", "replace")
    return err, text


# --------------------------------------------------------------------------- the socket

class GenlSocket:
    """A generic-netlink socket bound to the family `name` of the calling thread's network
    namespace. A family's client subclasses it and words the errors."""

    VERSION = 1          # the family's genlmsghdr version
    OPEN_HINT = ""       # what to check when no netlink socket can be opened

    def __init__(self, name: str) -> None:
        try:
            self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
            self.sock.bind((0, 0))
        except OSError as exc:
            raise IPVSError(f"cannot open a generic netlink socket: {exc.strerror}"
                            f"{self.OPEN_HINT}", exc.errno)
        for opt in (NETLINK_CAP_ACK, NETLINK_EXT_ACK):
            try:
                self.sock.setsockopt(SOL_NETLINK, opt, 1)
            except OSError:
                pass  # older kernels: plain acks, no messages
        # a kernel that never answers must not hang the agent (slow boxes answer in ms)
        self.sock.settimeout(TIMEOUT_S)
        self.buf = bytearray(RECV_BYTES)
        self.seq = (os.getpid() & 0xFFFF) << 16
        self.family = self._resolve_family(name)

    def refused(self, err: int, text: str = "") -> IPVSError:
        """The error for a request the kernel refused with errno `err` (and extended-ack
        message `text`)."""
        detail = f"; {text}" if text else ""
        return IPVSError(f"the kernel refused: {os.strerror(err)}{detail}", err)

    def no_family(self, name: str) -> IPVSError:
        """The error when the kernel has no family `name` (its module is not loaded)."""
        return IPVSError(f"the kernel has no generic netlink family {name}", 2)   # ENOENT

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "GenlSocket":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _next_seq(self) -> int:
        self.seq = (self.seq + 1) & 0xFFFFFFFF
        return self.seq

    # ---------------------------------------------------------------- low level
    def _send(self, data: bytes) -> None:
        try:
            self.sock.send(data)
        except OSError as exc:
            raise IPVSError(f"cannot talk to the kernel over netlink: "
                            f"{exc.strerror or exc}", exc.errno)

    def _recv(self) -> int:
        try:
            return self.sock.recv_into(self.buf)
        except OSError as exc:
            raise IPVSError(f"lost the kernel's netlink replies: {exc.strerror or exc} "
                            f"(retry; if it persists, the receive buffer is too small)",
                            exc.errno)

    def _replies(self):
        """(offset, length, type, flags, seq) of every message of the next receive, in
        buffer order: the one place that walks a netlink receive buffer."""
        n = self._recv()
        buf, unpack, off = self.buf, _HDR.unpack_from, 0
        while off + 16 <= n:
            length, mtype, flags, mseq, _ = unpack(buf, off)
            if length < 16:
                return
            yield off, length, mtype, flags, mseq
            off += (length + 3) & ~3

    def _resolve_family(self, name: str) -> int:
        seq = self._next_seq()
        self._send(genl_message(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_REQUEST, seq,
                                nla_str(CTRL_ATTR_FAMILY_NAME, name), version=1))
        while True:
            for off, length, mtype, flags, mseq in self._replies():
                if mseq != seq:
                    continue
                if mtype == NLMSG_ERROR:
                    err, text = parse_error(self.buf, off, length, flags)
                    if err == 0:
                        continue
                    if err == 2:        # ENOENT: no such family
                        raise self.no_family(name)
                    raise self.refused(err, text)
                if mtype == GENL_ID_CTRL:
                    attrs = parse_attrs(self.buf, off + 20, off + length)
                    if CTRL_ATTR_FAMILY_ID in attrs:
                        return u16(attrs[CTRL_ATTR_FAMILY_ID])

    def _dump(self, cmd: int, payload: bytes, nest: int, decode) -> list:
        """decode(buf, start, end) of the nested `nest` attribute of every message of a
        dump, read straight from the receive buffer."""
        seq = self._next_seq()
        self._send(genl_message(self.family, cmd, NLM_F_REQUEST | NLM_F_DUMP, seq, payload,
                                self.VERSION))
        out: list = []
        buf, family = self.buf, self.family
        while True:
            for off, length, mtype, flags, mseq in self._replies():
                if mseq != seq:
                    continue
                if mtype == family:
                    inner = find_nested(buf, off + 20, off + length, nest)
                    if inner is not None:
                        out.append(decode(buf, inner[0], inner[1]))
                elif mtype == NLMSG_DONE:
                    if length >= 20:
                        err = -struct.unpack_from("=i", buf, off + 16)[0]
                        if err:
                            raise self.refused(err)
                    return out
                elif mtype == NLMSG_ERROR:
                    err, text = parse_error(buf, off, length, flags)
                    if err:
                        raise self.refused(err, text)

    def _ack(self, cmd: int, payload: bytes = b"") -> None:
        """One request that only wants the kernel's acknowledgement."""
        seq = self._next_seq()
        self._send(genl_message(self.family, cmd, NLM_F_REQUEST | NLM_F_ACK, seq, payload,
                                self.VERSION))
        while True:
            for off, length, mtype, flags, mseq in self._replies():
                if mtype == NLMSG_ERROR and mseq == seq:
                    err, text = parse_error(self.buf, off, length, flags)
                    if err:
                        raise self.refused(err, text)
                    return
