"""`lvslite import` against the real peers, in the guest's real kernel: keepalived, ldirectord
and `ipvsadm -R` each program IPVS from a file of tests/fixtures/migrate/peers/, then `lvslite
import` + `lvslite apply` program it from the same file, and `ipvsadm -Sn` must print the same
table (docs/import.md). The fixtures have no health checks that could keep a real out
(keepalived: no checkers; ldirectord: checktype=on), so every real is in on both sides.

Each run has a network namespace of its own, so the table starts empty. keepalived and
ldirectord are Debian's packages on the host (tests/vm/rig.py HOST_PACKAGES), started as
tests/vm/perf_daemon.py starts them.
"""
import itertools
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import sh
from support import need

REPO = Path(__file__).resolve().parents[2]
PEERS = REPO / "tests" / "fixtures" / "migrate" / "peers"
# A peer's table unchanged this long counts as settled: longer than ldirectord's default
# checkinterval (10 s), since it adds the virtual services first and each real at a check.
SETTLE_S = 15.0
_ids = itertools.count(1)


@pytest.fixture
def ns():
    name = f"peer{os.getpid()}x{next(_ids)}"
    sh(f"ip netns add {name} && ip -n {name} link set lo up")
    try:
        yield name
    finally:
        sh(f"ip netns exec {name} ipvsadm -C", check=False)
        sh(f"ip netns del {name}", check=False)


def table(ns: str) -> list:
    """`ipvsadm -Sn` in the namespace, its lines sorted (the kernel lists services in hash
    order, which depends on the order they were added)."""
    return sorted(sh(f"ip netns exec {ns} ipvsadm -Sn").splitlines())


def lvslite_table(ns: str, source: Path, fmt: str, tmp_path: Path) -> list:
    """import + apply the file in a fresh table; the table it left (then flushed)."""
    out = tmp_path / f"{fmt}.json"
    env = dict(os.environ, PYTHONPATH=str(REPO), LVSLITE_STATE_DIR=f"/run/lvslite-{ns}")
    imp = subprocess.run([sys.executable, "-m", "lvslite", "import", str(source), "--from", fmt,
                          "-o", str(out)], capture_output=True, text=True, env=env)
    assert imp.returncode == 0, imp.stderr
    print(imp.stderr)
    app = subprocess.run(["ip", "netns", "exec", ns, sys.executable, "-m", "lvslite", "apply",
                          "-c", str(out)], capture_output=True, text=True, env=env,
                         cwd=str(REPO))
    assert app.returncode == 0, app.stdout + app.stderr
    got = table(ns)
    assert len(got) > 10, got          # every fixture has more than ten services and reals
    sh(f"ip netns exec {ns} ipvsadm -C")
    shutil.rmtree(f"/run/lvslite-{ns}", ignore_errors=True)
    assert table(ns) == []
    return got


def settled(ns: str, want: list, timeout: float = 90.0) -> list:
    """The peer's table once it equals `want`, or once it stopped changing for SETTLE_S."""
    end = time.monotonic() + timeout
    last, since = None, time.monotonic()
    while time.monotonic() < end:
        now = table(ns)
        if now == want:
            return now
        if now != last:
            last, since = now, time.monotonic()
        elif now and time.monotonic() - since >= SETTLE_S:
            return now
        time.sleep(0.3)
    return last or []


def diff(peer: list, ours: list) -> str:
    only_peer = [ln for ln in peer if ln not in ours]
    only_ours = [ln for ln in ours if ln not in peer]
    return ("only the peer's: " + repr(only_peer) + "\nonly lvslite's: " + repr(only_ours))


def test_keepalived_and_lvslite_program_the_same_table(ns, tmp_path):
    need(shutil.which("keepalived") is not None, "keepalived (Debian package keepalived)")
    src = PEERS / "keepalived.conf"
    ours = lvslite_table(ns, src, "keepalived", tmp_path)
    log = open(tmp_path / "keepalived.log", "w")
    # -n foreground, -l -G log to stderr (no syslog in the guest), -C checkers only, -D detail
    proc = subprocess.Popen(["ip", "netns", "exec", ns, "keepalived", "-n", "-l", "-G", "-D",
                             "-C", "-f", str(src), "-p", f"/run/{ns}-keepalived.pid",
                             "-c", f"/run/{ns}-checkers.pid"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        peer = settled(ns, ours)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(f"keepalived: {len(peer)} lines; lvslite: {len(ours)} lines")
    assert peer == ours, diff(peer, ours) + "\n" + (tmp_path / "keepalived.log").read_text()


def test_ldirectord_and_lvslite_program_the_same_table(ns, tmp_path):
    need(shutil.which("ldirectord") is not None, "ldirectord (Debian package ldirectord)")
    src = tmp_path / "ldirectord-peers.cf"       # ldirectord names its pid file after it
    shutil.copy(PEERS / "ldirectord.cf", src)
    ours = lvslite_table(ns, src, "ldirectord", tmp_path)
    start = subprocess.run(["ip", "netns", "exec", ns, "ldirectord", str(src), "start"],
                           capture_output=True, text=True, timeout=60)
    try:
        assert start.returncode == 0, start.stdout + start.stderr
        peer = settled(ns, ours)
    finally:
        subprocess.run(["ip", "netns", "exec", ns, "ldirectord", str(src), "stop"],
                       capture_output=True, text=True, timeout=60)
    print(f"ldirectord: {len(peer)} lines; lvslite: {len(ours)} lines")
    logfile = Path("/tmp/ldirectord-peers.log")
    assert peer == ours, diff(peer, ours) + "\n" + (
        logfile.read_text()[-2000:] if logfile.exists() else "")


def test_ipvsadm_restore_and_lvslite_program_the_same_table(ns, tmp_path):
    src = PEERS / "ipvsadm-save.txt"
    ours = lvslite_table(ns, src, "ipvsadm", tmp_path)
    restore = subprocess.run(["ip", "netns", "exec", ns, "ipvsadm", "-R"],
                             input=src.read_text(), capture_output=True, text=True)
    assert restore.returncode == 0, restore.stderr
    peer = table(ns)
    print(f"ipvsadm -R: {len(peer)} lines; lvslite: {len(ours)} lines")
    assert peer == ours, diff(peer, ours)
    # and the file is what ipvsadm -Sn prints of it, so nothing was lost on either side
    assert peer == sorted(src.read_text().splitlines())
