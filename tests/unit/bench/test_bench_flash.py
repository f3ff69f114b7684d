"""Flash life through the bench: docs/reference/models.md#worked-examples 7-10, and that the model is the agent's."""
import pytest

import bench.cmd.flash
import bench.flash
from bench.errors import BenchError
from bench.flash import lifetime, parse_bytes


def test_the_bench_uses_the_agents_model_not_a_copy():
    import lvslite.wear.model as wear
    life = lifetime(1.0, capacity_bytes=10 ** 9, endurance_cycles=1e5, wear_leveling="static")
    assert isinstance(life, wear.Lifetime)
    assert not any(name in vars(bench.flash) for name in ("arrhenius_factor", "LEVELING"))
    assert bench.cmd.flash.LEVELING is wear.LEVELING      # the CLI's choices are the model's


@pytest.mark.parametrize("t_hot, days", [(1, 1.157), (60, 69.4), (3600, 11.4 * 365)])
def test_example_7_no_wear_leveling(t_hot, days):
    life = lifetime(100.0, capacity_bytes=64 * 10 ** 6, endurance_cycles=1e5,
                    wear_leveling="none", hot_interval_s=t_hot)
    assert life.days == pytest.approx(days, rel=0.01)


def test_example_8_sandisk_34_years():
    # 300,000 writes per sector, rewritten 3 times an hour 8 hours a day: every 3600 s on average
    life = lifetime(1.0, capacity_bytes=10 ** 8, endurance_cycles=300_000,
                    wear_leveling="none", hot_interval_s=86400 / (3 * 8))
    assert life.years == pytest.approx(34.2, abs=0.05)


def test_example_9_static_wear_leveling():
    life = lifetime(10 * 1024, capacity_bytes=1024 ** 3, endurance_cycles=1e5,
                    wear_leveling="static", waf=4)
    assert life.years == pytest.approx(83.1, abs=0.05)


def test_example_10_heat_derates_by_arrhenius():
    cool = lifetime(10 * 1024, capacity_bytes=1024 ** 3, endurance_cycles=1e5,
                    wear_leveling="static", temp_c=30)
    hot = lifetime(10 * 1024, capacity_bytes=1024 ** 3, endurance_cycles=1e5,
                   wear_leveling="static", temp_c=52)
    assert cool.days / hot.days == pytest.approx(17.3, abs=0.05)


def test_zero_writes_never_wear_out():
    assert lifetime(0.0, capacity_bytes=10 ** 9, endurance_cycles=1e5).days is None


def test_model_errors_become_bench_errors():
    with pytest.raises(BenchError):
        lifetime(-1.0, capacity_bytes=10 ** 9, endurance_cycles=1e5)
    with pytest.raises(BenchError):
        lifetime(1.0, capacity_bytes=10 ** 9, endurance_cycles=1e5, waf=0.5)


@pytest.mark.parametrize("text, n", [("1073741824", 2 ** 30), ("1GiB", 2 ** 30), ("1GB", 10 ** 9),
                                     ("256MiB", 256 * 2 ** 20), ("64M", 64 * 10 ** 6)])
def test_sizes(text, n):
    assert parse_bytes(text) == n


@pytest.mark.parametrize("text", ["", "-1", "1XB", "0", "lots"])
def test_bad_sizes(text):
    with pytest.raises(BenchError):
        parse_bytes(text)
