"""Fault injection against the real kernel in the guest: nothing leaks, nothing races, nothing
lies (docs/design.md#ownership, docs/design.md#one-writer-at-a-time, docs/config.md#exit-codes).

- kill -9 of `lvslite apply` at 20 points drawn from each run's operation count (the
  backends' LVSLITE_FAULT_AFTER_OPS hook: SIGKILL after exactly N acknowledged operations,
  N = 0 before the first, N = all of them before the state is written), each followed by a
  run of the same or another config, which must converge to exactly that config;
- two applies at once, an apply and a second daemon against a running daemon;
- the state directory (its own tmpfs) full or read-only before a run and in the middle of
  one (the run stopped with SIGSTOP after N operations, the trouble made, then SIGCONT);
- the daemon with a read-only state directory (checks and failover go on, `lvslite status`
  says why the file is stale) and jumps of the wall clock (`date -s`).

Every case compares the kernel's table (`ipvsadm -S -n`, parsed) with the table computed from
the config plus the one foreign service made by hand, which must never be touched. The module
prints one summary line: kills survived, races tried, stale services found (must be 0).
"""
from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import sh, wait_for
from lvslite import reconcile, state
from lvslite.config import load
from lvslite.ipvs import FAULT_ENV
from lvslite.ipvs.ipvsadm import parse_save
from lvslite.model import apply_table

REPO = Path(__file__).resolve().parents[2]
FOREIGN = ("-A -u 10.9.9.9:53 -s rr", "-a -u 10.9.9.9:53 -r 10.9.9.10:53 -g -w 1")
COUNTS = {"kills": 0, "survived": 0, "races": 0, "refused": 0, "stale": 0}
_ids = itertools.count(1)


@pytest.fixture(scope="module", autouse=True)
def summary(request):
    yield
    line = (f"faults: kills survived {COUNTS['survived']}/{COUNTS['kills']}, races tried "
            f"{COUNTS['races']} ({COUNTS['refused']} refused with exit 5), stale services "
            f"found {COUNTS['stale']}")
    capman = request.config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled():
        print(f"\n{line}", flush=True)


def services(first, count, reals=2, weight=1, check=None):
    out = []
    for i in range(first, first + count):
        svc = {"virtual": f"10.1.{i // 250}.{i % 250 + 1}:80", "scheduler": "wrr",
               "forward": "gate",
               "reals": [{"address": f"10.{2 + r}.{i // 250}.{i % 250 + 1}:80",
                          "weight": weight} for r in range(reals)]}
        if check is not None:
            svc["check"] = check
        out.append(svc)
    return out


class Box:
    """A network namespace with IPVS, one foreign service in it, and a state directory on
    its own small tmpfs (so that it can be filled or made read-only)."""

    def __init__(self, tmp_path):
        n = next(_ids)
        self.ns = f"flt{n}"
        self.tmp = tmp_path
        self.state = Path(f"/run/lvslite-flt{n}")
        sh("modprobe ip_vs", check=False)
        sh(f"ip netns add {self.ns}")
        sh(f"ip -n {self.ns} link set lo up && ip -n {self.ns} link add br0 type dummy && "
           f"ip -n {self.ns} link set br0 up && ip -n {self.ns} addr add 10.0.0.1/24 dev br0"
           f" && ip -n {self.ns} route add default dev br0")
        self.state.mkdir()
        sh(f"mount -t tmpfs -o size=512k,mode=755 tmpfs {self.state}")
        for rule in FOREIGN:
            self.ipvsadm(rule)
        self.foreign = parse_save("\n".join(FOREIGN) + "\n")
        self.procs: list[subprocess.Popen] = []

    def close(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        sh(f"mount -o remount,rw {self.state}", check=False)
        sh(f"umount {self.state}", check=False)
        sh(f"rmdir {self.state}", check=False)
        sh(f"ip netns del {self.ns}", check=False)

    # ------------------------------------------------------------------ running lvslite
    def ipvsadm(self, args: str) -> str:
        return sh(f"ip netns exec {self.ns} ipvsadm {args}")

    def config(self, name: str, svcs: list) -> Path:
        path = self.tmp / f"{name}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"services": svcs}))
        tmp.rename(path)
        return path

    def env(self, **extra):
        env = {k: v for k, v in os.environ.items() if k != FAULT_ENV}
        env.update(LVSLITE_STATE_DIR=str(self.state), PYTHONPATH=str(REPO), **extra)
        return env

    def start(self, *args, **extra) -> subprocess.Popen:
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, sys.executable, "-m", "lvslite",
                              *map(str, args)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, cwd=str(REPO),
                             env=self.env(**extra))
        self.procs.append(p)
        return p

    def daemon(self, cfg: Path) -> subprocess.Popen:
        """`lvslite run`, logging to a file (a pipe nobody reads could fill and block it)."""
        log = self.tmp / f"daemon-{len(self.procs)}.log"
        p = subprocess.Popen(["ip", "netns", "exec", self.ns, sys.executable, "-m", "lvslite",
                              "run", "-c", str(cfg), "--log", "stderr"],
                             stdout=open(log, "w"), stderr=subprocess.STDOUT, cwd=str(REPO),
                             env=self.env())
        p.log = log
        self.procs.append(p)
        return p

    def run(self, *args, **extra) -> subprocess.CompletedProcess:
        p = self.start(*args, **extra)
        out, err = p.communicate(timeout=600)
        return subprocess.CompletedProcess(p.args, p.returncode, out, err)

    def apply(self, cfg: Path, *flags, **extra) -> subprocess.CompletedProcess:
        return self.run("apply", "-c", cfg, *flags, **extra)

    # ------------------------------------------------------------------ checking
    def kernel(self) -> dict:
        return parse_save(self.ipvsadm("-S -n"))

    def ops(self, cfg: Path) -> int:
        """How many operations an apply of `cfg` performs now (reconcile, as apply does)."""
        return len(reconcile.diff(apply_table(load(str(cfg))), self.kernel(),
                                  state.load_owned(str(self.state))))

    def converged(self, cfg: Path | None) -> None:
        """The kernel holds exactly `cfg` (None: nothing) and the foreign service."""
        want = apply_table(load(str(cfg))) if cfg is not None else {}
        have = self.kernel()
        stale = set(have) - set(want) - set(self.foreign)
        COUNTS["stale"] += len(stale)
        assert not stale, f"stale services: {sorted(map(str, stale))}"
        assert have == {**self.foreign, **want}, (
            f"differs: {sorted(str(k) for k in set(have) ^ set({**self.foreign, **want}))} "
            f"or their reals")

    # ------------------------------------------------------------------ trouble
    def trouble(self, kind: str) -> None:
        if kind == "ro":    # EBUSY while a writer has a file open: try again
            for _ in range(20):
                if not sh(f"mount -o remount,ro {self.state} && echo ok", check=False):
                    time.sleep(0.1)
                    continue
                return
            sh(f"mount -o remount,ro {self.state}")
        else:
            sh(f"dd if=/dev/zero of={self.state}/fill bs=4k", check=False)

    def mend(self, kind: str) -> None:
        if kind == "ro":
            sh(f"mount -o remount,rw {self.state}")
        else:
            os.unlink(self.state / "fill")


@pytest.fixture
def box(tmp_path):
    if os.environ.get("LVSLITE_IN_GUEST") != "1":
        pytest.fail("the box fixture only runs inside the emulator guest")
    b = Box(tmp_path)
    try:
        yield b
    finally:
        b.close()


def stopped(p: subprocess.Popen) -> bool:
    try:
        with open(f"/proc/{p.pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False


def wait_stopped(p: subprocess.Popen) -> None:
    assert wait_for(lambda: stopped(p) or p.poll() is not None, timeout=300), "never stopped"
    assert p.poll() is None, f"ended instead of stopping: {p.returncode} {p.stderr.read()}"


# --------------------------------------------------------------------------- kills

def test_kill_at_20_points_then_a_rerun_converges(box):
    seed = int(os.environ.get("LVSLITE_FAULT_SEED") or time.time())
    print(f"seed {seed} (LVSLITE_FAULT_SEED={seed} repeats this run)")
    rnd = random.Random(seed)
    cfgs = {"A": box.config("A", services(0, 120)),
            "B": box.config("B", services(60, 120, weight=2)),
            "C": box.config("C", services(0, 3)),
            "D": box.config("D", services(100, 50, reals=3))}
    current = None
    for n in range(20):
        name = rnd.choice([k for k in cfgs if k != current])
        total = box.ops(cfgs[name])
        at = 0 if n == 0 else total if n == 1 else rnd.randint(0, total)
        p = box.apply(cfgs[name], **{FAULT_ENV: str(at)})
        assert p.returncode == -signal.SIGKILL, (p.returncode, p.stdout, p.stderr)
        COUNTS["kills"] += 1
        current = rnd.choice([name] + [k for k in cfgs if k != name])
        p = box.apply(cfgs[current])
        print(f"kill {n + 1}: apply {name} killed after {at}/{total} ops; apply {current}: "
              f"{p.stdout.strip()}")
        assert p.returncode == 0, p.stderr
        box.converged(cfgs[current])
        COUNTS["survived"] += 1
    empty = box.config("empty", [])
    assert box.apply(empty).returncode == 0
    box.converged(None)
    assert state.load_owned(str(box.state)) == set()


# --------------------------------------------------------------------------- races

def test_two_applies_at_once_never_interleave(box):
    x = box.config("X", services(0, 80))
    y = box.config("Y", services(40, 80, weight=3))
    # deterministic: X holds the lock (stopped after 5 ops); Y fails at once naming it
    a = box.start("apply", "-c", x, **{FAULT_ENV: "5:stop"})
    wait_stopped(a)
    b = box.apply(y)
    COUNTS["races"] += 1
    assert b.returncode == 5 and f"pid {a.pid}" in b.stderr and "--wait" in b.stderr, b.stderr
    COUNTS["refused"] += 1
    os.kill(a.pid, signal.SIGCONT)
    a.wait(timeout=300)
    assert a.returncode == 0, a.stderr.read()
    box.converged(x)
    # free-running: whoever wins, the loser is refused or runs after it, never in between
    for n, flags in enumerate(([], [], ["--wait", "300"])):
        first, second = (x, y) if n % 2 == 0 else (y, x)
        p1 = box.start("apply", "-c", first, *flags)
        p2 = box.start("apply", "-c", second, *flags)
        r1, r2 = p1.wait(timeout=600), p2.wait(timeout=600)
        COUNTS["races"] += 1
        assert {r1, r2} <= {0, 5} and 0 in (r1, r2), (r1, r2, p1.stderr.read(),
                                                      p2.stderr.read())
        if 5 in (r1, r2):
            COUNTS["refused"] += 1
            assert not flags
            box.converged(first if r1 == 0 else second)
        else:   # one after the other: the table is one of the two, whole
            have = set(box.kernel()) - set(box.foreign)
            box.converged(x if have == set(apply_table(load(str(x)))) else y)


def test_apply_and_a_second_daemon_leave_the_daemon_alone(box):
    d = box.config("daemon", services(0, 5, check={"type": "none"}))
    daemon = box.daemon(d)
    assert wait_for(lambda: set(box.kernel()) >= set(apply_table(load(str(d)))), timeout=60)
    pid_file = box.state / "lvslite.pid"
    assert pid_file.read_text().strip() == str(daemon.pid)
    other = box.config("other", services(20, 30))
    p = box.apply(other)
    COUNTS["races"] += 1
    assert p.returncode == 5 and f"kill -HUP {daemon.pid}" in p.stderr, p.stderr
    COUNTS["refused"] += 1
    box.converged(d)
    second = box.run("run", "-c", d, "--log", "stderr")
    COUNTS["races"] += 1
    assert second.returncode == 5 and f"pid {daemon.pid}" in second.stderr, second.stderr
    COUNTS["refused"] += 1
    assert pid_file.read_text().strip() == str(daemon.pid) and daemon.poll() is None
    # the way the message says: the daemon's own config, and SIGHUP
    box.config("daemon", services(2, 5, check={"type": "none"}))
    daemon.send_signal(signal.SIGHUP)
    assert wait_for(lambda: set(box.kernel()) - set(box.foreign)
                    == set(apply_table(load(str(d)))), timeout=60)
    # a daemon killed -9 leaves its pid file; its lock is taken over at once
    daemon.kill()
    daemon.wait()
    assert pid_file.read_text().strip() == str(daemon.pid)
    p = box.apply(other)
    assert p.returncode == 0, p.stderr
    box.converged(other)
    again = box.daemon(d)
    assert wait_for(lambda: pid_file.exists()
                    and pid_file.read_text().strip() == str(again.pid), timeout=60)
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=60) == 0
    assert not pid_file.exists()


# --------------------------------------------------------------------------- state directory

@pytest.mark.parametrize("kind", ["full", "ro"])
def test_a_full_or_read_only_state_dir_at_start_changes_nothing(box, kind):
    a = box.config("A", services(0, 60))
    box.trouble(kind)
    p = box.apply(a)
    assert p.returncode == 1 and "nothing was applied" in p.stderr, (p.returncode, p.stderr)
    box.converged(None)
    box.mend(kind)
    assert box.apply(a).returncode == 0
    box.converged(a)


@pytest.mark.parametrize("kind", ["full", "ro"])
def test_a_full_or_read_only_state_dir_mid_run_exits_4_then_recovers(box, kind):
    rnd = random.Random()
    a = box.config("A", services(0, 60))
    c = box.config("C", services(0, 3))
    assert box.apply(a).returncode == 0
    total = box.ops(c)
    at = rnd.randint(1, total - 1)
    p = box.start("apply", "-c", c, **{FAULT_ENV: f"{at}:stop"})
    wait_stopped(p)
    box.trouble(kind)
    os.kill(p.pid, signal.SIGCONT)
    out, err = p.communicate(timeout=300)
    print(f"{kind} after {at}/{total} ops: exit {p.returncode}: {out.strip()} / {err.strip()}")
    assert p.returncode == 4, (out, err)
    assert out.strip() == f"0 added, 0 changed, {total} removed"
    assert "the kernel was changed" in err and "run apply again" in err
    box.converged(c)
    box.mend(kind)
    assert box.apply(c).returncode == 0
    box.converged(c)
    assert state.load_owned(str(box.state)) == set(apply_table(load(str(c))))


def status_of(box) -> str:
    p = box.run("status")
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_the_daemon_outlives_a_read_only_state_dir_and_clock_jumps(box, tmp_path):
    check = {"type": "external", "command": ["/bin/sh", "-c", f"test -e {tmp_path}/up-$0"],
             "interval": 1, "timeout": 2}
    d = box.config("daemon", services(0, 2, check=check))
    for real in ("10.2.0.1", "10.3.0.1", "10.2.0.2", "10.3.0.2"):
        (tmp_path / f"up-{real}").touch()
    daemon = box.daemon(d)
    both = apply_table(load(str(d)))
    assert wait_for(lambda: box.kernel() == {**box.foreign, **both}, timeout=60)
    box.trouble("ro")
    # failover goes on: a real fails and leaves the table
    (tmp_path / "up-10.2.0.1").unlink()
    first = next(iter(both))
    assert wait_for(lambda: len(box.kernel()[first].reals) == 1, timeout=30)
    # the status file goes stale, and status says why
    assert wait_for(lambda: "state directory not writable?" in status_of(box), timeout=40,
                    interval=1), status_of(box)
    assert f"daemon pid {daemon.pid} running" in status_of(box)
    # a reload still reconciles, deleting from the owned set kept in memory
    box.config("daemon", services(0, 1, check=check))
    daemon.send_signal(signal.SIGHUP)
    assert wait_for(lambda: set(box.kernel()) == set(box.foreign) | {first}, timeout=30)
    assert daemon.poll() is None
    box.mend("ro")
    assert wait_for(lambda: "WARNING" not in status_of(box), timeout=30, interval=1)
    assert wait_for(lambda: state.load_owned(str(box.state)) == {first}, timeout=90)
    # the wall clock jumps a day forward, then two back: no age moves with it
    start_wall, start_mono = time.time(), time.monotonic()
    try:
        for jump in (86400, -2 * 86400):
            sh(f"date -s @{int(time.time()) + jump}")
            time.sleep(2.5)
            out = status_of(box)
            head = out.splitlines()[0]
            print(f"after a jump of {jump:+d}s: {head}")
            assert "WARNING" not in out, out
            age = int(head.split("updated ")[1].split("s ago")[0])
            assert 0 <= age <= 3, out
            ages = [line.split()[3] for line in out.splitlines()
                    if line.startswith("  10.")]
            assert ages and all(a == "-" or 0 <= int(a[:-1]) <= 5 for a in ages), out
    finally:
        sh(f"date -s @{int(start_wall + time.monotonic() - start_mono)}")
    # and health checking still works: the real comes back
    (tmp_path / "up-10.2.0.1").touch()
    assert wait_for(lambda: len(box.kernel()[first].reals) == 2, timeout=30)
    daemon.send_signal(signal.SIGTERM)
    assert daemon.wait(timeout=60) == 0
    log = daemon.log.read_text()
    print(log)
    # each trouble said once, and its end once
    assert log.count("cannot write status.json") == 1, log
    assert log.count("keeping the owned services in memory") == 1, log
    assert "status.json written again" in log and "writable again" in log, log
    assert "Traceback" not in log, log
