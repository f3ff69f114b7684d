"""`lvslite top` in a real pty in the guest, against a live `lvslite run` with the lab: a real
going down shows on the screen within one refresh (docs/operate.md#lvslite-top).

The pty is python's: top runs with TERM=vt100 on an 80x24 pty whose master this test reads,
as a serial console would. Curses sends only the cells that changed, so "down" reaches the
pty as one run of characters when the real's health cell changes from "up".
"""
import fcntl
import json
import os
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

from lab import wait_for

REPO = Path(__file__).resolve().parents[2]
VIP = "10.0.1.100"
INTERVAL = 1.0


def status(state: Path):
    try:
        return json.loads((state / "status.json").read_text())
    except (OSError, ValueError):
        return None


def health(state: Path) -> dict:
    doc = status(state) or {"services": []}
    return {r["address"]: r["health"] for s in doc["services"] for r in s["reals"]}


class Pty:
    """A command on the slave side of an 80x24 pty; read() collects what reaches the master."""

    def __init__(self, argv, env):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=str(REPO), start_new_session=True)
        os.close(slave)
        self.data = bytearray()

    def read(self, seconds: float) -> bytes:
        """Everything that arrives within `seconds`."""
        got = bytearray()
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            ready, _, _ = select.select([self.master], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    break
                got += chunk
        self.data += got
        return bytes(got)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        os.close(self.master)


def test_a_real_going_down_shows_within_one_refresh(lab, tmp_path):
    lab.add_vip(VIP)
    cfg = tmp_path / "lvslite.json"
    cfg.write_text(json.dumps({"services": [{
        "virtual": f"{VIP}:80", "scheduler": "rr", "forward": "masq",
        "check": {"type": "connect", "interval": 1, "timeout": 0.5},
        "reals": ["10.0.0.10:80", "10.0.0.20:80"]}]}))
    state = Path(f"/run/lvslite-top-{lab.prefix}")
    env = dict(os.environ, LVSLITE_STATE_DIR=str(state), PYTHONPATH=str(REPO), TERM="vt100")
    log = open(tmp_path / "agent.log", "w")
    agent = subprocess.Popen(["ip", "netns", "exec", lab.director, sys.executable, "-m",
                              "lvslite", "run", "-c", str(cfg), "--log", "stderr"],
                             stdout=log, stderr=subprocess.STDOUT, env=env, cwd=str(REPO))
    top = None
    try:
        assert wait_for(lambda: health(state) == {"10.0.0.10:80": "up", "10.0.0.20:80": "up"},
                        timeout=30), (tmp_path / "agent.log").read_text()
        lab.get(VIP, count=4)          # some connections for the counters
        top = Pty(["ip", "netns", "exec", lab.director, sys.executable, "-m", "lvslite", "top",
                   "-i", f"{INTERVAL:g}"], env)
        first = top.read(4 * INTERVAL + 3)      # start-up (python under TCG) and a few frames
        assert b"10.0.0.10:80" in first and b"up" in first, first
        steady = top.read(6 * INTERVAL)
        print(f"top: first screen and start-up {len(first)} bytes; then {len(steady)} bytes "
              f"in {6 * INTERVAL:g} s = about {len(steady) / 6:.0f} bytes per refresh")

        mark = len(top.data)
        lab.stop_httpd("rs1")
        t_kill = time.monotonic()
        seen_status = seen_screen = None
        end = t_kill + 20
        while time.monotonic() < end and seen_screen is None:
            top.read(0.1)
            now = time.monotonic()
            if seen_status is None and health(state).get("10.0.0.10:80") == "down":
                seen_status = now
            if b"down" in top.data[mark:]:
                seen_screen = now
        assert seen_screen is not None, bytes(top.data[-2000:])
        if seen_status is None:        # the screen was as quick as our poll of the file
            seen_status = seen_screen
        lag = seen_screen - seen_status
        print(f"rs1 killed: status file says down after {seen_status - t_kill:.2f} s, the "
              f"screen after {seen_screen - t_kill:.2f} s ({lag:.2f} s later; refresh "
              f"every {INTERVAL:g} s)")
        assert lag <= INTERVAL + 0.5        # one refresh, and the time to draw it under TCG
        top.send(b"q")
        assert wait_for(lambda: top.proc.poll() is not None, timeout=10)
        assert top.proc.returncode == 0
    finally:
        if top is not None:
            top.close()
        agent.send_signal(signal.SIGTERM)
        try:
            agent.wait(timeout=10)
        except subprocess.TimeoutExpired:
            agent.kill()


def test_once_prints_one_plain_frame(lab, tmp_path):
    """--once: plain text (no escape sequences), the kernel's services without a daemon."""
    lab.add_vip(VIP)
    lab.ipvsadm(f"-A -t {VIP}:80 -s wlc && ipvsadm -a -t {VIP}:80 -r 10.0.0.10:80 -m -w 2")
    env = dict(os.environ, LVSLITE_STATE_DIR=f"/run/lvslite-once-{lab.prefix}",
               PYTHONPATH=str(REPO))
    p = subprocess.run(["ip", "netns", "exec", lab.director, sys.executable, "-m", "lvslite",
                        "top", "--once"], capture_output=True, text=True, env=env,
                       cwd=str(REPO))
    print(p.stdout)
    assert p.returncode == 0, p.stderr
    assert "\x1b" not in p.stdout
    lines = p.stdout.splitlines()
    assert lines[1].startswith("IPVS 1.2.1")
    assert any(ln.startswith(f"tcp {VIP}:80 wlc") for ln in lines)
    assert any(ln.split()[:3] == ["10.0.0.10:80", "nat", "2"] for ln in lines)
