"""Traffic model: docs/reference/models.md#worked-examples examples 1 and 5, TCP packet counting, edge cases."""
import pytest

from bench.errors import BenchError
from bench.traffic import (CONTROL_IN, CONTROL_OUT, HEADER_BYTES, Workload, bits_per_second,
                           traffic, wire_pps)


def test_example_1_bits_per_second():
    assert bits_per_second(2000, 350) == pytest.approx(5.60e6)
    assert bits_per_second(25000, 250) == pytest.approx(50.0e6)


def test_example_5_wire_limits():
    assert round(wire_pps(100e6, 64)) == 148_810
    assert int(wire_pps(100e6, 1518)) == 8_127


def test_reference_workload_counts_tcp_packets():
    t = traffic(Workload(rps=300, kbps=150))
    # 500 B replies: 1 segment; 350 B request: 1 segment; one delayed ACK for the reply
    assert t.conns_per_s == 300
    assert t.packets_per_conn_in == CONTROL_IN + 1 + 1
    assert t.packets_per_conn_out == CONTROL_OUT + 1
    assert t.pps_in == 300 * t.packets_per_conn_in       # docs/reference/models.md#reference-boxes: ~1,800 inbound pps
    assert t.pps_out == 0                                # DR: replies bypass the director
    assert t.bps_in == pytest.approx(300 * (t.packets_per_conn_in * HEADER_BYTES + 350) * 8)


def test_nat_carries_the_replies_and_tun_adds_a_header():
    dr, nat, tun = (traffic(Workload(rps=300, kbps=150, mode=m)) for m in ("dr", "nat", "tun"))
    assert nat.pps_out == 300 * nat.packets_per_conn_out and nat.pps_out > 0
    assert nat.forwarded_pps > dr.forwarded_pps
    assert tun.pps_in == dr.pps_in and tun.wire_in_bps > dr.wire_in_bps


def test_big_replies_need_more_segments_and_acks():
    small = traffic(Workload(rps=100, kbps=50))
    big = traffic(Workload(rps=100, kbps=100 * 14.6))    # 14,600 B = 10 segments each
    assert big.packets_per_conn_out - small.packets_per_conn_out == 9
    assert big.packets_per_conn_in - small.packets_per_conn_in == 4   # 5 ACKs instead of 1


def test_keepalive_spreads_requests_over_fewer_connections():
    one = traffic(Workload(rps=300, kbps=150))
    ten = traffic(Workload(rps=300, kbps=150, keepalive=10))
    assert ten.conns_per_s == pytest.approx(30)
    assert ten.pps_in < one.pps_in


def test_zero_traffic_is_zero_packets():
    t = traffic(Workload(rps=0))
    assert (t.conns_per_s, t.pps_in, t.pps_out, t.bps_in, t.wire_in_bps) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize("kw, flag", [
    (dict(rps=-1), "--rps"), (dict(rps=1, kbps=-5), "--kbps"),
    (dict(rps=1, mode="dsr"), "--mode"), (dict(rps=1, keepalive=0.5), "--keepalive"),
    (dict(rps=0, kbps=150), "--kbps"), (dict(rps=float("inf")), "--rps"),
])
def test_bad_workloads_are_named(kw, flag):
    with pytest.raises(BenchError) as exc:
        Workload(**kw)
    assert str(exc.value).startswith(flag)
