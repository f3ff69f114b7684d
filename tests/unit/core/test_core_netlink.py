"""The netlink client's wire format, decoded independently of its encoder, and its handling
of acknowledgements, errors and batches against a fake kernel socket."""
import errno
import os
import socket
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lvslite.ipvs import IPVSError
from lvslite.ipvs import genl
from lvslite.ipvs import netlink as nl
from lvslite.model import (ADD_REAL, ADD_SERVICE, DEL_REAL, DEL_SERVICE, EDIT_SERVICE,
                           F_ONEPACKET, F_SCHED1, F_SCHED2, F_SCHED3, Op, Real, RealKey,
                           ServiceKey, VirtualService, prefix_of)

FAMILY = 0x21


def attrs_of(payload, start=0):
    """Independent TLV reader: [(type, nested?, bytes)]."""
    out, off = [], start
    while off + 4 <= len(payload):
        size, atype = struct.unpack_from("=HH", payload, off)
        out.append((atype & 0x3FFF, bool(atype & 0x8000), payload[off + 4:off + size]))
        off += (size + 3) // 4 * 4
    return out


def message_of(data):
    length, mtype, flags, seq, pid = struct.unpack_from("=IHHII", data)
    cmd, version, _ = struct.unpack_from("=BBH", data, 16)
    assert length == len(data)
    return mtype, flags, seq, cmd, version, attrs_of(data[20:])


SVC = VirtualService(ServiceKey(4, "tcp", "10.0.0.100", 80), "wrr", 1800, 24, F_ONEPACKET)


def test_add_service_message_layout():
    mtype, flags, seq, cmd, version, top = message_of(nl.encode_op(FAMILY, Op(ADD_SERVICE, SVC), 7))
    assert (mtype, flags, seq, cmd, version) == (FAMILY, 0x05, 7, 1, 1)   # REQUEST|ACK, NEW_SERVICE
    [(atype, nested, body)] = top
    assert (atype, nested) == (1, True)                                   # IPVS_CMD_ATTR_SERVICE
    a = {t: v for t, _, v in attrs_of(body)}
    assert struct.unpack("=H", a[1])[0] == socket.AF_INET
    assert struct.unpack("=H", a[2])[0] == socket.IPPROTO_TCP
    assert a[3] == socket.inet_aton("10.0.0.100") + bytes(12)              # 16-byte union
    assert a[4] == b"\x00\x50"                                             # be16 port
    assert a[6] == b"wrr\x00"
    flags_, mask = struct.unpack("=II", a[7])
    assert flags_ == 0x0001 | 0x0004 and mask == 0xFFFFFFFF                # PERSISTENT|ONEPACKET
    assert struct.unpack("=I", a[8])[0] == 1800
    assert a[9] == socket.inet_aton("255.255.255.0")                       # be32 dotted mask


def test_ipv6_netmask_is_a_plain_prefix_length_and_fwmark_has_no_address():
    v6 = VirtualService(ServiceKey(6, "", "", 0, 42), "lc", 60, 64)
    _, _, _, _, _, [(_, _, body)] = message_of(nl.encode_op(FAMILY, Op(EDIT_SERVICE, v6), 1))
    a = {t: v for t, _, v in attrs_of(body)}
    assert struct.unpack("=H", a[1])[0] == socket.AF_INET6
    assert struct.unpack("=I", a[5])[0] == 42 and 3 not in a and 4 not in a
    assert struct.unpack("=I", a[9])[0] == 64


def test_non_persistent_service_sends_a_host_netmask_and_no_persistence_flag():
    plain = VirtualService(ServiceKey(6, "udp", "2001:db8::1", 53), "rr", 0, 48)
    _, _, _, _, _, [(_, _, body)] = message_of(nl.encode_op(FAMILY, Op(ADD_SERVICE, plain), 1))
    a = {t: v for t, _, v in attrs_of(body)}
    assert struct.unpack("=I", a[9])[0] == 128
    assert struct.unpack("=II", a[7])[0] == 0


def test_dest_messages():
    r = Real(RealKey("2001:db8::a", 8080), 5, "masq")
    svc6 = VirtualService(ServiceKey(6, "tcp", "2001:db8::80", 80))
    _, _, _, cmd, _, top = message_of(nl.encode_op(FAMILY, Op(ADD_REAL, svc6, r), 3))
    assert cmd == 5 and [t for t, _, _ in top] == [1, 2]
    d = {t: v for t, _, v in attrs_of(top[1][2])}
    assert d[1] == socket.inet_pton(socket.AF_INET6, "2001:db8::a")
    assert d[2] == struct.pack("!H", 8080)
    assert struct.unpack("=I", d[3])[0] == 0                              # IP_VS_CONN_F_MASQ
    assert struct.unpack("=I", d[4])[0] == 5
    assert 5 in d and 6 in d                                              # thresholds required
    assert struct.unpack("=H", d[11])[0] == socket.AF_INET6
    _, _, _, cmd, _, top = message_of(nl.encode_op(FAMILY, Op(DEL_REAL, svc6, r), 4))
    d = {t: v for t, _, v in attrs_of(top[1][2])}
    assert cmd == 7 and 3 not in d and 4 not in d
    _, _, _, cmd, _, top = message_of(nl.encode_op(FAMILY, Op(DEL_SERVICE, SVC), 5))
    assert cmd == 3 and 6 not in {t for t, _, _ in attrs_of(top[0][2])}


def test_gate_and_ipip_codes():
    for forward, code in (("gate", 3), ("ipip", 2), ("masq", 0)):
        body = nl.dest_attr(Real(RealKey("10.0.0.1", 80), 1, forward), full=True)
        d = {t: v for t, _, v in attrs_of(attrs_of(body)[0][2])}
        assert struct.unpack("=I", d[3])[0] == code


# --------------------------------------------------------------------------- decoding

def kernel_service(svc, stats=True):
    """The attributes as ip_vs_genl_fill_service() writes them (flags with HASHED, mask ~0,
    stats nests), built here without the client's encoder."""
    k = svc.key
    parts = [genl.nla(1, struct.pack("=H", 10 if k.af == 6 else 2))]
    if k.fwmark:
        parts.append(genl.nla(5, struct.pack("=I", k.fwmark)))
    else:
        fam = socket.AF_INET6 if k.af == 6 else socket.AF_INET
        raw = socket.inet_pton(fam, k.address)
        parts += [genl.nla(2, struct.pack("=H", {"tcp": 6, "udp": 17, "sctp": 132}[k.protocol])),
                  genl.nla(3, raw + bytes(16 - len(raw))), genl.nla(4, struct.pack("!H", k.port))]
    flags = svc.flags | 0x2 | (0x1 if svc.persistent else 0)
    if k.af == 6:
        mask = struct.pack("=I", svc.netmask)
    else:
        mask = struct.pack("!I", (0xFFFFFFFF << (32 - svc.netmask)) & 0xFFFFFFFF)
    parts += [genl.nla(6, svc.scheduler.encode() + b"\0"),
              genl.nla(7, struct.pack("=II", flags, 0xFFFFFFFF)),
              genl.nla(8, struct.pack("=I", svc.persistent)), genl.nla(9, mask)]
    if stats:
        parts.append(genl.nla(10 | 0x8000, genl.nla(1, struct.pack("=I", 12))))
    return b"".join(parts)


services = st.builds(
    lambda af, proto, n, port, mark, sched, pers, mask, flags: VirtualService(
        ServiceKey(af, "" if mark else proto,
                   "" if mark else (f"10.0.{n}.1" if af == 4 else f"2001:db8::{n + 1:x}"),
                   0 if mark else port, mark),
        sched, pers, (mask if pers else (128 if af == 6 else 32)) if af == 6
        else (min(mask, 32) if pers else 32), flags),
    st.sampled_from([4, 6]), st.sampled_from(["tcp", "udp", "sctp"]), st.integers(0, 255),
    st.integers(0, 65535), st.sampled_from([0, 0, 1, 2 ** 31 + 5, 2 ** 32 - 1]),
    st.sampled_from(["rr", "wrr", "sh", "mh"]), st.sampled_from([0, 1, 300, 86400]),
    st.integers(1, 128), st.sampled_from([0, F_ONEPACKET, F_SCHED1 | F_SCHED3, F_SCHED2]))


@settings(max_examples=300, deadline=None)
@given(services)
def test_decode_what_the_kernel_sends(svc):
    assert nl.decode_service(genl.parse_attrs(kernel_service(svc), 0, 10_000)) == svc


@settings(max_examples=300, deadline=None)
@given(services)
def test_encoded_service_decodes_back(svc):
    body = nl.service_attr(svc, full=True)
    inner = attrs_of(body)[0][2]
    assert nl.decode_service(genl.parse_attrs(inner, 0, len(inner))) == svc


def test_read_dest_and_ipv6_canonical_text():
    def read(attrs, service_af):
        body = b"".join(genl.nla(t, v) for t, v in attrs.items())
        return nl.read_dest(body, 0, len(body), service_af)
    raw = socket.inet_pton(socket.AF_INET6, "2001:db8:0:0:1:0:0:1")
    attrs = {1: raw, 2: struct.pack("!H", 443), 3: struct.pack("=I", 2),
             4: struct.pack("=I", 7), 11: struct.pack("=H", 10)}
    assert read(attrs, 4) == Real(RealKey("2001:db8::1:0:0:1", 443), 7, "ipip")
    attrs = {1: socket.inet_aton("10.1.2.3") + bytes(12), 2: b"\0\0", 3: struct.pack("=I", 3),
             4: struct.pack("=I", 0)}
    assert read(attrs, 4) == Real(RealKey("10.1.2.3", 0), 0, "gate")


def test_netmask_prefix():
    assert [prefix_of(m) for m in (0xFFFFFFFF, 0xFFFFFF00, 0x80000000, 0, 0xFF00FF00)] == \
        [32, 24, 1, 0, 8]


def test_parse_error_with_extended_ack_message():
    tlv = genl.nla(1, b"Unknown scheduler\0")
    body = struct.pack("=i", -errno.ENOENT) + struct.pack("=IHHII", 40, FAMILY, 5, 9, 0) + tlv
    data = struct.pack("=IHHII", 16 + len(body), 2, 0x100 | 0x200, 9, 0) + body
    assert genl.parse_error(data, 0, len(data), 0x300) == (errno.ENOENT, "Unknown scheduler")
    ack = struct.pack("=IHHII", 36, 2, 0x100, 9, 0) + struct.pack("=i", 0) + bytes(16)
    assert genl.parse_error(ack, 0, 36, 0x100) == (0, "")


def test_messages_name_the_thing_and_the_fix():
    add = Op(ADD_SERVICE, VirtualService(ServiceKey(4, "tcp", "10.0.0.1", 80), "twos"))
    text = nl.explain(errno.ENOENT, add)
    assert "twos" in text and "modprobe ip_vs_twos" in text and "10.0.0.1:80" in text
    assert "root" in nl.explain(errno.EPERM, add) and "CAP_NET_ADMIN" in nl.explain(errno.EPERM)
    assert "modprobe ip_vs" in str(nl.not_available())
    r = Op(ADD_REAL, SVC, Real(RealKey("10.0.0.9", 80)))
    assert "routable" in nl.explain(errno.EINVAL, r)


# --------------------------------------------------------------------------- fake kernel

class FakeSocket:
    """Acknowledges every request of a batch, refusing the ones `refuse` names (by command),
    one reply datagram per message as the kernel does."""

    def __init__(self, refuse=()):
        self.refuse = set(refuse)
        self.replies = []
        self.sends = 0

    def send(self, data):
        self.sends += 1
        off = 0
        while off < len(data):
            length, mtype, flags, seq, _ = struct.unpack_from("=IHHII", data, off)
            cmd = data[off + 16]
            err = -errno.ENOENT if cmd in self.refuse else 0
            self.replies.append(struct.pack("=IHHII", 36, 2, 0x100, seq, 0)
                                + struct.pack("=i", err) + data[off:off + 16])
            off += (length + 3) // 4 * 4
        return len(data)

    def recv_into(self, buf):
        reply = self.replies.pop(0)
        buf[:len(reply)] = reply
        return len(reply)

    def close(self):
        pass


def fake_backend(sock):
    b = nl.NetlinkBackend.__new__(nl.NetlinkBackend)
    b.sock, b.buf, b.seq, b.family = sock, bytearray(genl.RECV_BYTES), 100, FAMILY
    return b


def many_ops(n):
    ops = []
    for i in range(n):
        s = VirtualService(ServiceKey(4, "tcp", f"10.{i // 250}.{i % 250}.1", 80), "rr")
        ops += [Op(ADD_SERVICE, s), Op(ADD_REAL, s, Real(RealKey("192.168.0.1", 80)))]
    return ops


def test_batches_are_acknowledged_one_by_one():
    sock = FakeSocket()
    ops = many_ops(500)
    fake_backend(sock).apply(ops)
    assert sock.sends == -(-len(ops) // nl.BATCH_MESSAGES) and not sock.replies


def test_a_refusal_reports_the_first_failing_op_and_what_took_effect():
    sock = FakeSocket(refuse={5})          # every NEW_DEST
    ops = many_ops(3)
    with pytest.raises(IPVSError) as exc:
        fake_backend(sock).apply(ops)
    assert exc.value.errno == errno.ENOENT
    assert "192.168.0.1:80" in str(exc.value) and "2 more operations failed" in str(exc.value)
    assert exc.value.done == [op for op in ops if op.kind == ADD_SERVICE]


def test_a_refusal_does_not_hold_up_later_batches():
    sock = FakeSocket(refuse={1})          # every NEW_SERVICE
    ops = many_ops(100)
    with pytest.raises(IPVSError) as exc:
        fake_backend(sock).apply(ops)
    assert sock.sends == -(-len(ops) // nl.BATCH_MESSAGES) and not sock.replies
    assert exc.value.done == [op for op in ops if op.kind == ADD_REAL]
    assert "99 more operations failed" in str(exc.value)


# --------------------------------------------------------------------------- this host

def test_a_kernel_without_ipvs_says_what_to_load():
    if os.path.exists("/proc/net/ip_vs"):
        pytest.skip("this kernel has IPVS loaded; the guest tests cover it")
    with pytest.raises(IPVSError) as exc:
        nl.NetlinkBackend()
    assert str(exc.value) == "IPVS is not available: load the ip_vs module (modprobe ip_vs)"


def kernel_dest(address, port, weight, fwd_code, af=None):
    """A destination nest as ip_vs_genl_fill_dest() writes it, statistics included."""
    fam = socket.AF_INET6 if ":" in address else socket.AF_INET
    raw = socket.inet_pton(fam, address)
    parts = [genl.nla(1, raw + bytes(16 - len(raw))), genl.nla(2, struct.pack("!H", port)),
             genl.nla(3, struct.pack("=I", fwd_code)), genl.nla(4, struct.pack("=I", weight))]
    parts += [genl.nla(t, struct.pack("=I", 0)) for t in (5, 6, 7, 8, 9)]
    if af is not None:
        parts.append(genl.nla(11, struct.pack("=H", af)))
    parts.append(genl.nla(10 | 0x8000, b"".join(genl.nla(i, struct.pack("=I", 7)) for i in range(1, 11))))
    parts.append(genl.nla(12 | 0x8000, b"".join(genl.nla(i, struct.pack("=Q", 7)) for i in range(1, 11))))
    return b"".join(parts)


@pytest.mark.parametrize("address,port,weight,code,af,svc_af,forward", [
    ("10.0.0.10", 80, 3, 3, 2, 4, "gate"),
    ("10.0.0.10", 0, 0, 0, None, 4, "masq"),          # no ADDR_FAMILY: the service's
    ("2001:db8::1:0:0:1", 8443, 65535, 2, 10, 4, "ipip"),
    ("192.168.1.1", 53, 1, 1, 2, 4, "gate"),          # LOCALNODE prints as -g
])
def test_dest_reader_skips_statistics_and_padding(address, port, weight, code, af, svc_af,
                                                  forward):
    body = kernel_dest(address, port, weight, code, af)
    buf = bytearray(b"\xee" * 8 + body + b"\xee" * 8)
    assert nl.read_dest(buf, 8, 8 + len(body), svc_af) == \
        Real(RealKey(address, port), weight, forward)
