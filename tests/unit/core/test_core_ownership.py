"""Ownership survives a kill at any point: the owned set grows before the kernel is touched
and shrinks only after removes took effect, every configured service is adopted, and a re-run
after a kill converges to exactly the config (docs/design.md#ownership). Foreign services
(never in any config) are never touched.

A kill -9 is played here by a backend that raises a BaseException after its N-th operation:
nothing after that point in lvslite runs (no except, no state write), as with SIGKILL. The
real thing, SIGKILL in the emulator's kernel, is tests/vm/test_faults.py."""
import random

import pytest

from lvslite import state, sync
from lvslite.model import Real, RealKey, ServiceKey, VirtualService
from lvslite.reconcile import apply_ops

from test_core_state_apply import FakeBackend

FOREIGN = VirtualService(ServiceKey(4, "udp", "10.9.9.9", 53), "rr",
                         reals=(Real(RealKey("10.9.9.10", 53)),))


class Killed(BaseException):
    """SIGKILL: not an Exception, so no `except Exception` of lvslite's sees it."""


class KillingBackend(FakeBackend):
    """Applies ops one at a time and dies after `kill_after` of them (None: never)."""

    def __init__(self, table=None):
        super().__init__(table)
        self.kill_after = None

    def apply(self, ops):
        for n, op in enumerate(ops):
            if self.kill_after is not None and n >= self.kill_after:
                raise Killed()
            self.table = apply_ops(self.table, [op])
            self.applied.append(op)
        if self.kill_after is not None and len(ops) >= self.kill_after:
            raise Killed()      # after the last op, before any state is written


def config(first, count, reals=2, weight=1):
    out = {}
    for i in range(first, first + count):
        key = ServiceKey(4, "tcp", f"10.1.{i // 250}.{i % 250 + 1}", 80)
        out[key] = VirtualService(key, "wrr", reals=tuple(
            Real(RealKey(f"10.{2 + r}.{i // 250}.{i % 250 + 1}", 80), weight)
            for r in range(reals)))
    return out


def n_ops(table, kernel, directory):
    from lvslite.reconcile import diff
    return len(diff(table, kernel.table, state.load_owned(directory)))


def killed_run(table, kernel, directory, at):
    kernel.kill_after = at
    with pytest.raises(Killed):
        sync.apply(table, kernel, directory=directory)
    kernel.kill_after = None


def test_the_testers_case_kill_rerun_then_shrink_leaves_nothing_stale(tmp_path):
    d = str(tmp_path)
    kernel = KillingBackend({FOREIGN.key: FOREIGN})
    big, small = config(0, 200), config(0, 3)
    killed_run(big, kernel, d, at=n_ops(big, kernel, d) * 21 // 100)
    sync.apply(big, kernel, directory=d)              # the re-run
    assert kernel.table == {FOREIGN.key: FOREIGN, **big}
    sync.apply(small, kernel, directory=d)
    assert kernel.table == {FOREIGN.key: FOREIGN, **small}
    assert state.load_owned(d) == set(small)


@pytest.mark.parametrize("seed", range(8))
def test_a_kill_at_any_point_then_a_rerun_converges(tmp_path, seed):
    """A kill anywhere (adds, edits, deletes, before the first op, after the last), then
    re-runs of other configs: the kernel is the config and the foreign service, always."""
    rnd = random.Random(seed)
    d = str(tmp_path)
    kernel = KillingBackend({FOREIGN.key: FOREIGN})
    configs = [config(0, 40), config(20, 40, weight=3), config(50, 5, reals=3), {}]
    rnd.shuffle(configs)
    for table in configs:
        killed_run(table, kernel, d, at=rnd.randint(0, n_ops(table, kernel, d)))
        other = rnd.choice(configs)
        sync.apply(other, kernel, directory=d)
        assert kernel.table == {FOREIGN.key: FOREIGN, **other}
    sync.apply({}, kernel, directory=d)
    assert kernel.table == {FOREIGN.key: FOREIGN} and state.load_owned(d) == set()


def test_every_configured_service_is_adopted_and_foreign_ones_are_not(tmp_path):
    d = str(tmp_path)
    want = config(0, 3)
    made_by_hand = list(want.values())[1]
    kernel = FakeBackend({FOREIGN.key: FOREIGN, made_by_hand.key: made_by_hand})
    assert len(sync.apply(want, kernel, directory=d)) == 6     # the matching one: no op
    assert state.load_owned(d) == set(want)
    sync.apply({}, kernel, directory=d)
    assert kernel.table == {FOREIGN.key: FOREIGN}


def test_the_intent_is_on_disk_before_the_first_kernel_write(tmp_path):
    d = str(tmp_path)
    seen = []

    class Watching(FakeBackend):
        def apply(self, ops):
            seen.append(state.load_owned(d))
            super().apply(ops)
    old, new = config(0, 2), config(2, 2)
    kernel = Watching()
    sync.apply(old, kernel, directory=d)
    sync.apply(new, kernel, directory=d)
    # the second run: the services it adds and the ones it deletes are both owned meanwhile
    assert seen == [set(old), set(old) | set(new)]
    assert state.load_owned(d) == set(new)


@pytest.mark.parametrize("limit", [0, 2, 5])
def test_the_fault_hook_stops_the_process_after_exactly_n_operations(monkeypatch, limit):
    """LVSLITE_FAULT_AFTER_OPS (tests/vm/test_faults.py's kill point), for the ipvsadm
    backend; off when unset."""
    import os
    import signal

    import lvslite.ipvs as ipvs
    from lvslite.ipvs.ipvsadm import IpvsadmBackend
    from lvslite.model import ADD_SERVICE, Op
    ran, fired = [], []
    backend = IpvsadmBackend("/bin/true")
    monkeypatch.setattr(backend, "_run", lambda argv: ran.append(argv) or
                        type("P", (), {"returncode": 0, "stderr": ""})())
    monkeypatch.setattr(os, "kill", lambda pid, sig: fired.append((len(ran), sig)))
    ops = [Op(ADD_SERVICE, s) for s in config(0, 5).values()]
    backend.apply(ops)
    assert fired == [] and len(ran) == 5
    ran.clear()
    monkeypatch.setenv(ipvs.FAULT_ENV, f"{limit}:stop")
    backend.apply(ops)
    assert fired == [(limit, signal.SIGSTOP)] and len(ran) == 5
    ran.clear()
    fired.clear()
    monkeypatch.setenv(ipvs.FAULT_ENV, str(limit))
    backend.apply(ops)
    assert fired == [(limit, signal.SIGKILL)]
