"""Sizing: the acceptance figures, edge cases, and the sweep (timed, printed, not asserted)."""
import time

import pytest

from bench.catalog import load_catalog, parse_box
from bench.memory import MIB
from bench.size import (MARGINAL_MAX, OK_MAX, Options, log_points, max_rps, prepare, size,
                        size_prepared, sweep, verdict)
from bench.traffic import Workload

CAT = load_catalog()
REF = Workload(rps=300, kbps=150)


def test_net4801_is_enough_for_the_seed_workload_and_names_its_limit():
    s = size(CAT.box("net4801"), CAT, REF)
    assert s.verdict == "ok"
    assert s.limiting in ("cpu", "memory", "nic")
    assert s.limiting == max(s.utilisation, key=s.utilisation.get)
    assert s.utilisation["cpu"] < 0.07          # docs/reference/models.md#reference-boxes: "<~ 7% CPU"
    assert 5e6 < s.memory_bytes < 18e6          # docs/reference/models.md#reference-boxes: "~5-18 MB of IPVS memory"


def test_verdict_thresholds():
    assert [verdict(x) for x in (0, OK_MAX, OK_MAX + 1e-9, MARGINAL_MAX, 1.01)] == \
        ["ok", "ok", "marginal", "marginal", "insufficient"]


def test_zero_traffic_leaves_only_the_base_system():
    s = size(CAT.box("net4801"), CAT, Workload(rps=0))
    assert s.verdict == "ok" and s.traffic.pps_in == 0 and s.entries == 0
    assert s.utilisation["cpu"] == 0 and s.utilisation["nic"] == 0
    assert s.memory_bytes == 4096 * 4            # the empty hash table (i386 hlist heads)


def test_an_impossible_workload_is_insufficient_everywhere():
    w = Workload(rps=5e6, kbps=5e6 * 0.5)
    for box in CAT.boxes.values():
        s = size(box, CAT, w)
        assert s.verdict == "insufficient", box.name
        assert s.utilisation[s.limiting] > MARGINAL_MAX


def test_a_box_that_cannot_hold_its_base_system():
    tiny = parse_box({"name": "t", "cpu": {"model": "x", "mhz": 100, "cores": 1, "arch": "i386",
                                           "cache_line": 16, "cycle_ratio": 1},
                      "ram_mb": 16, "nics": [{"chip": "c", "driver": "d", "napi": True,
                                              "mbps": 10, "irq": "A"}]}, "t")
    s = size(tiny, CAT, Workload(rps=0))
    assert s.verdict == "insufficient" and s.limiting == "memory" and s.margin_bytes < 0


def test_one_nic_director_carries_nat_both_ways_on_one_wire():
    two = parse_box({"name": "two", "cpu": {"model": "x", "mhz": 266, "cores": 1,
                                            "arch": "i386", "cache_line": 16, "cycle_ratio": 1},
                     "ram_mb": 128, "nics": [{"chip": "c", "driver": "d", "napi": True,
                                              "mbps": 100, "irq": "A"},
                                             {"chip": "c", "driver": "d", "napi": True,
                                              "mbps": 100, "irq": "B"}]}, "two")
    one = parse_box({"name": "one", "cpu": two.cpu.__dict__, "ram_mb": 128,
                     "nics": [two.nics[0].__dict__]}, "one")
    w = Workload(rps=3000, kbps=3000 * 14.6, mode="nat")
    s1, s2 = size(one, CAT, w), size(two, CAT, w)
    t = s1.traffic
    assert s1.utilisation["nic"] == pytest.approx((t.wire_in_bps + t.wire_out_bps) / 100e6)
    assert s2.utilisation["nic"] == pytest.approx(max(t.wire_in_bps, t.wire_out_bps) / 100e6)
    dr = Workload(rps=3000, kbps=3000 * 14.6)
    assert size(one, CAT, dr).utilisation["nic"] == size(two, CAT, dr).utilisation["nic"]


def test_persistence_and_old_kernels_change_memory_only():
    box = CAT.box("net4801")
    plain = size(box, CAT, REF)
    sticky = size(box, CAT, Workload(rps=300, kbps=150, persistent=1800))
    assert sticky.templates == 300 * 1800 and sticky.memory_bytes > plain.memory_bytes
    assert sticky.utilisation["cpu"] == plain.utilisation["cpu"]
    old = size(box, CAT, REF, Options(kernel="2.4"))
    assert old.entry_bytes < plain.entry_bytes
    flat = size(box, CAT, REF, Options(entry_bytes=256))
    assert flat.memory_bytes - flat.entries * 256 == 4096 * 4


def test_max_rps_is_where_the_worst_utilisation_reaches_the_limit():
    p = prepare(CAT.box("net4801"), CAT)
    top = max_rps(p, REF)
    from bench.size import at_rps
    assert max(size_prepared(p, at_rps(REF, top)).utilisation.values()) <= MARGINAL_MAX
    assert max(size_prepared(p, at_rps(REF, top * 1.001)).utilisation.values()) > MARGINAL_MAX
    assert max_rps(p, REF, OK_MAX) < top


def test_seed_25k_new_per_second_exhausts_the_net4801():
    box = CAT.box("net4801")
    s = size(box, CAT, Workload(rps=25000, kbps=25000 * 0.5), Options(kernel="kconfig"))
    assert s.memory_bytes > box.ram_mb * MIB and s.verdict == "insufficient"


def test_sweep_of_the_catalog_over_1000_points(capsys):
    prepared = [prepare(b, CAT) for b in CAT.boxes.values()]
    rates = log_points(10, 1e6, 1000)
    start = time.perf_counter()
    lines = sweep(prepared, REF, rates)
    seconds = time.perf_counter() - start
    with capsys.disabled():
        print(f"\n[benchmark] swept {len(lines)} boxes x {len(rates)} workloads "
              f"in {seconds:.3f} s")
    for ln, p in zip(lines, prepared):
        order = {"ok": 0, "marginal": 1, "insufficient": 2}
        ranks = [order[v] for v in ln.verdicts]
        assert ranks == sorted(ranks), ln.box            # more load is never better
        assert ln.insufficient_from is not None
        top = max_rps(p, REF)
        i = rates.index(ln.insufficient_from)
        assert rates[i - 1] <= top <= rates[i]           # the sweep agrees with the bisection
