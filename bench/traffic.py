"""Traffic model: an HTTP workload -> new connections/s, packets/s and bits/s at the director.

What passes the director depends on the forwarding mode: in LVS-DR and LVS-TUN only the
client->server half does (replies go straight from the real servers); in LVS-NAT both halves
do. Packet counts per connection come from TCP itself, so the seed's "how much traffic" turns
into numbers a CPU and a NIC can be sized against. Pure functions; no box knowledge here.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from bench.errors import BenchError

MODES = ("dr", "nat", "tun")

# TCP/IP constants (each cited).
MSS = 1460            # Ethernet MTU 1500 - 20 IP - 20 TCP (RFC 894, RFC 879)
HEADER_BYTES = 52     # 20 IPv4 + 20 TCP + 12 timestamp option (RFC 7323; Linux tcp_timestamps=1)
IPIP_BYTES = 20       # LVS-TUN adds one outer IPv4 header per forwarded packet (RFC 2003)
ETH_OVERHEAD = 18     # Ethernet header 14 + FCS 4 (IEEE 802.3)
ETH_MIN_FRAME = 64    # minimum frame incl. FCS (IEEE 802.3)
WIRE_GAP = 20         # preamble/SFD 8 + inter-frame gap 12 (docs/reference/models.md#wire-limits)
ACK_EVERY = 2         # delayed ACK: at least one ACK per two full segments (RFC 1122 4.2.3.2)
CONTROL_IN = 4        # client->server: SYN, handshake ACK, FIN, ACK of the server's FIN
CONTROL_OUT = 3       # server->client: SYN-ACK, FIN, ACK of the client's FIN

# Workload defaults (assumptions, said aloud in the output).
REQUEST_BYTES = 350   # seed (Ratz): "~350 Bytes/packet" for the thread's traffic
RESPONSE_BYTES = 500  # seed: 150 kB/s over 300 req/s (Ratz: "a typical request ... 512 Bytes")
CONN_SECONDS = 1.0    # assumption: a short HTTP exchange lasts a few round trips


@dataclass(frozen=True)
class Workload:
    rps: float                        # HTTP requests per second
    kbps: Optional[float] = None      # response kB/s (1 kB = 1000 B); None -> RESPONSE_BYTES each
    mode: str = "dr"
    keepalive: float = 1.0            # requests per TCP connection
    persistent: float = 0.0           # IPVS persistence timeout (s); 0 = none
    request_bytes: float = REQUEST_BYTES
    conn_seconds: float = CONN_SECONDS

    def __post_init__(self) -> None:
        for name in ("rps", "persistent", "request_bytes", "conn_seconds"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise BenchError(f"--{name.replace('_', '-')}", f"is {value!r}",
                                 "a finite number >= 0")
        if self.kbps is not None and (not math.isfinite(self.kbps) or self.kbps < 0):
            raise BenchError("--kbps", f"is {self.kbps!r}", "a finite number >= 0")
        if not math.isfinite(self.keepalive) or self.keepalive < 1:
            raise BenchError("--keepalive", f"is {self.keepalive!r}",
                             "requests per connection, >= 1")
        if self.mode not in MODES:
            raise BenchError("--mode", f"is {self.mode!r}", "dr, nat or tun")
        if self.rps == 0 and self.kbps:
            raise BenchError("--kbps", f"is {self.kbps} with --rps 0",
                             "responses need requests: give --rps > 0 or --kbps 0")

    @property
    def response_bytes(self) -> float:
        if self.kbps is None:
            return RESPONSE_BYTES
        return self.kbps * 1000.0 / self.rps if self.rps else 0.0


@dataclass(frozen=True)
class Traffic:
    conns_per_s: float     # new TCP connections/s (each is one IPVS entry)
    pps_in: float          # client->server packets/s through the director
    pps_out: float         # server->client packets/s through the director (0 in DR/TUN)
    bps_in: float          # IP-level bits/s of pps_in
    bps_out: float
    wire_in_bps: float     # on the wire (frames + preamble + gap), client->server half
    wire_out_bps: float    # the same for the reply half through the director (NAT only)
    packets_per_conn_in: float
    packets_per_conn_out: float
    mean_packet_bytes: float

    @property
    def forwarded_pps(self) -> float:
        """Packets the director receives and transmits again."""
        return self.pps_in + self.pps_out


def segments(payload: float) -> int:
    return int(math.ceil(payload / MSS)) if payload > 0 else 0


def frame_on_wire(ip_bytes: float) -> float:
    return max(ETH_MIN_FRAME, ip_bytes + ETH_OVERHEAD) + WIRE_GAP


def bits_per_second(pps: float, mean_packet_bytes: float) -> float:
    """docs/reference/models.md#the-seed-thread: bits = pps x mean packet bytes x 8."""
    return pps * mean_packet_bytes * 8.0


def wire_pps(link_bps: float, frame_bytes: float) -> float:
    """Line rate in frames/s: each frame also costs 20 B of preamble and gap (docs/reference/models.md#wire-limits)."""
    return link_bps / ((frame_bytes + WIRE_GAP) * 8.0)


def traffic(w: Workload) -> Traffic:
    conns = w.rps / w.keepalive
    req_segs = max(1, segments(w.request_bytes)) if w.rps else 0
    resp_segs = segments(w.response_bytes)
    ack_segs = math.ceil(resp_segs / ACK_EVERY)
    k = w.keepalive
    # client -> server, per connection: control + per request (data + ACKs of the reply)
    n_in = CONTROL_IN + k * (req_segs + ack_segs)
    bytes_in = n_in * HEADER_BYTES + k * w.request_bytes
    n_out = CONTROL_OUT + k * resp_segs
    bytes_out = n_out * HEADER_BYTES + k * w.response_bytes
    through_out = w.mode == "nat"
    pps_in, pps_out = conns * n_in, (conns * n_out if through_out else 0.0)
    bps_in, bps_out = conns * bytes_in * 8, (conns * bytes_out * 8 if through_out else 0.0)
    # On the wire (TUN adds the outer header on the back side; counted on both for simplicity).
    mean_in = bytes_in / n_in if n_in else 0.0
    mean_out = bytes_out / n_out if n_out else 0.0
    extra = IPIP_BYTES if w.mode == "tun" else 0
    wire_in = pps_in * frame_on_wire(mean_in + extra) * 8
    wire_out = pps_out * frame_on_wire(mean_out) * 8
    total = pps_in + pps_out
    mean = (conns * bytes_in + (conns * bytes_out if through_out else 0.0)) / total if total else 0.0
    return Traffic(conns_per_s=conns, pps_in=pps_in, pps_out=pps_out, bps_in=bps_in,
                   bps_out=bps_out, wire_in_bps=wire_in, wire_out_bps=wire_out,
                   packets_per_conn_in=n_in, packets_per_conn_out=n_out,
                   mean_packet_bytes=mean)
