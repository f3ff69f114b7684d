"""CPU costs: the calibration reproduces both published points; boxes scale by clock and cycles."""
import pytest

from bench.catalog import load_catalog
from bench.cpu import box_costs, reference, utilisation
from bench.livelock import IrqCosts, napi_capacity

CAT = load_catalog()
CAL = CAT.calibration


def test_calibration_reproduces_laforge_and_the_seed():
    ref = reference(CAL)
    routed = IrqCosts(rx=ref.rx, p=ref.p, entry=ref.entry, check=ref.check, shared=1,
                      budget=ref.budget)
    assert napi_capacity(routed) == pytest.approx(CAL.napi_route_pps)
    # the seed's point through the sizing model: on the calibration box (266 MHz GX1, one
    # handler on the line, one core), every packet a new connection at 25,000 pps is 100% busy
    wrap = box_costs(CAT.box("wrap"), CAL)
    rate = CAL.irq_ipvs_new_pps
    assert utilisation(wrap, rate, rate) == pytest.approx(1.0)
    assert ref.p > 0 and ref.conn > 0


def test_the_calibration_box_costs_7800_cycles_per_routed_packet():
    # docs/reference/models.md#reference-boxes: 34,000 pps on 266 MHz = 7,824 cycles (29.4 us)
    wrap = box_costs(CAT.box("wrap"), CAL)
    assert wrap.capacity_pps == pytest.approx(34_000)
    assert 266e6 / wrap.capacity_pps == pytest.approx(7_824, abs=1)


def test_net4501_to_net4801_ratio_follows_m0n0wall():
    n45 = box_costs(CAT.box("net4501"), CAL).capacity_pps
    n48 = box_costs(CAT.box("net4801"), CAL).capacity_pps
    assert n45 / n48 == pytest.approx(17 / 40, rel=0.01)
    assert n45 / n48 == pytest.approx(20 / 50, rel=0.10)     # the seed's ratio


def test_shared_line_costs_the_net4801_but_not_the_wrap():
    n48, wrap = box_costs(CAT.box("net4801"), CAL), box_costs(CAT.box("wrap"), CAL)
    assert n48.irq.shared == 3 and wrap.irq.shared == 1
    assert n48.per_packet > wrap.per_packet


def test_utilisation_is_linear_and_spread_over_rss_cores():
    n48 = box_costs(CAT.box("net4801"), CAL)
    assert utilisation(n48, 2000, 0) == pytest.approx(2 * utilisation(n48, 1000, 0))
    assert utilisation(n48, 0, 100) == pytest.approx(100 * n48.conn)
    apu = box_costs(CAT.box("apu2"), CAL)
    assert apu.cores == 4          # 4 cores, i210 front NIC with 4 RX queues
    one_core = apu.per_packet * 1000
    assert utilisation(apu, 1000, 0) == pytest.approx(one_core / 4)
