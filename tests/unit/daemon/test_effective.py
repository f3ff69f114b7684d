"""The table the daemon asks for, given the reals' health (lvslite/effective.py)."""
from lvslite.effective import effective_table
from lvslite.model import Config, Real, RealKey, ServiceConfig, ServiceKey, VirtualService

KEY = ServiceKey(4, "tcp", "10.0.1.100", 80)
R1, R2, R3 = (Real(RealKey(f"10.0.0.{n}", 80), weight=n) for n in (10, 20, 30))
FALLBACK = Real(RealKey("127.0.0.1", 80), forward="masq")


def config(reals=(R1, R2), **kw) -> Config:
    svc = VirtualService(KEY, "wrr", reals=tuple(reals))
    return Config((ServiceConfig(svc, **kw),))


def health(**states):
    names = {"r1": R1, "r2": R2, "r3": R3}
    return {(KEY, names[n].key): s for n, s in states.items()}


def reals_of(cfg, h):
    table, held = effective_table(cfg, h)
    return [(str(r.key), r.weight) for r in table[KEY].reals], held


def test_only_up_reals_are_in_and_unknown_is_out():
    got, _ = reals_of(config(), health(r1="up", r2="unknown"))
    assert got == [("10.0.0.10:80", 10)]


def test_quiescent_keeps_failed_reals_at_weight_zero():
    got, _ = reals_of(config(quiescent=True), health(r1="up", r2="down"))
    assert got == [("10.0.0.10:80", 10), ("10.0.0.20:80", 0)]


def test_fallback_only_while_no_real_is_in():
    cfg = config(fallback=FALLBACK)
    assert reals_of(cfg, health(r1="down", r2="down"))[0] == [("127.0.0.1:80", 1)]
    assert reals_of(cfg, health(r1="up", r2="down"))[0] == [("10.0.0.10:80", 10)]


def test_fallback_with_quiescent_reals_at_weight_zero():
    cfg = config(fallback=FALLBACK, quiescent=True)
    got, _ = reals_of(cfg, health(r1="down", r2="down"))
    assert got == [("10.0.0.10:80", 0), ("10.0.0.20:80", 0), ("127.0.0.1:80", 1)]


def test_depool_threshold_holds_failed_reals_in_and_says_which():
    cfg = config(reals=(R1, R2, R3), depool_threshold=0.5)  # at least 2 of 3 stay in
    got, held = reals_of(cfg, health(r1="up", r2="down", r3="down"))
    assert got == [("10.0.0.10:80", 10), ("10.0.0.20:80", 20)]
    assert held == {KEY: [R2.key]}
    got, held = reals_of(cfg, health(r1="up", r2="up", r3="down"))
    assert got == [("10.0.0.10:80", 10), ("10.0.0.20:80", 20)] and held == {}


def test_no_threshold_lets_every_real_go():
    got, held = reals_of(config(), health(r1="down", r2="down"))
    assert got == [] and held == {}
