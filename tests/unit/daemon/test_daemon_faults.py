"""The daemon outlives its state directory turning read-only or full, and its ages survive a
jump of the wall clock; `lvslite status` tells a stale status file apart from a dead daemon
(docs/design.md#the-daemon)."""
import errno
import json
import logging
import os
import re
import time

import pytest

import lvslite.daemon as daemon_mod
from lvslite import atomic, state
from lvslite import status as statusfile
from lvslite.cli import main
from lvslite.daemon import Daemon
from lvslite.ipvs import proc
from lvslite.model import Config, Real, RealKey, ServiceConfig, ServiceKey, VirtualService

from test_daemon_loop import MemoryKernel

VKEY = ServiceKey(4, "tcp", "10.0.1.100", 80)
OTHER = ServiceKey(4, "tcp", "10.0.1.101", 80)


def config(*keys):
    check = None
    from lvslite.checks.spec import CheckSpec
    check = CheckSpec("none")
    return Config(tuple(ServiceConfig(VirtualService(k, "rr", reals=(
        Real(RealKey("10.0.0.10", 80), forward="masq"),)), check=check, path="services[0]")
        for k in keys))


@pytest.fixture
def daemon(tmp_path):
    current = {"config": config(VKEY, OTHER)}
    kernel = MemoryKernel()
    d = Daemon("test.json", kernel, state_dir=str(tmp_path), load=lambda p: current["config"])
    d.load_config()
    yield d, kernel, current
    d.engine.close()


def read_only(monkeypatch, broken):
    """Every file replacement in the state directory fails with EROFS while broken[0]."""
    real_replace = os.replace

    def replace(src, dst):
        if broken[0]:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_replace(src, dst)
    monkeypatch.setattr(atomic.os, "replace", replace)


def test_a_read_only_state_directory_does_not_stop_checks_or_failover(daemon, tmp_path,
                                                                      monkeypatch, caplog):
    d, kernel, current = daemon
    broken = [True]
    read_only(monkeypatch, broken)
    caplog.set_level(logging.INFO, logger="lvslite")
    monkeypatch.setattr(daemon_mod, "STATUS_EVERY_S", 0.0)
    d.run(max_cycles=4)                        # must not raise
    assert set(kernel.table) == {VKEY, OTHER}
    complaints = [r for r in caplog.records if "not writable" in r.getMessage()
                  or "cannot write" in r.getMessage()]
    assert 1 <= len(complaints) <= 2, [r.getMessage() for r in caplog.records]  # once each
    # a reload still reconciles, and the services it drops are deleted (ownership in memory)
    current["config"] = config(VKEY)
    d.flags["hup"] = True
    d.run(max_cycles=d.cycles + 2)
    assert set(kernel.table) == {VKEY}
    # writable again: the state catches up, and that is said once too
    broken[0] = False
    d.run(max_cycles=d.cycles + 3)
    assert state.load_owned(str(tmp_path)) == {VKEY}
    assert json.loads((tmp_path / "status.json").read_text())["cycles"] > 6
    assert any("writable again" in r.getMessage() or "recorded" in r.getMessage()
               for r in caplog.records)


def test_ages_survive_a_jump_of_the_wall_clock(daemon, monkeypatch):
    d, kernel, current = daemon
    d.run(max_cycles=3)
    key = next(iter(d.plan))
    d.on_result(key, type("R", (), {"ok": True, "reason": "ok"})())
    real_time = time.time
    monkeypatch.setattr(daemon_mod.time, "time", lambda: real_time() + 86400)
    doc = d.status()
    ages = [r["checked_ago_s"] for s in doc["services"] for r in s["reals"]]
    assert all(a is None or 0 <= a < 5 for a in ages), ages
    monkeypatch.setattr(daemon_mod.time, "time", lambda: real_time() - 2 * 86400)
    doc = d.status()
    ages = [r["checked_ago_s"] for s in doc["services"] for r in s["reals"]]
    assert all(a is None or 0 <= a < 5 for a in ages), ages


# --------------------------------------------------------------------------- lvslite status

@pytest.fixture
def show(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path))
    (tmp_path / "ip_vs").write_text("")
    monkeypatch.setattr(proc, "PROC", str(tmp_path / "ip_vs"))

    def run(doc, *args):
        (tmp_path / "status.json").write_text(json.dumps(doc))
        assert main(["status", *args]) == 0
        return capsys.readouterr().out
    return run


def written(daemon, **changes):
    d, kernel, current = daemon
    d.run(max_cycles=2)
    doc = d.status()
    doc.update(changes)
    return doc


def test_status_ages_come_from_the_monotonic_clock(daemon, show, monkeypatch):
    doc = written(daemon)
    real_time = time.time
    for jump in (86400, -2 * 86400):
        monkeypatch.setattr(time, "time", lambda: real_time() + jump)
        out = show(doc)
        assert "updated 0s ago" in out and "WARNING" not in out, out
        assert "-" not in out.splitlines()[0].split("updated")[1], out
        assert json.loads(show(doc, "--json"))["stale"] is False


def test_a_stale_status_names_a_running_daemon_and_the_likely_cause(daemon, show):
    doc = written(daemon, mono=time.monotonic() - 100, pid=os.getpid())
    out = show(doc)
    assert re.search(r"status file not updated for 10\ds \(daemon pid %d running: state "
                     r"directory not writable\?\)" % os.getpid(), out), out


def test_a_stale_status_of_a_dead_daemon_says_so(daemon, show):
    doc = written(daemon, mono=time.monotonic() - 100, pid=999999)
    out = show(doc)
    assert re.search(r"status file not updated for 10\ds \(daemon pid 999999 not running", out), out
