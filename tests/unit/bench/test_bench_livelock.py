"""Receive livelock: docs/reference/models.md#worked-examples example 6 and the shared-IRQ example of docs/reference/models.md#shared-irq-lines."""
import math

import pytest

from bench.errors import BenchError
from bench.livelock import IrqCosts, curve, irq_output, livelock_onset, mlfrr, napi_output

US = 1e-6


def test_example_6_interrupt_driven_curve():
    c = IrqCosts(rx=10 * US, p=30 * US)
    assert mlfrr(c) == pytest.approx(25_000)
    assert livelock_onset(c) == pytest.approx(100_000)
    got = [irq_output(r, c) for r in (10_000, 25_000, 50_000, 75_000, 100_000)]
    assert got == pytest.approx([10_000, 25_000, 16_667, 8_333, 0], abs=1)


def test_shared_line_example_of_models_md_2_4():
    one = IrqCosts(rx=5.5 * US, p=30 * US, entry=3 * US, check=1.5 * US, shared=1)
    three = IrqCosts(rx=5.5 * US, p=30 * US, entry=3 * US, check=1.5 * US, shared=3)
    assert mlfrr(one) == pytest.approx(25_000)
    assert livelock_onset(one) == pytest.approx(100_000)
    assert mlfrr(three) == pytest.approx(23_256, abs=1)
    assert livelock_onset(three) == pytest.approx(76_923, abs=1)


def test_napi_stays_flat_under_overload():
    c = IrqCosts(rx=10 * US, p=30 * US)
    cv = curve(c, [0, 50_000, 200_000, 10 ** 6])
    assert [p[2] for p in cv.points] == pytest.approx([0, 25_000, 25_000, 25_000])
    assert cv.points[-1][1] == 0      # the interrupt-driven kernel is livelocked


def test_napi_amortises_the_shared_line_over_a_poll():
    c = IrqCosts(rx=5.5 * US, p=30 * US, entry=3 * US, check=1.5 * US, shared=3, budget=64)
    assert napi_output(1e6, c) == pytest.approx(1 / ((5.5 + 30 + 7.5 / 64) * US))
    assert napi_output(1e6, c) > mlfrr(c)


def test_no_interrupt_cost_means_no_livelock():
    c = IrqCosts(rx=0, p=30 * US)
    assert math.isinf(livelock_onset(c))
    assert irq_output(1e6, c) == pytest.approx(mlfrr(c))
    assert curve(c).livelock_onset == math.inf


def test_default_rates_reach_past_the_onset():
    cv = curve(IrqCosts(rx=10 * US, p=30 * US))
    assert cv.points[0][0] == 0 and cv.points[-1][0] > cv.livelock_onset


@pytest.mark.parametrize("kw", [dict(rx=-1 * US, p=1 * US), dict(rx=0, p=0),
                                dict(rx=1 * US, p=1 * US, shared=0)])
def test_bad_costs_are_refused(kw):
    with pytest.raises(BenchError):
        IrqCosts(**kw)


def test_negative_rate_is_refused():
    with pytest.raises(BenchError):
        curve(IrqCosts(rx=10 * US, p=30 * US), [1000, -5])
