"""The scheduler's behaviour: the first round at once and in parallel, one hung check never
delays another, shared checks run once, add/remove/replace, crashes become results.

Timing assertions here are behaviour with generous margins (a serial checker misses them by
a whole timeout), not performance."""
import socket
import time

import pytest

from checks_util import collect, open_fds, spec_of
from lvslite.checks import engine as engine_mod
from lvslite.checks.engine import Engine
from lvslite.checks.spec import CheckSpec, Result, Target


@pytest.fixture
def engine():
    e = Engine()
    yield e
    e.close()


@pytest.fixture
def silent():
    """A listener that completes the TCP handshake (the kernel does) and never answers."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    yield Target("127.0.0.1", s.getsockname()[1])
    s.close()


@pytest.fixture
def accepting():
    """A listener nobody accepts from; its backlog counts the connections made to it."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(128)
    s.setblocking(False)

    def drain():
        n = 0
        while True:
            try:
                c, _ = s.accept()
            except BlockingIOError:
                return n
            c.close()
            n += 1
    yield Target("127.0.0.1", s.getsockname()[1]), drain
    s.close()


def negotiate(**kw):
    return spec_of(dict(type="negotiate", service="http", **kw))


def run_for(engine, seconds):
    events = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        events += engine.step(0.05)
    return events


def test_first_round_runs_at_once_and_in_parallel(engine, silent):
    start = time.monotonic()
    for i in range(3):   # distinct specs (timeouts), so they are not shared
        engine.add(i, silent, negotiate(timeout=0.4 + i / 1000, interval=60))
    got = collect(engine, range(3))
    ends = [got[i].finished_at - start for i in range(3)]
    assert all(not got[i].ok and got[i].reason.startswith("timeout after 0.4") for i in got)
    assert max(ends) < 0.4 + 0.3, f"serial, not parallel: finished at {ends}"


def test_a_hung_check_never_delays_another(engine, silent, servers):
    """A real that accepts and never answers is failed at its timeout while a healthy check
    on the same loop keeps its 0.2 s schedule (docs/design.md#the-daemon)."""
    healthy = Target("127.0.0.1", servers["http"])
    engine.add("hung", silent, negotiate(request="/alive", timeout=1.0, interval=60))
    engine.add("healthy", healthy, negotiate(request="/alive", timeout=1.0, interval=0.2))
    start = time.monotonic()
    events = run_for(engine, 1.5)
    hung = [r for k, r in events if k == "hung"]
    healthy = [r for k, r in events if k == "healthy"]
    starts = [r.finished_at - r.duration - start for r in healthy]
    print("healthy runs started at", [f"{t:.3f}" for t in starts])
    print("hung result", hung[0].reason, f"at {hung[0].finished_at - start:.3f}")
    assert len(hung) == 1 and hung[0].reason == "timeout after 1.0s (waiting for the reply)"
    assert 0.95 <= hung[0].finished_at - start <= 1.4
    assert all(r.ok for r in healthy)
    # A serial checker would start nothing while the other check hangs (0 .. 1.0 s).
    during = [r for r in healthy if r.finished_at - start < 1.0]
    assert len(during) >= 3, f"healthy check starved while the other hung: {starts}"
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    assert max(gaps) < 0.2 + 0.25, f"healthy check lost its schedule: gaps {gaps}"


def test_identical_checks_run_once_and_fan_out(engine, accepting):
    target, drain = accepting
    spec = CheckSpec(interval=0.05, timeout=1)
    engine.add(("svc-a", "real"), target, spec)
    engine.add(("svc-b", "real"), target, CheckSpec(interval=0.05, timeout=1, rise=3, fall=2))
    events = run_for(engine, 0.5)
    a = [r for k, r in events if k[0] == "svc-a"]
    b = [r for k, r in events if k[0] == "svc-b"]
    connections = drain()
    assert len(a) >= 3 and [id(r) for r in a] == [id(r) for r in b]
    # One connection per result (+1: a run may have begun as the loop stopped), where two
    # unshared checks would have made two.
    assert len(a) <= connections <= len(a) + 1, "a shared check ran more than once a cycle"
    assert engine.stats()["checks"] == 1


def test_a_check_port_equal_to_another_reals_port_is_the_same_probe(engine, accepting):
    target, _ = accepting
    engine.add("a", Target(target.address, 1), CheckSpec(port=target.port))
    engine.add("b", target, CheckSpec())
    engine.add("ping-a", Target(target.address, 80), CheckSpec(type="none"))
    engine.add("ping-b", Target(target.address, 443), CheckSpec(type="none"))
    assert engine.stats() == dict(owners=4, checks=2, running=0, timers=2, fds=0)


def test_a_new_owner_of_a_running_check_gets_its_last_result_at_once(engine, servers):
    t = Target("127.0.0.1", servers["http"])
    engine.add("first", t, CheckSpec(interval=60))
    collect(engine, ["first"])
    engine.add("second", t, CheckSpec(interval=60))
    out = engine.step(0)
    assert [k for k, _ in out] == ["second"] and out[0][1] is engine.last("first")


def test_re_adding_the_same_check_keeps_its_schedule(engine, accepting):
    target, drain = accepting
    engine.add("k", target, CheckSpec(interval=60))
    collect(engine, ["k"])
    engine.add("k", target, CheckSpec(interval=60))     # a reload that changed nothing
    assert run_for(engine, 0.2) == [] and drain() == 1


def test_replacing_and_removing_checks(engine, accepting, silent):
    target, drain = accepting
    fds = open_fds()
    engine.add("k", silent, negotiate(timeout=5, interval=60))
    engine.step(0.05)
    assert engine.stats()["running"] == 1 and open_fds() == fds + 1
    engine.add("k", target, CheckSpec(interval=60))     # replaced: the hung probe is dropped
    got = collect(engine, ["k"])
    assert got["k"].ok and got["k"].reason == "connected"
    engine.add("other", silent, negotiate(timeout=5, interval=60))
    engine.step(0.05)
    engine.remove("other")                              # removed while running
    engine.remove("k")
    engine.remove("never-added")
    assert run_for(engine, 0.1) == []
    assert engine.stats() == dict(owners=0, checks=0, running=0, timers=0, fds=0)
    assert open_fds() == fds


def test_removed_checks_never_run_again_and_the_heap_stays_bounded(engine, monkeypatch):
    """Removal is lazy: no heap rebuild per removal (a handful for hundreds of removals),
    never more dead heap entries than live ones, and a removed check never starts again."""
    import random
    import types
    started = []
    real = engine_mod._probe_fn

    def recording(spec):
        probe = real(spec)

        def run(target, spec):
            started.append(spec.timeout)
            return probe(target, spec)
        return run
    rebuilds = []
    heapq = engine_mod.heapq
    monkeypatch.setattr(engine_mod, "_probe_fn", recording)
    monkeypatch.setattr(engine_mod, "heapq", types.SimpleNamespace(
        heappush=heapq.heappush, heappop=heapq.heappop,
        heapify=lambda heap: (rebuilds.append(len(heap)), heapq.heapify(heap))))
    n = 400
    timeout = {i: 1 + i / 1000 for i in range(n)}   # distinct specs: one job per key
    for i in range(n):
        engine.add(i, Target("127.0.0.1"), CheckSpec(type="none", interval=0.05,
                                                      timeout=timeout[i]))
    run_for(engine, 0.12)
    assert set(started) == set(timeout.values())
    order = list(range(n))
    random.Random(4).shuffle(order)
    gone, kept = order[:300], order[300:]
    for i in gone:
        engine.remove(i)
        assert len(engine._heap) <= 2 * engine.stats()["timers"]
    assert 1 <= len(rebuilds) <= 8, rebuilds
    started.clear()
    events = run_for(engine, 0.2)
    assert {k for k, _ in events} == set(kept)
    assert set(started) == {timeout[i] for i in kept}
    for i in kept:
        engine.remove(i)
    assert engine._heap == [] and engine.stats()["timers"] == 0


def test_results_of_a_removed_key_are_not_delivered(engine, servers):
    t = Target("127.0.0.1", servers["http"])
    engine.add("a", t, CheckSpec(interval=60))
    collect(engine, ["a"])
    engine.add("b", t, CheckSpec(interval=60))   # queues a's last result for b
    engine.remove("b")
    assert engine.step(0) == []


def test_a_check_crashing_mid_run_becomes_a_failed_result(engine, monkeypatch, caplog):
    def broken(target, spec):
        a, b = socket.socketpair()
        try:
            b.send(b"x")
            yield a.fileno(), 1, "reading"
            raise ZeroDivisionError("boom")
        finally:
            a.close()
            b.close()

    fds = open_fds()
    real = engine_mod._probe_fn
    monkeypatch.setattr(engine_mod, "_probe_fn",
                        lambda spec: broken if spec.type == "connect" else real(spec))
    engine.add("bad", Target("127.0.0.1", 9), CheckSpec(timeout=1, interval=60))
    got = collect(engine, ["bad"])
    assert (got["bad"].ok, got["bad"].reason) == (False, "check error: ZeroDivisionError: boom")
    assert "crashed" in caplog.text and open_fds() == fds
    engine.add("next", Target("127.0.0.1", 9), CheckSpec(type="none"))
    assert collect(engine, ["next"])["next"].ok   # the loop goes on


def test_a_probe_raising_is_reported_not_fatal(engine, monkeypatch, caplog):
    def broken(target, spec):
        raise RuntimeError("bug in a check")
        yield

    monkeypatch.setattr(engine_mod, "_probe_fn", lambda spec: broken)
    engine.add("bad", Target("127.0.0.1", 9), CheckSpec(interval=60))
    got = collect(engine, ["bad"])
    assert got["bad"] == Result(False, "check error: RuntimeError: bug in a check",
                                got["bad"].duration, got["bad"].finished_at)
    assert "crashed" in caplog.text


def test_a_check_module_that_cannot_be_imported_fails_its_runs_not_add(engine, monkeypatch,
                                                                        caplog):
    real_import = engine_mod.importlib.import_module

    def stripped(name):
        if name == "lvslite.checks.ping":
            raise ModuleNotFoundError("No module named 'lvslite.checks.ping'")
        return real_import(name)
    monkeypatch.setattr(engine_mod.importlib, "import_module", stripped)
    engine.add("ping", Target("127.0.0.1"), CheckSpec(type="ping", interval=60))
    engine.add("none", Target("127.0.0.1"), CheckSpec(type="none", interval=60))
    got = collect(engine, ["ping", "none"])
    assert (got["ping"].ok, got["ping"].reason) == \
        (False, "check error: ImportError: No module named 'lvslite.checks.ping'")
    assert got["none"].ok and "crashed" in caplog.text


def test_runs_follow_the_interval_without_drift(engine, servers):
    t = Target("127.0.0.1", servers["http"])
    engine.add("k", t, CheckSpec(interval=0.1, timeout=1))
    start = time.monotonic()
    events = run_for(engine, 1.05)
    starts = [r.finished_at - r.duration - start for _, r in events]
    assert 9 <= len(starts) <= 12, starts
    # Run n starts at n * interval: never early, and lateness does not add up (with drift
    # every later start would be further off its slot).
    offsets = [s_ - n * 0.1 for n, s_ in enumerate(starts)]
    assert min(offsets) > -0.005, offsets
    assert sum(1 for o in offsets if o < 0.03) >= 0.8 * len(offsets), offsets


def test_watch_wakes_step_early(engine):
    import os
    r, w = os.pipe()
    try:
        engine.watch(r)
        os.write(w, b"x")
        start = time.monotonic()
        assert engine.step(5.0) == []
        assert time.monotonic() - start < 1.0
        engine.unwatch(r)
    finally:
        os.close(r)
        os.close(w)
