"""The flash lifetime model against docs/reference/models.md#worked-examples 7-10 and its rules."""
import math

import pytest

from lvslite.wear import model
from lvslite.wear.model import WearModelError, lifetime

GiB = 1 << 30
CARD = 128 * 10**6


@pytest.mark.parametrize("t_hot, days, years", [
    (1, 1.157, None),          # "a block rewritten every 1 s lasts 1.157 days"
    (60, 69.4, None),          # "every 60 s, 69.4 days"
    (3600, None, 11.4),        # "every 3600 s, 11.4 years"
])
def test_example_7_no_wear_leveling(t_hot, days, years):
    lt = lifetime(100.0, capacity_bytes=CARD, endurance_cycles=1e5, wear_leveling="none",
                  hot_interval_s=t_hot)
    assert lt.model == "none"
    if days is not None:
        assert round(lt.days, 3 if days < 2 else 1) == days
    if years is not None:
        assert round(lt.years, 1) == years
    assert lt.years == pytest.approx(lt.days / 365.0)


def test_example_8_sandisk_300k_writes_3_per_hour_8_hours_a_day():
    # 3 writes/h x 8 h/day = 24 rewrites a day: one every 3600 s on average.
    per_day = 3 * 8
    lt = lifetime(1.0, capacity_bytes=CARD, endurance_cycles=300_000, wear_leveling="none",
                  hot_interval_s=86400 / per_day)
    assert round(lt.years, 1) == 34.2


def test_example_8_through_the_sandisk_profile():
    p = model.CARD_PROFILES["sandisk-cf"]
    lt = lifetime(1.0, capacity_bytes=CARD, endurance_cycles=p.endurance_cycles,
                  wear_leveling=p.wear_leveling, hot_interval_s=3600)
    assert round(lt.years, 1) == 34.2


def test_example_9_static_wear_leveling():
    lt = lifetime(10 * 1024, capacity_bytes=GiB, endurance_cycles=1e5, wear_leveling="static",
                  waf=4)
    assert lt.model == "static"
    assert round(lt.years, 1) == 83.1


def test_example_10_arrhenius():
    af = model.arrhenius_factor(52)
    assert round(af, 1) == 17.3
    assert round(365 * 24 / af) == 507          # 1 year -> 507 h (JESD218: 500 h)
    assert round(model.arrhenius_factor(66), 1) == 87.3


def test_heat_derates_endurance_and_cool_gives_no_credit():
    base = lifetime(1000, capacity_bytes=GiB, endurance_cycles=1e5, wear_leveling="static")
    hot = lifetime(1000, capacity_bytes=GiB, endurance_cycles=1e5, wear_leveling="static",
                   temp_c=52)
    cool = lifetime(1000, capacity_bytes=GiB, endurance_cycles=1e5, wear_leveling="static",
                    temp_c=10)
    assert hot.days == pytest.approx(base.days / model.arrhenius_factor(52))
    assert "52 C" in hot.explanation
    assert cool.days == base.days


def test_seed_23_days_is_about_20_s_hot_interval_at_100k():
    # docs/reference/models.md#the-seed-thread, #what-linux-writes-cost: 23 d corresponds to T_hot = 19.9 s at E = 1e5, 199 s at E = 1e4.
    assert round(lifetime(1, capacity_bytes=CARD, endurance_cycles=1e5, wear_leveling="none",
                          hot_interval_s=19.9).days) == 23
    assert round(lifetime(1, capacity_bytes=CARD, endurance_cycles=1e4, wear_leveling="none",
                          hot_interval_s=199).days) == 23


def test_dynamic_uses_only_the_free_fraction():
    full = lifetime(1000, capacity_bytes=GiB, endurance_cycles=1e4, wear_leveling="static")
    dyn = lifetime(1000, capacity_bytes=GiB, endurance_cycles=1e4, wear_leveling="dynamic")
    half = lifetime(1000, capacity_bytes=GiB, endurance_cycles=1e4, wear_leveling="dynamic",
                    free_fraction=0.5)
    assert dyn.days == pytest.approx(full.days * model.DEFAULT_FREE_FRACTION)
    assert half.days == pytest.approx(full.days * 0.5)
    assert lifetime(2000, capacity_bytes=GiB, endurance_cycles=1e4,
                    wear_leveling="dynamic").days == pytest.approx(dyn.days / 2)


def test_no_writes_is_not_limited_by_wear():
    for lev in model.LEVELING:
        lt = lifetime(0.0, capacity_bytes=CARD, endurance_cycles=1e5, wear_leveling=lev)
        assert lt.days is None and lt.years is None
        assert lt.explanation == "no writes: not limited by wear"


def test_default_hot_interval_is_the_writeback_expiry():
    lt = lifetime(50, capacity_bytes=CARD, endurance_cycles=1e5, wear_leveling="none")
    assert lt.hot_interval_s == 30.0
    assert lt.days == pytest.approx(1e5 * 30 / 86400)
    assert "--hot-interval" in lt.explanation


def test_estimate_hot_interval_floors_at_writeback():
    assert model.estimate_hot_interval(5.0)[0] == 30.0
    assert model.estimate_hot_interval(120.0)[0] == 120.0


@pytest.mark.parametrize("kwargs, word", [
    (dict(rate_Bps=-1.0), "negative"),
    (dict(rate_Bps=math.nan), "finite"),
    (dict(capacity_bytes=0), "capacity"),
    (dict(capacity_bytes=1.5), "capacity"),
    (dict(endurance_cycles=0), "endurance"),
    (dict(wear_leveling="sometimes"), "one of none, dynamic, static"),
    (dict(waf=0.5), "WAF >= 1"),
    (dict(wear_leveling="none", hot_interval_s=0), "hot interval"),
    (dict(temp_c=400), "temperature"),
    (dict(free_fraction=0.0), "free fraction"),
])
def test_invalid_inputs_raise_a_user_facing_error(kwargs, word):
    args = dict(rate_Bps=100.0, capacity_bytes=CARD, endurance_cycles=1e5)
    args.update(kwargs)
    rate = args.pop("rate_Bps")
    with pytest.raises(WearModelError) as exc:
        lifetime(rate, **args)
    assert word in str(exc.value)
    assert isinstance(exc.value, ValueError)


def test_every_profile_cites_a_source_and_is_usable():
    assert model.DEFAULT_CARD in model.CARD_PROFILES
    for name, p in model.CARD_PROFILES.items():
        assert p.name == name
        assert "models.md" in p.source or "manual" in p.source
        assert p.wear_leveling in model.LEVELING
        lt = lifetime(1000, capacity_bytes=GiB, endurance_cycles=p.endurance_cycles,
                      wear_leveling=p.wear_leveling)
        assert lt.days > 0


def test_lifetime_is_frozen():
    lt = lifetime(1, capacity_bytes=CARD, endurance_cycles=1e5)
    with pytest.raises(Exception):
        lt.days = 1.0
