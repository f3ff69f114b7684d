"""`lvslite run` against the real kernel in the guest: failover, fallback, hung checks, reloads,
a read-only root. Real HTTP servers in namespaces, real client connections through IPVS."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import wait_for

VIP = "10.0.1.100"
REPO = Path(__file__).resolve().parents[2]


class Agent:
    """`lvslite run` in the director's namespace, with its own state dir and log."""

    def __init__(self, lab, tmp_path, config, extra_env=None, wrap=""):
        self.lab = lab
        self.cfg = tmp_path / "lvslite.json"
        self.state = Path(f"/run/lvslite-{lab.prefix}")
        self.logfile = tmp_path / "agent.log"
        self.write(config)
        env = dict(os.environ, LVSLITE_STATE_DIR=str(self.state), PYTHONPATH=str(REPO),
                   **(extra_env or {}))
        # exec all the way down, so SIGTERM/SIGHUP to the Popen reach the daemon itself
        cmd = f"exec {wrap} {sys.executable} -m lvslite run -c {self.cfg} --log stderr"
        self.proc = subprocess.Popen(["ip", "netns", "exec", lab.director, "sh", "-c", cmd],
                                     stdout=open(self.logfile, "w"), stderr=subprocess.STDOUT,
                                     env=env, cwd=str(REPO))

    def write(self, config):
        tmp = self.cfg.with_suffix(".tmp")
        tmp.write_text(json.dumps(config))
        tmp.rename(self.cfg)

    def log(self):
        return self.logfile.read_text()

    def status(self):
        try:
            return json.loads((self.state / "status.json").read_text())
        except (OSError, ValueError):
            return None

    def reals(self):
        """{real: weight} of the VIP's service in the kernel (ipvsadm -S -n)."""
        out = {}
        for line in self.lab.ipvsadm("-Sn").splitlines():
            parts = line.split()
            if parts[:1] == ["-a"] and parts[2] == f"{VIP}:80":
                out[parts[4]] = int(parts[parts.index("-w") + 1])
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def service(**kw):
    svc = {"virtual": f"{VIP}:80", "scheduler": "rr", "forward": "masq",
           "check": {"type": "negotiate", "service": "http", "request": "/alive.html",
                     "receive": "I'm alive!", "interval": 1, "timeout": 1},
           "reals": ["10.0.0.10:80", "10.0.0.20:80"]}
    svc.update(kw)
    return svc


@pytest.fixture
def agent(lab, tmp_path):
    made = []

    def start(config, **kw):
        lab.add_vip(VIP)
        a = Agent(lab, tmp_path, config, **kw)
        made.append(a)
        return a

    yield start
    for a in made:
        a.stop()
        print(f"--- agent log ---\n{a.log()}")


def test_failover_and_fallback(lab, agent):
    # the sorry server: on the director itself, answering as "sorry"
    lab.procs.extend(_start_sorry(lab))
    # gate: a local fallback is delivered to the director's own socket (the kernel refuses
    # to NAT to a loopback address)
    a = agent({"services": [service(fallback={"address": "127.0.0.1:80", "forward": "gate"})]})
    both = {"10.0.0.10:80": 1, "10.0.0.20:80": 1}
    assert wait_for(lambda: a.reals() == both, timeout=30), (a.reals(), a.log())
    assert set(lab.get(VIP, count=10)) == {"rs1", "rs2"}

    # rs1 dies: out within interval x fall + timeout + 1 s = 3 s (plus sampling)
    lab.stop_httpd("rs1")
    t0 = time.monotonic()
    assert wait_for(lambda: "10.0.0.10:80" not in a.reals(), timeout=10, interval=0.05)
    took = time.monotonic() - t0
    print(f"rs1 removed {took:.2f}s after its server died (bound 3 s)")
    assert took <= 3.0 + 0.5, a.log()
    assert lab.get(VIP, count=10) == {"rs2": 10}
    assert "10.0.0.10:80 down" in a.log()

    # rs1 back: in again after rise (1) success
    lab.start_httpd("rs1")
    assert wait_for(lambda: a.reals() == both, timeout=10), a.log()

    # both down: the fallback serves; one back: the fallback leaves
    lab.stop_httpd("rs1")
    lab.stop_httpd("rs2")
    assert wait_for(lambda: a.reals() == {"127.0.0.1:80": 1}, timeout=10), a.log()
    assert lab.get(VIP, count=3) == {"sorry": 3}
    lab.start_httpd("rs2")
    assert wait_for(lambda: a.reals() == {"10.0.0.20:80": 1}, timeout=10), a.log()
    assert lab.get(VIP, count=4) == {"rs2": 4}


def _start_sorry(lab):
    proc = subprocess.Popen(["ip", "netns", "exec", lab.director, sys.executable, "-S",
                             str(REPO / "tests/vm/httpd.py"), "sorry", "80"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert "listening" in proc.stdout.readline()
    return [proc]


def test_quiescent_keeps_failed_real_at_weight_zero(lab, agent):
    a = agent({"services": [service(quiescent=True)]})
    assert wait_for(lambda: a.reals() == {"10.0.0.10:80": 1, "10.0.0.20:80": 1}, timeout=30)
    lab.stop_httpd("rs2")
    assert wait_for(lambda: a.reals() == {"10.0.0.10:80": 1, "10.0.0.20:80": 0}, timeout=10)
    assert lab.get(VIP, count=6) == {"rs1": 6}


def test_hung_real_fails_at_its_timeout_without_delaying_the_other(lab, agent):
    check = {"type": "negotiate", "service": "http", "request": "/alive.html",
             "interval": 1, "timeout": 2.5}
    a = agent({"services": [service(check=check)]})
    assert wait_for(lambda: len(a.reals()) == 2, timeout=30), a.log()
    # the status file (rewritten every second) has caught up with the kernel
    assert wait_for(lambda: [r["health"] for r in a.status()["services"][0]["reals"]]
                    == ["up", "up"], timeout=5), a.status()
    # a stopped server: the kernel still accepts its connections, nothing ever answers
    lab.httpd["rs1"].send_signal(signal.SIGSTOP)
    # sample rs2's check age while rs1's check hangs: it must keep its 1 s schedule
    ages, t0 = [], time.monotonic()
    while "10.0.0.10:80" in a.reals() and time.monotonic() - t0 < 15:
        st = a.status()
        if st:
            rs2 = next(r for r in st["services"][0]["reals"] if r["address"] == "10.0.0.20:80")
            ages.append((round(time.monotonic() - t0, 2), rs2["checked_ago_s"], rs2["health"]))
        time.sleep(0.25)
    took = time.monotonic() - t0
    print(f"rs1 (accepts, never answers) removed after {took:.2f}s; rs2 samples "
          f"(t, seconds since its last check, health): {ages}")
    assert "10.0.0.10:80" not in a.reals()
    assert "timeout after 2.5s" in a.log(), a.log()
    assert all(h == "up" for _, _, h in ages)
    # status is rewritten every second, checks run every second: never more than ~2.5 s old
    assert max(age for _, age, _ in ages if age is not None) < 2.6, ages
    lab.httpd["rs1"].send_signal(signal.SIGCONT)


def test_sighup_touches_only_the_changed_service(lab, agent):
    other = service(virtual=f"{VIP}:8080", reals=["10.0.0.10:80", "10.0.0.20:80"],
                    check={"type": "connect", "port": 80, "interval": 1, "timeout": 1})
    a = agent({"services": [service(), other]})
    assert wait_for(lambda: len(a.reals()) == 2 and f"{VIP}:8080" in lab.ipvsadm("-Sn"),
                    timeout=30)
    before_8080 = [l for l in lab.ipvsadm("-Sn").splitlines() if ":8080" in l]
    conns_before = lab.get(VIP, port=8080, count=4)
    assert sum(conns_before.values()) == 4
    def kernel_ops():
        return [l.split("kernel: ")[1] for l in a.log().splitlines() if "kernel: " in l]
    ops_before = kernel_ops()
    # change the weight of one real of the :80 service only
    cfg = {"services": [service(reals=[{"address": "10.0.0.10:80", "weight": 5},
                                       "10.0.0.20:80"]), other]}
    a.write(cfg)
    _hup(a)
    assert wait_for(lambda: a.reals().get("10.0.0.10:80") == 5, timeout=10), a.log()
    time.sleep(1.5)
    # exactly one kernel operation, on the changed service
    assert kernel_ops()[len(ops_before):] == [
        f"ipvsadm -e -t {VIP}:80 -r 10.0.0.10:80 -m -w 5"], a.log()
    assert [l for l in lab.ipvsadm("-Sn").splitlines() if ":8080" in l] == before_8080
    # the untouched service's counters keep counting across the reload (not reset by a
    # delete and re-add): 4 connections before it, 4 after, 8 in all
    assert sum(lab.get(VIP, port=8080, count=4).values()) == 4

    def conns():
        out = lab.ipvsadm(f"-Ln --stats -t {VIP}:8080")
        return int(next(l for l in out.splitlines() if l.startswith("TCP")).split()[2])
    assert wait_for(lambda: conns() == 8, timeout=6), lab.ipvsadm("-Ln --stats")
    # a broken config: nothing changes, every error is logged
    a.write({"services": [service(scheduler="nonsense", reals=["10.0.0.999:80"])]})
    table = lab.ipvsadm("-Sn")
    _hup(a)
    assert wait_for(lambda: "reload refused" in a.log(), timeout=10), a.log()
    time.sleep(1.5)
    assert lab.ipvsadm("-Sn") == table
    refused = [l for l in a.log().splitlines() if "reload refused" in l]
    assert any("scheduler" in l for l in refused) and any("reals[0]" in l for l in refused)
    assert a.proc.poll() is None


def _hup(a):
    """SIGHUP the daemon itself (the Popen is `ip netns exec sh -c ...`, its parent)."""
    pid = int((a.state / "lvslite.pid").read_text())
    os.kill(pid, signal.SIGHUP)


def test_runs_with_a_read_only_root(lab, agent, tmp_path):
    # a private mount namespace where everything but /run (tmpfs) is read-only; the guest's
    # / is already a read-only 9p mount, the folders the guest made writable are bound ro
    ro = ("unshare --mount sh -c 'for d in /etc /usr/lib /tmp /var/tmp /var/log /var/lib; do "
          "mount --bind $d $d && mount -o remount,bind,ro $d || echo MOUNTFAIL; done; "
          "touch /tmp/x /etc/x /x 2>/dev/null && echo WRITABLE; exec \"$@\"' lvslite")
    a = agent({"services": [service()]}, wrap=ro)
    assert wait_for(lambda: len(a.reals()) == 2, timeout=30), a.log()
    assert "WRITABLE" not in a.log() and "MOUNTFAIL" not in a.log(), a.log()
    assert wait_for(lambda: [r["health"] for r in a.status()["services"][0]["reals"]]
                    == ["up", "up"], timeout=5), a.status()
    a.stop()
    assert a.proc.returncode == 0, a.log()
    assert len(a.reals()) == 2  # SIGTERM leaves the table as it is


def _openssl_server(lab, tmp_path, name):
    """An https server on the real (openssl s_server -www: HTTP 200 and a status page),
    with a self-signed certificate made for the test."""
    key, crt = tmp_path / "key.pem", tmp_path / "crt.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    f"/CN={name}", "-keyout", str(key), "-out", str(crt)],
                   check=True, capture_output=True)
    proc = subprocess.Popen(["ip", "netns", "exec", lab.ns(name), "openssl", "s_server",
                             "-quiet", "-www", "-accept", "443", "-cert", str(crt),
                             "-key", str(key)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    lab.procs.append(proc)


def test_every_check_type_passes_and_fails_against_real_servers(lab, agent, tmp_path):
    """One service per check type; rs1 meets each check and rs2 does not (for its own,
    stated reason), so each type is seen both passing and failing in one daemon run."""
    _openssl_server(lab, tmp_path, "rs1")
    lab.start_httpd("rs1", port=8081)                         # connect: only rs1 listens
    lab.run(lab.ns("rs2"), "sysctl -qw net.ipv4.icmp_echo_ignore_all=1")  # ping: rs2 silent
    fast = {"interval": 1, "timeout": 2}
    checks = {
        80: {"type": "negotiate", "service": "http", "request": "/", "receive": "^rs1"},
        81: {"type": "connect", "port": 8081},
        82: {"type": "negotiate", "service": "https", "port": 443, "request": "/"},
        83: {"type": "negotiate", "service": "tcp", "port": 80,
             "request": "GET / HTTP/1.0\r\n\r\n", "receive": "rs1"},
        84: {"type": "external", "command": ["/bin/sh", "-c", 'test "$1" = 10.0.0.10', "chk"]},
        85: {"type": "ping"},
        86: {"type": "none"},
    }
    services = [service(virtual=f"{VIP}:{port}",
                        check=c if c["type"] == "none" else dict(c, **fast))
                for port, c in checks.items()]
    a = agent({"services": services})

    def health():
        st = a.status() or {"services": []}
        return {int(s["virtual"].rsplit(":", 1)[1]):
                {r["address"].split(":")[0]: (r["health"], r["reason"]) for r in s["reals"]}
                for s in st["services"]}

    def settled():
        h = health()
        return len(h) == len(checks) and all(
            s["10.0.0.10"][0] == "up" and s["10.0.0.20"][0] != "unknown" for s in h.values())
    assert wait_for(settled, timeout=40), (health(), a.log())
    h = health()
    print("check results:", json.dumps(h, indent=1))
    for port in (80, 81, 82, 83, 84, 85):
        assert h[port]["10.0.0.10"][0] == "up", (port, h[port])
        assert h[port]["10.0.0.20"][0] == "down", (port, h[port])
    assert h[86]["10.0.0.20"][0] == "up"   # type none: always in
    why = {port: h[port]["10.0.0.20"][1] for port in checks}
    assert "match" in why[80] and "refused" in why[81] and "refused" in why[82]
    assert "match" in why[83] and "exit 1" in why[84] and "timeout" in why[85], why
    # and the kernel holds exactly the reals that passed
    table = lab.ipvsadm("-Sn")
    for port in (80, 81, 82, 83, 84, 85):
        assert f"-a -t {VIP}:{port} -r 10.0.0.10:80" in table
        assert f"-a -t {VIP}:{port} -r 10.0.0.20:80" not in table, table
    assert f"-a -t {VIP}:86 -r 10.0.0.20:80" in table
