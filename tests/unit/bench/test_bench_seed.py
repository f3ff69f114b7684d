"""The seed thread's figures come out of the models (docs/reference/models.md#the-seed-thread)."""
import pytest

from bench.catalog import load_catalog
from bench.seed import checks

ROWS = {r.key: r for r in checks(load_catalog())}


def test_every_row_says_why():
    assert all(r.why.strip() for r in ROWS.values())


def test_thirty_megabytes_at_the_threads_entry_size():
    r = ROWS["entries-30mb"]
    assert "120,000 entries" in r.why
    assert r.model_value == pytest.approx(30.72)
    assert abs(r.delta) < 0.05


def test_disagreements_say_by_how_much():
    # the real kernel and the real DR hold time differ from the thread's arithmetic
    assert ROWS["entries-kernel"].delta == pytest.approx(195.05 * 120_000 / 30e6 - 1, abs=0.01)
    assert ROWS["entries-dr-hold"].delta > 0.5
    assert "FIN_WAIT" in ROWS["entries-dr-hold"].why


def test_25k_new_connections_exceed_the_net4801():
    r = ROWS["25k-memory"]
    assert r.model_value > r.seed_value and "does not fit" in r.why


def test_routing_ratio_in_the_seeds_ratio():
    r = ROWS["4501-vs-4801"]
    assert r.seed_value == pytest.approx(0.4)
    assert abs(r.delta) < 0.10


def test_300_rps_on_the_net4801():
    r = ROWS["300rps"]
    assert "verdict ok" in r.why and "limiting: " in r.why


def test_shared_irq_is_steep_not_exponential():
    r = ROWS["shared-irq"]
    assert "-8%" in r.why and "not exponential" in r.why


def test_cf_23_days_through_the_wear_model():
    r = ROWS["cf-23d"]
    assert r.model_value == pytest.approx(100_000 * 30 / 86400)
    assert "19.9 s" in r.why
