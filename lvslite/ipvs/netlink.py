"""IPVS over generic netlink, with the standard library alone (socket, struct, os).

Why our own client: pyroute2 costs ~20 MB of RSS (docs/reference/control-planes.md#generic-netlink-and-python-libraries) and the
box has 64-256 MB; libnl is C. This module speaks exactly the part of the IPVS family that
`apply`/`export` need: dump services and their destinations, and new/set/del of services and
destinations, for IPv4, IPv6 and fwmark services. The generic netlink underneath (framing,
attributes, family resolution, the socket) is lvslite.ipvs.genl.

Wire format (all numbers from the kernel's include/uapi/linux/ip_vs.h and
net/netfilter/ipvs/ip_vs_ctl.c):
- every attribute in host byte order except ports (be16) and the IPv4 persistence netmask
  (be32, a dotted mask); for IPv6 the netmask attribute holds the prefix length as a plain
  u32, which is how the kernel compares it (1..128);
- addresses are the 16-byte union nf_inet_addr (IPv4 in the first 4 bytes);
- IPVS_SVC_ATTR_FLAGS is struct ip_vs_flags {u32 flags; u32 mask}; we always send mask ~0,
  as ipvsadm does, so the service ends up with exactly the flags we give;
- NEW/SET_SERVICE need SCHED_NAME, FLAGS, TIMEOUT and NETMASK, NEW/SET_DEST need FWD_METHOD,
  WEIGHT, U_THRESH and L_THRESH, or the kernel answers EINVAL.

Every change request carries NLM_F_ACK and its acknowledgement is checked. Changes are sent
in batches (up to BATCH_MESSAGES requests in one sendmsg: the kernel handles them in order
and acknowledges each one), so a 5000-operation apply costs 79 sends instead of 5000.
"""
from __future__ import annotations

import os

# The C modules themselves, as in lvslite.ipvs.genl.
import _socket as socket
import _struct as struct

from lvslite.ipvs import (NOT_AVAILABLE, PERMISSION, IPVSError, fault_fire, fault_limit,
                          more_failed, no_scheduler)
from lvslite.ipvs.genl import (NLA_F_NESTED, NLA_TYPE_MASK, NLATTR, NLM_F_ACK, NLM_F_REQUEST,
                               NLMSG_ERROR, GenlSocket, genl_message, nla, nla_be16, nla_nest,
                               nla_str, nla_u16, nla_u32, parse_attrs, parse_error, u16, u32)
from lvslite.model import (ADD_REAL, ADD_SERVICE, DEL_REAL, DEL_SERVICE, EDIT_REAL,
                           EDIT_SERVICE, F_PERSISTENT, USER_FLAGS, Op, Real, RealKey,
                           ServiceKey, Table, VirtualService, host_prefix, prefix_of)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Sequence

# include/uapi/linux/ip_vs.h
IPVS_GENL_NAME = "IPVS"
IPVS_GENL_VERSION = 1
IPVS_CMD_NEW_SERVICE = 1
IPVS_CMD_SET_SERVICE = 2
IPVS_CMD_DEL_SERVICE = 3
IPVS_CMD_GET_SERVICE = 4
IPVS_CMD_NEW_DEST = 5
IPVS_CMD_SET_DEST = 6
IPVS_CMD_DEL_DEST = 7
IPVS_CMD_GET_DEST = 8
IPVS_CMD_FLUSH = 17

IPVS_CMD_ATTR_SERVICE = 1
IPVS_CMD_ATTR_DEST = 2

IPVS_SVC_ATTR_AF = 1
IPVS_SVC_ATTR_PROTOCOL = 2
IPVS_SVC_ATTR_ADDR = 3
IPVS_SVC_ATTR_PORT = 4
IPVS_SVC_ATTR_FWMARK = 5
IPVS_SVC_ATTR_SCHED_NAME = 6
IPVS_SVC_ATTR_FLAGS = 7
IPVS_SVC_ATTR_TIMEOUT = 8
IPVS_SVC_ATTR_NETMASK = 9
IPVS_SVC_ATTR_STATS = 10
IPVS_SVC_ATTR_PE_NAME = 11
IPVS_SVC_ATTR_STATS64 = 12

IPVS_DEST_ATTR_ADDR = 1
IPVS_DEST_ATTR_PORT = 2
IPVS_DEST_ATTR_FWD_METHOD = 3
IPVS_DEST_ATTR_WEIGHT = 4
IPVS_DEST_ATTR_U_THRESH = 5
IPVS_DEST_ATTR_L_THRESH = 6
IPVS_DEST_ATTR_ACTIVE_CONNS = 7
IPVS_DEST_ATTR_INACT_CONNS = 8
IPVS_DEST_ATTR_PERSIST_CONNS = 9
IPVS_DEST_ATTR_STATS = 10
IPVS_DEST_ATTR_ADDR_FAMILY = 11
IPVS_DEST_ATTR_STATS64 = 12
IPVS_DEST_ATTR_TUN_TYPE = 13
IPVS_DEST_ATTR_TUN_PORT = 14
IPVS_DEST_ATTR_TUN_FLAGS = 15

# IP_VS_CONN_F_* forwarding methods (ip_vs.h). LOCALNODE is what the kernel reports for a
# real that is an address of the director itself; ipvsadm -S prints it as -g.
IP_VS_CONN_F_FWD_MASK = 0x7
FWD_CODE = {"masq": 0, "ipip": 2, "gate": 3}
FWD_NAME = {0: "masq", 1: "gate", 2: "ipip", 3: "gate"}

AF_CODE = {4: 2, 6: 10}             # AF_INET, AF_INET6
AF_NAME = {2: 4, 10: 6}
PROTO_CODE = {"tcp": 6, "udp": 17, "sctp": 132}   # IPPROTO_*
PROTO_NAME = {6: "tcp", 17: "udp", 132: "sctp"}

BATCH_MESSAGES = 64      # acks of one batch must fit the socket's receive buffer
BATCH_BYTES = 32768      # well under the default netlink send buffer (sk_sndbuf - 32)


# --------------------------------------------------------------------------- encoding

def address_bytes(address: str) -> bytes:
    """The 16-byte union nf_inet_addr for an address in text form."""
    if ":" in address:
        return socket.inet_pton(socket.AF_INET6, address)
    return socket.inet_pton(socket.AF_INET, address) + b"\0" * 12


def netmask_bytes(af: int, prefix: int) -> bytes:
    if af == 6:
        return struct.pack("=I", min(prefix, 128))
    prefix = min(prefix, 32)
    return struct.pack("!I", (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF)


_SERVICE_IDS: dict[ServiceKey, bytes] = {}


def service_id(key: ServiceKey) -> bytes:
    """The attributes that name a service (enough for delete and for dumping its reals);
    memoised, since every real of a service repeats them."""
    got = _SERVICE_IDS.get(key)
    if got is not None:
        return got
    parts = [nla_u16(IPVS_SVC_ATTR_AF, AF_CODE[key.af])]
    if key.fwmark:
        parts.append(nla_u32(IPVS_SVC_ATTR_FWMARK, key.fwmark))
    else:
        parts.append(nla_u16(IPVS_SVC_ATTR_PROTOCOL, PROTO_CODE[key.protocol]))
        parts.append(nla(IPVS_SVC_ATTR_ADDR, address_bytes(key.address)))
        parts.append(nla_be16(IPVS_SVC_ATTR_PORT, key.port))
    got = b"".join(parts)
    if len(_SERVICE_IDS) > 65536:
        _SERVICE_IDS.clear()
    _SERVICE_IDS[key] = got
    return got


def service_attr(svc: VirtualService, full: bool) -> bytes:
    ident = service_id(svc.key)
    if not full:
        return nla(IPVS_CMD_ATTR_SERVICE | NLA_F_NESTED, ident)
    flags = (svc.flags & USER_FLAGS) | (F_PERSISTENT if svc.persistent else 0)
    netmask = svc.netmask if svc.persistent else host_prefix(svc.key.af)
    return nla_nest(IPVS_CMD_ATTR_SERVICE, ident,
                    nla_str(IPVS_SVC_ATTR_SCHED_NAME, svc.scheduler),
                    nla(IPVS_SVC_ATTR_FLAGS, struct.pack("=II", flags, 0xFFFFFFFF)),
                    nla_u32(IPVS_SVC_ATTR_TIMEOUT, svc.persistent),
                    nla(IPVS_SVC_ATTR_NETMASK, netmask_bytes(svc.key.af, netmask)))


# A destination nest in one pack (the hot path of a big apply): ADDR (16 bytes), PORT (be16,
# given pre-swapped with htons), ADDR_FAMILY (u16), then FWD_METHOD, WEIGHT, U_THRESH,
# L_THRESH (u32 each). A u16 attribute is 6 bytes long, padded to 8.
_DEST_ID = struct.Struct("=HH" "HH16s" "HHH2x" "HHH2x")
_DEST_FULL = struct.Struct("=HH" "HH16s" "HHH2x" "HHH2x" "HHI" "HHI" "HHI" "HHI")


def dest_attr(real: Real, full: bool) -> bytes:
    address = real.key.address
    af = AF_CODE[6 if ":" in address else 4]
    head = (IPVS_CMD_ATTR_DEST | NLA_F_NESTED, 20, IPVS_DEST_ATTR_ADDR, address_bytes(address),
            6, IPVS_DEST_ATTR_PORT, socket.htons(real.key.port),
            6, IPVS_DEST_ATTR_ADDR_FAMILY, af)
    if not full:
        return _DEST_ID.pack(_DEST_ID.size, *head)
    return _DEST_FULL.pack(_DEST_FULL.size, *head,
                           8, IPVS_DEST_ATTR_FWD_METHOD, FWD_CODE[real.forward],
                           8, IPVS_DEST_ATTR_WEIGHT, real.weight,
                           8, IPVS_DEST_ATTR_U_THRESH, 0, 8, IPVS_DEST_ATTR_L_THRESH, 0)


_OP_CMD = {ADD_SERVICE: IPVS_CMD_NEW_SERVICE, EDIT_SERVICE: IPVS_CMD_SET_SERVICE,
           DEL_SERVICE: IPVS_CMD_DEL_SERVICE, ADD_REAL: IPVS_CMD_NEW_DEST,
           EDIT_REAL: IPVS_CMD_SET_DEST, DEL_REAL: IPVS_CMD_DEL_DEST}


def encode_op(family: int, op: Op, seq: int) -> bytes:
    """One request message performing `op`, asking for an acknowledgement."""
    cmd = _OP_CMD[op.kind]
    if op.kind in (ADD_SERVICE, EDIT_SERVICE):
        payload = service_attr(op.service, full=True)
    elif op.kind == DEL_SERVICE:
        payload = service_attr(op.service, full=False)
    else:
        payload = (service_attr(op.service, full=False)
                   + dest_attr(op.real, full=op.kind != DEL_REAL))
    return genl_message(family, cmd, NLM_F_REQUEST | NLM_F_ACK, seq, payload,
                        IPVS_GENL_VERSION)


# --------------------------------------------------------------------------- decoding

SERVICE_WANT = frozenset((IPVS_SVC_ATTR_AF, IPVS_SVC_ATTR_PROTOCOL, IPVS_SVC_ATTR_ADDR,
                          IPVS_SVC_ATTR_PORT, IPVS_SVC_ATTR_FWMARK, IPVS_SVC_ATTR_SCHED_NAME,
                          IPVS_SVC_ATTR_FLAGS, IPVS_SVC_ATTR_TIMEOUT, IPVS_SVC_ATTR_NETMASK))


def address_text(af: int, raw: bytes) -> str:
    """Canonical text (ipaddress's compressed form, as lvslite.model requires)."""
    if af == 4:
        return socket.inet_ntoa(raw[:4])
    import ipaddress  # only when there is an IPv6 entry
    return ipaddress.IPv6Address(bytes(raw[:16])).compressed


def decode_service(attrs: dict[int, bytes]) -> VirtualService:
    af = AF_NAME.get(u16(attrs[IPVS_SVC_ATTR_AF]), 0)
    if IPVS_SVC_ATTR_FWMARK in attrs and u32(attrs[IPVS_SVC_ATTR_FWMARK]):
        key = ServiceKey(af, "", "", 0, u32(attrs[IPVS_SVC_ATTR_FWMARK]))
    else:
        proto = u16(attrs[IPVS_SVC_ATTR_PROTOCOL])
        key = ServiceKey(af, PROTO_NAME.get(proto, str(proto)),
                         address_text(af, attrs[IPVS_SVC_ATTR_ADDR]),
                         struct.unpack("!H", attrs[IPVS_SVC_ATTR_PORT][:2])[0])
    flags, mask = struct.unpack("=II", attrs[IPVS_SVC_ATTR_FLAGS][:8])
    flags &= mask
    persistent = u32(attrs[IPVS_SVC_ATTR_TIMEOUT]) if flags & F_PERSISTENT else 0
    raw_mask = attrs.get(IPVS_SVC_ATTR_NETMASK, b"\xff\xff\xff\xff")
    if not persistent:
        netmask = host_prefix(af)
    elif af == 6:
        netmask = min(u32(raw_mask), 128)
    else:
        netmask = prefix_of(struct.unpack("!I", raw_mask[:4])[0])
    sched = attrs[IPVS_SVC_ATTR_SCHED_NAME].split(b"\0", 1)[0].decode()
    return VirtualService(key, sched, persistent, netmask, flags & USER_FLAGS, ())


_U16 = struct.Struct("=H")
_U32 = struct.Struct("=I")


def read_dest(buf, start: int, end: int, service_af: int) -> Real:
    """One destination nest of a dump, read straight from the receive buffer: the hot loop
    of a dump, which reads thousands of destinations and skips their statistics without
    copying them. Without ADDR_FAMILY (older kernels) the service's family applies."""
    unpack = NLATTR.unpack_from
    addr = -1
    port = fwd = weight = 0
    af = service_af
    off = start
    while off + 4 <= end:
        size, atype = unpack(buf, off)
        if size < 4:
            break
        atype &= NLA_TYPE_MASK
        p = off + 4
        if atype == IPVS_DEST_ATTR_ADDR:
            addr = p
        elif atype == IPVS_DEST_ATTR_PORT:
            port = (buf[p] << 8) | buf[p + 1]
        elif atype == IPVS_DEST_ATTR_FWD_METHOD:
            fwd = _U32.unpack_from(buf, p)[0] & IP_VS_CONN_F_FWD_MASK
        elif atype == IPVS_DEST_ATTR_WEIGHT:
            weight = _U32.unpack_from(buf, p)[0]
        elif atype == IPVS_DEST_ATTR_ADDR_FAMILY:
            af = AF_NAME.get(_U16.unpack_from(buf, p)[0], service_af)
        off += (size + 3) & ~3
    if addr < 0:
        raise IPVSError("the kernel sent a destination without an address (a newer IPVS "
                        "netlink format?)")
    if af == 4:
        address = socket.inet_ntoa(bytes(buf[addr:addr + 4]))
    else:
        address = address_text(6, bytes(buf[addr:addr + 16]))
    return Real(RealKey(address, port), weight, FWD_NAME.get(fwd, "gate"))


# --------------------------------------------------------------------------- errors

def explain(err: int, op: Op | None = None, extack: str = "") -> str:
    """A message a person can act on: the thing, the problem, the fix."""
    import errno as E
    if err in (E.EPERM, E.EACCES):
        return PERMISSION
    thing = _thing(op)
    if op is not None and err == E.ENOENT and op.kind in (ADD_SERVICE, EDIT_SERVICE):
        return no_scheduler(thing, op.service.scheduler)
    raced = {E.ESRCH: "no such virtual service in the kernel",
             E.ENOENT: "no such real server in the kernel",
             E.EEXIST: "already exists in the kernel"}.get(err)
    if raced:
        return f"{thing}: {raced} (the table changed while lvslite was applying; run apply again)"
    if err == E.EAFNOSUPPORT:
        return f"{thing}: this kernel's IPVS has no IPv6 support (CONFIG_IP_VS_IPV6)"
    if err == E.EINVAL and op is not None and op.real is not None:
        return (f"{thing}: the kernel refused the real server as invalid (its address must "
                f"be unicast and routable from the director{'; ' + extack if extack else ''})")
    detail = f"; {extack}" if extack else ""
    return f"{thing}: the kernel refused: {os.strerror(err)}{detail}"


def _thing(op: Op | None) -> str:
    if op is None:
        return "IPVS"
    from lvslite.ipvs.ops import command_line
    return f"`{command_line(op)}`"


def not_available() -> IPVSError:
    import errno as E
    return IPVSError(NOT_AVAILABLE, E.ENOENT)


# --------------------------------------------------------------------------- the client

class NetlinkBackend(GenlSocket):
    """The IPVS family of the calling thread's network namespace (the IPVS table is per
    namespace: create it inside the one to program)."""

    VERSION = IPVS_GENL_VERSION
    OPEN_HINT = " (is this Linux with CONFIG_NETFILTER and IPVS?)"

    def __init__(self) -> None:
        super().__init__(IPVS_GENL_NAME)

    def refused(self, err: int, text: str = "") -> IPVSError:
        return IPVSError(explain(err, None, text), err)

    def no_family(self, name: str) -> IPVSError:
        return not_available()

    # ---------------------------------------------------------------- the interface
    def dump(self) -> Table:
        """The live table, services in the kernel's order (dict order)."""
        return self._dump_ordered()[0]

    def save_text(self) -> str:
        """`ipvsadm -S -n`'s text, sorted as ipvsadm sorts from the kernel's order."""
        from lvslite.ipvs.export import to_ipvsadm
        return to_ipvsadm(*self._dump_ordered())

    def _dump_ordered(self) -> tuple[Table, dict[ServiceKey, tuple[RealKey, ...]]]:
        """The live table, and each service's reals in the kernel's order."""
        table: Table = {}
        order: dict[ServiceKey, tuple[RealKey, ...]] = {}
        services = self._dump(IPVS_CMD_GET_SERVICE, b"", IPVS_CMD_ATTR_SERVICE,
                              lambda b, s, e: decode_service(parse_attrs(b, s, e, SERVICE_WANT)))
        for svc in services:
            af = svc.key.af
            dests = self._dump(IPVS_CMD_GET_DEST, service_attr(svc, full=False),
                               IPVS_CMD_ATTR_DEST, lambda b, s, e: read_dest(b, s, e, af))
            order[svc.key] = tuple(r.key for r in dests)
            dests.sort()                # by key: a service's reals have distinct keys
            table[svc.key] = VirtualService(svc.key, svc.scheduler, svc.persistent,
                                            svc.netmask, svc.flags, tuple(dests))
        return table, order

    def apply(self, ops: Sequence[Op]) -> None:
        """Run `ops` in order, checking every acknowledgement. A refusal does not stop the
        rest (the kernel handles each message of a batch anyway; later batches are sent
        too), so one bad service does not hold up the others: the ops that depend on a
        refused service are refused in turn. IPVSError then names the first refusal and
        lists in `done` every op that took effect."""
        done: list[Op] = []
        failures: list[tuple[Op, int, str]] = []
        batch: list[tuple[int, Op]] = []
        data: list[bytes] = []
        size = 0
        limit = fault_limit()   # None but under tests/vm/test_faults.py
        for op in ops:
            if limit is not None and len(done) + len(failures) + len(batch) == limit:
                if batch:
                    self._flush(batch, data, done, failures)
                    batch, data, size = [], [], 0
                fault_fire()
            seq = self._next_seq()
            msg = encode_op(self.family, op, seq)
            if batch and (len(batch) >= BATCH_MESSAGES or size + len(msg) > BATCH_BYTES):
                self._flush(batch, data, done, failures)
                batch, data, size = [], [], 0
            batch.append((seq, op))
            data.append(msg)
            size += len(msg)
        if batch:
            self._flush(batch, data, done, failures)
        if limit is not None and len(done) + len(failures) == limit:
            fault_fire()
        if failures:
            op, err, text = failures[0]
            raise IPVSError(explain(err, op, text) + more_failed(len(failures) - 1), err, done)

    def _flush(self, batch: list[tuple[int, Op]], data: list[bytes], done: list[Op],
               failures: list[tuple[Op, int, str]]) -> None:
        self._send(b"".join(data))
        pending = dict(batch)
        errors: dict[int, tuple[int, str]] = {}
        while pending:
            for off, length, mtype, flags, mseq in self._replies():
                if mtype == NLMSG_ERROR and mseq in pending:
                    err, text = parse_error(self.buf, off, length, flags)
                    if err:
                        errors[mseq] = (err, text)
                    pending.pop(mseq)
        for seq, op in batch:
            if seq in errors:
                failures.append((op,) + errors[seq])
            else:
                done.append(op)

    def flush(self) -> None:
        """Empty the whole table of this namespace (tests and benchmarks; apply never
        flushes: it would drop services lvslite does not own)."""
        self._ack(IPVS_CMD_FLUSH)
