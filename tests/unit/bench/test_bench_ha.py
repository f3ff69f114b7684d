"""Pair reliability: docs/reference/models.md#worked-examples example 11, #beta-factor-and-mgl cross-checks, #repairable-pair 1oo2."""
import pytest

from bench.errors import BenchError
from bench.ha import HOURS_PER_YEAR, mgl_q, one_of_two, pair, two_of_three


def test_example_11_mgl_pair():
    assert mgl_q(1, 2, [0.1], 1e-3) == pytest.approx(9.0e-4)
    assert mgl_q(2, 2, [0.1], 1e-3) == pytest.approx(1.0e-4)
    assert one_of_two(1e-3, 0.1) == pytest.approx(1.0081e-4)


def test_gamma_is_unused_for_a_pair():
    assert mgl_q(2, 2, [0.1, 0.3], 1e-3) == mgl_q(2, 2, [0.1, 0.9], 1e-3)


def test_mgl_three_units_and_its_beta_limit():
    beta, gamma, qt = 0.1, 0.3, 1e-3
    assert mgl_q(2, 3, [beta, gamma], qt) == pytest.approx(0.5 * beta * (1 - gamma) * qt)
    assert mgl_q(3, 3, [beta, gamma], qt) == pytest.approx(beta * gamma * qt)
    assert mgl_q(2, 3, [beta, 1.0], qt) == 0          # gamma = 1 reduces to the beta factor


def test_fta_studio_2oo3_cross_check():
    # beta-factor 2oo3: P ~ beta p + 3 (1 - beta)^2 p^2 = 5.27e-5 (docs/reference/models.md#beta-factor-and-mgl)
    assert two_of_three(1e-3, 0.05, 1.0) == pytest.approx(5.27e-5, rel=1e-3)


def test_beta_zero_gives_the_classic_markov_mttf():
    lam, mu = 1e-3, 1 / 8
    r = pair(1 / lam, 8, 0.0)
    assert r.mttf_hours == pytest.approx((3 * lam + mu) / (2 * lam ** 2))
    assert r.failure_rate_per_hour == pytest.approx(2 * lam ** 2 * 8)
    assert r.unavailability == pytest.approx((lam * 8) ** 2)


def test_common_cause_dominates_the_pair():
    lam, beta, mttr = 1e-3, 0.1, 8
    r = pair(1 / lam, mttr, beta)
    li, lc = (1 - beta) * lam, beta * lam
    assert r.failure_rate_per_hour == pytest.approx(2 * li ** 2 * mttr + lc)
    assert r.unavailability == pytest.approx((li * mttr) ** 2 + lc * mttr)
    assert r.mttf_hours < pair(1 / lam, mttr, 0.0).mttf_hours
    assert r.mttf_hours < 1 / lc                       # never better than the CCF alone
    assert r.unavailability < r.single_unavailability


def test_risk_cost_adds_repairs_and_lost_income():
    r = pair(552, 48, 0.1, repair_cost=300, income_per_hour=5)
    repairs = 2 / 552 * HOURS_PER_YEAR * 300
    outages = r.failure_rate_per_hour * HOURS_PER_YEAR * 48 * 5
    assert r.risk_cost_per_year == pytest.approx(repairs + outages)
    assert pair(552, 48, 0.1).risk_cost_per_year is None


@pytest.mark.parametrize("args", [(0, 8, 0.1), (100, -1, 0.1), (100, 8, 1.5), (100, 8, -0.1)])
def test_bad_pairs_are_refused(args):
    with pytest.raises(BenchError):
        pair(*args)
