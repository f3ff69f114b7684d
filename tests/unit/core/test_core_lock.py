"""One writer at a time (the state directory's lock), and exit codes that say whether the
kernel was changed (docs/config.md#exit-codes, docs/design.md#one-writer-at-a-time)."""
import errno
import fcntl
import os
import threading
import time
from pathlib import Path

import pytest

import lvslite.ipvs as ipvs
from lvslite import state
from lvslite.cli import main
from lvslite.daemon import Daemon

from test_core_state_apply import DNS, WEB, FakeBackend, run_apply

GOOD = str(Path(__file__).resolve().parents[2] / "fixtures" / "configs" / "design-example.json")


@pytest.fixture
def st(monkeypatch, tmp_path):
    d = tmp_path / "st"
    d.mkdir()
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(d))
    return d


def hold(st, pid, command):
    """The lock as another process holds it: flock on its own open file, pid and command."""
    fd = os.open(str(st / "lvslite.lock"), os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.ftruncate(fd, 0)
    os.write(fd, f"{pid} {command}\n".encode())
    return fd


def test_a_second_apply_fails_at_once_naming_the_holder(st, monkeypatch, tmp_path, capsys):
    fd = hold(st, 4242, "apply")
    kernel = FakeBackend()
    rc, opened = run_apply(monkeypatch, tmp_path, kernel, [WEB])
    err = capsys.readouterr().err
    assert rc == 5 and opened == [] and kernel.table == {}, err
    assert "pid 4242" in err and "--wait" in err
    os.close(fd)
    rc, _ = run_apply(monkeypatch, tmp_path, kernel, [WEB])
    assert rc == 0 and len(kernel.table) == 1


def test_apply_against_the_daemon_says_to_reload_it(st, monkeypatch, tmp_path, capsys):
    fd = hold(st, 4343, "run")
    rc, _ = run_apply(monkeypatch, tmp_path, FakeBackend(), [WEB])
    err = capsys.readouterr().err
    assert rc == 5 and "daemon" in err and "kill -HUP 4343" in err
    os.close(fd)


def test_wait_takes_the_lock_once_it_is_free_and_gives_up_after_its_time(st, monkeypatch,
                                                                         tmp_path, capsys):
    fd = hold(st, 4444, "apply")
    start = time.monotonic()
    rc, _ = run_apply(monkeypatch, tmp_path, FakeBackend(), [WEB], "--wait", "0.3")
    assert rc == 5 and time.monotonic() - start >= 0.3
    assert "pid 4444" in capsys.readouterr().err
    threading.Timer(0.3, os.close, (fd,)).start()
    kernel = FakeBackend()
    rc, _ = run_apply(monkeypatch, tmp_path, kernel, [WEB], "--wait")
    assert rc == 0 and len(kernel.table) == 1
    assert (st / "lvslite.lock").read_text() == f"{os.getpid()} apply\n"


def test_dry_run_takes_no_lock(st, monkeypatch, tmp_path):
    fd = hold(st, 4545, "run")
    rc, _ = run_apply(monkeypatch, tmp_path, FakeBackend(), [WEB], "--dry-run")
    assert rc == 0
    os.close(fd)


def test_a_lock_left_by_a_dead_process_is_taken_over(st, monkeypatch, tmp_path):
    (st / "lvslite.lock").write_text("999999 run\n")      # nobody holds it any more
    rc, _ = run_apply(monkeypatch, tmp_path, FakeBackend(), [WEB])
    assert rc == 0


def test_a_second_daemon_does_not_start_nor_touch_the_first_ones_pid_file(st, monkeypatch,
                                                                          capsys):
    monkeypatch.setattr(ipvs, "open_backend", lambda name="netlink": FakeBackend())
    first = Daemon.open(GOOD, "netlink")
    pid_file = st / "lvslite.pid"
    assert pid_file.read_text() == f"{os.getpid()}\n"
    assert main(["run", "-c", GOOD, "--log", "stderr"]) == 5
    err = capsys.readouterr().err
    assert f"pid {os.getpid()}" in err and "daemon" in err
    assert pid_file.read_text() == f"{os.getpid()}\n"
    first.close()
    assert not pid_file.exists()
    second = Daemon.open(GOOD, "netlink")                 # the lock is free again
    second.close()


# --------------------------------------------------------------------------- exit codes

def failing_writes(monkeypatch, when):
    """Every state write fails with ENOSPC while when() is true."""
    real = state.write_atomically

    def write(path, data, tmp, durable=True):
        if when():
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(path, data, tmp, durable)
    monkeypatch.setattr(state, "write_atomically", write)


def test_a_full_state_directory_exits_1_before_any_kernel_write(st, monkeypatch, tmp_path,
                                                               capsys):
    failing_writes(monkeypatch, lambda: True)
    kernel = FakeBackend()
    rc, _ = run_apply(monkeypatch, tmp_path, kernel, [WEB, DNS])
    err = capsys.readouterr().err
    assert rc == 1 and kernel.applied == [], err
    assert "owned.json" in err


def test_too_little_room_for_the_record_exits_1_before_any_kernel_write(st, monkeypatch,
                                                                       tmp_path, capsys):
    class Statvfs:
        f_bavail, f_frsize = 0, 4096
    monkeypatch.setattr(state.os, "statvfs", lambda path: Statvfs)
    kernel = FakeBackend()
    rc, _ = run_apply(monkeypatch, tmp_path, kernel, [WEB])
    assert rc == 1 and kernel.applied == []
    assert "free" in capsys.readouterr().err


def test_a_kernel_change_that_could_not_be_recorded_exits_4(st, monkeypatch, tmp_path, capsys):
    kernel = FakeBackend()
    assert run_apply(monkeypatch, tmp_path, kernel, [WEB, DNS])[0] == 0
    capsys.readouterr()
    failing_writes(monkeypatch, lambda: bool(kernel.applied[2:]))   # once this run began
    rc, _ = run_apply(monkeypatch, tmp_path, kernel, [WEB])
    out, err = capsys.readouterr()
    assert rc == 4, err
    assert len(kernel.table) == 1 and out == "0 added, 0 changed, 1 removed\n"
    assert "kernel was changed" in err and "apply again" in err
    monkeypatch.undo()
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(st))
    assert run_apply(monkeypatch, tmp_path, kernel, [WEB])[0] == 0
    assert state.load_owned(str(st)) == set(kernel.table)
