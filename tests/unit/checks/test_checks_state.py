"""The health state machine: rise successes bring a real up, fall failures take it down."""
from hypothesis import given, strategies as st

from lvslite.checks.spec import Result
from lvslite.checks.state import DOWN, INITIAL, UNKNOWN, UP, Health, update

OK, BAD = Result(True, "HTTP 200"), Result(False, "HTTP 503")


def feed(results, rise, fall, health=INITIAL):
    states = []
    for r in results:
        health, changed = update(health, r, rise, fall)
        states.append((health.state, changed))
    return health, states


def test_first_result_decides_out_of_unknown():
    assert INITIAL.state == UNKNOWN
    assert update(INITIAL, OK, rise=3, fall=3)[0].state == UP
    assert update(INITIAL, BAD, rise=3, fall=3) == (Health(DOWN, -1, "HTTP 503"), True)


def test_fall_failures_in_a_row_take_it_down_and_rise_successes_bring_it_back():
    _, states = feed([OK, BAD, BAD, OK, BAD, BAD, BAD, OK, OK, BAD, OK], rise=2, fall=3)
    assert states == [(UP, True), (UP, False), (UP, False), (UP, False), (UP, False),
                      (UP, False), (DOWN, True), (DOWN, False), (UP, True), (UP, False),
                      (UP, False)]


def test_reason_is_the_last_results():
    h, _ = feed([OK, BAD], 1, 5)
    assert (h.state, h.reason) == (UP, "HTTP 503")


@given(st.lists(st.booleans(), max_size=60), st.integers(1, 5), st.integers(1, 5))
def test_changes_only_after_enough_agreeing_results(oks, rise, fall):
    health = INITIAL
    run = 0   # signed length of the current run of equal results
    for i, ok in enumerate(oks):
        run = (run + 1 if run > 0 else 1) if ok else (run - 1 if run < 0 else -1)
        before = health.state
        health, changed = update(health, Result(ok, ""), rise, fall)
        assert changed == (health.state != before)
        if i == 0:
            assert health.state == (UP if ok else DOWN)
        elif changed:
            assert health.state == (UP if ok else DOWN)
            assert abs(run) >= (rise if ok else fall)
        else:
            assert not (before == DOWN and ok and run >= rise)
            assert not (before == UP and not ok and -run >= fall)
        assert abs(health.streak) <= max(rise, fall)
