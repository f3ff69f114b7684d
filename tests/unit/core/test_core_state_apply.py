"""state (the only writer) and apply's flow (lvslite.sync), with a fake backend: validation
before any kernel access, dry-run writes nothing, ownership survives a half-failed apply."""
import io
import os

import pytest

from lvslite import state
from lvslite import sync
from lvslite.ipvs import IPVSError
from lvslite.model import ADD_SERVICE, DEL_SERVICE, Real, RealKey, ServiceKey, VirtualService
from lvslite.reconcile import apply_ops

K1 = ServiceKey(4, "tcp", "10.0.0.100", 80)
K2 = ServiceKey(6, "", "", 0, 5)
S1 = VirtualService(K1, "wrr", 0, 32, 0, (Real(RealKey("10.0.0.10", 80), 3, "gate"),))
S2 = VirtualService(K2, "rr", 60, 64, 0, ())


def test_state_round_trip_and_atomic_write(tmp_path):
    d = str(tmp_path / "st")
    assert state.load_owned(d) == set()
    assert state.save_owned({K1, K2}, d) is True
    assert state.load_owned(d) == {K1, K2}
    assert state.save_owned({K2, K1}, d) is False          # unchanged: nothing written
    assert os.listdir(d) == ["owned.json"]                 # no temporary file left behind
    state.save_owned(set(), d)
    assert state.load_owned(d) == set()


def test_state_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("LVSLITE_STATE_DIR", raising=False)
    assert state.state_dir() == "/run/lvslite"
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path))
    state.save_owned({K1})
    assert (tmp_path / "owned.json").exists() and state.load_owned() == {K1}


def test_unreadable_state_owns_nothing(tmp_path):
    (tmp_path / "owned.json").write_text("{not json")
    assert state.load_owned(str(tmp_path)) == set()
    (tmp_path / "owned.json").write_bytes(b"\x00\xff")
    assert state.load_owned(str(tmp_path)) == set()


def test_unwritable_state_dir_is_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(state.StateError) as exc:
        state.ensure_dir(str(blocker / "sub"))
    assert str(blocker / "sub") in str(exc.value) and "LVSLITE_STATE_DIR" in str(exc.value)


class FakeBackend:
    """A kernel table in memory; refuses ADD_SERVICE for the keys in `refuse`."""

    def __init__(self, table=None, refuse=()):
        self.table = dict(table or {})
        self.refuse = set(refuse)
        self.dumps = 0
        self.applied = []

    def dump(self):
        self.dumps += 1
        return dict(self.table)

    def apply(self, ops):
        done = []
        for op in ops:
            if op.kind == ADD_SERVICE and op.key in self.refuse:
                raise IPVSError("refused", 2, done)
            self.table = apply_ops(self.table, [op])
            done.append(op)
            self.applied.append(op)

    def close(self):
        pass


def test_sync_applies_then_second_run_does_nothing(tmp_path):
    kernel = FakeBackend()
    d = str(tmp_path)
    ops = sync.apply({K1: S1, K2: S2}, kernel, directory=d)
    assert len(ops) == 3 and kernel.table == {K1: S1, K2: S2}
    assert state.load_owned(d) == {K1, K2}
    assert sync.apply({K1: S1, K2: S2}, kernel, directory=d) == []


def test_sync_deletes_only_what_it_created(tmp_path):
    foreign = VirtualService(ServiceKey(4, "udp", "10.9.9.9", 53), "rr")
    kernel = FakeBackend({foreign.key: foreign})
    d = str(tmp_path)
    sync.apply({K1: S1, K2: S2}, kernel, directory=d)
    ops = sync.apply({K1: S1}, kernel, directory=d)
    assert [op.kind for op in ops] == [DEL_SERVICE] and ops[0].key == K2
    assert set(kernel.table) == {K1, foreign.key}
    assert state.load_owned(d) == {K1}


def test_dry_run_prints_and_writes_nothing(tmp_path):
    kernel = FakeBackend()
    d = tmp_path / "state"
    out = io.StringIO()
    ops = sync.apply({K1: S1}, kernel, dry_run=True, directory=str(d), out=out)
    assert out.getvalue() == ("ipvsadm -A -t 10.0.0.100:80 -s wrr\n"
                              "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.10:80 -g -w 3\n")
    assert len(ops) == 2 and kernel.applied == [] and not d.exists()


def test_half_failed_apply_remembers_what_it_created(tmp_path):
    kernel = FakeBackend(refuse={K2})
    d = str(tmp_path)
    with pytest.raises(IPVSError) as exc:
        sync.apply({K1: S1, K2: S2}, kernel, directory=d)
    assert [op.key for op in exc.value.done if op.kind == ADD_SERVICE] == [K1]
    assert state.load_owned(d) == {K1}


# --------------------------------------------------------------------------- the command

WEB = {"virtual": "10.0.0.100:80", "scheduler": "wrr",
       "reals": [{"address": "10.0.0.10:80", "weight": 3}]}
DNS = {"virtual": "10.0.0.200:53", "protocol": "udp", "scheduler": "rr", "reals": []}


def run_apply(monkeypatch, tmp_path, kernel, services, *flags):
    """`lvslite apply` with a real config file and `kernel` as the backend it opens."""
    import json

    import lvslite.ipvs as ipvs
    from lvslite.cli import main
    opened = []

    def open_backend(name="netlink"):
        opened.append(name)
        return kernel
    monkeypatch.setattr(ipvs, "open_backend", open_backend)
    cfg = tmp_path / "lvslite.json"
    cfg.write_text(json.dumps({"services": services}))
    return main(["apply", "-c", str(cfg), *flags]), opened


def test_invalid_config_exits_1_before_opening_the_kernel(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path / "st"))
    kernel = FakeBackend()
    rc, opened = run_apply(monkeypatch, tmp_path, kernel, [{"virtual": "10.0.0.100"}])
    assert rc == 1 and opened == [] and kernel.dumps == 0
    err = capsys.readouterr().err
    assert err.startswith("lvslite: error: services[0].virtual: ") and "has no port" in err
    assert not (tmp_path / "st").exists()


def test_run_prints_the_summary_and_exits_0(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path / "st"))
    kernel = FakeBackend()
    rc, opened = run_apply(monkeypatch, tmp_path, kernel, [WEB, DNS], "--backend", "ipvsadm")
    assert rc == 0 and opened == ["ipvsadm"]
    assert capsys.readouterr().out == "3 added, 0 changed, 0 removed\n"
    rc, _ = run_apply(monkeypatch, tmp_path, kernel, [WEB, DNS])
    assert rc == 0 and capsys.readouterr().out == "0 added, 0 changed, 0 removed\n"


def test_run_dry_run_touches_no_state(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path / "st"))
    kernel = FakeBackend()
    rc, _ = run_apply(monkeypatch, tmp_path, kernel, [WEB], "--dry-run")
    out = capsys.readouterr().out.splitlines()
    assert rc == 0 and out[-1] == "2 added, 0 changed, 0 removed" and len(out) == 3
    assert kernel.table == {} and not (tmp_path / "st").exists()


def test_kernel_refusal_exits_3(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path / "st"))
    rc, _ = run_apply(monkeypatch, tmp_path, FakeBackend(refuse={K1}), [WEB, DNS])
    cap = capsys.readouterr()
    assert rc == 3 and cap.err == "lvslite: error: refused\n"
    assert cap.out == "0 added, 0 changed, 0 removed\n"


def test_malformed_owned_entries_match_nothing_and_are_dropped(tmp_path):
    d = str(tmp_path)
    (tmp_path / "owned.json").write_text(
        '{"version": 1, "owned": [[4, "tcp", "10.0.0.100", 80, 0], ["x"], "abc", '
        '[4, "tcp", "10.0.0.200", "80", 0]]}')
    assert K1 in state.load_owned(d)
    kernel = FakeBackend({K1: S1})
    sync.apply({}, kernel, directory=d)          # K1 is ours: deleted
    assert kernel.table == {} and state.load_owned(d) == set()
    (tmp_path / "owned.json").write_text('{"version": 1, "owned": [[[1], 2]]}')
    assert state.load_owned(d) == set()
