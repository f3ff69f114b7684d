"""Helpers shared by the check tests: the loopback servers, and driving an Engine."""
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]


def make_cert(directory: Path):
    """A self-signed EC certificate for 127.0.0.1 and ::1, made with the openssl binary.
    Returns (cert, key) paths, or None when there is no openssl."""
    if not shutil.which("openssl"):
        return None
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out",
                    str(cert), "-days", "2", "-subj", "/CN=lvslite-test",
                    "-addext", "subjectAltName=IP:127.0.0.1,IP:::1"],
                   check=True, capture_output=True)
    return cert, key


class Servers:
    """servers.py in a child process; .ports maps name -> port."""

    def __init__(self, cert=None):
        argv = [sys.executable, str(HERE / "servers.py")]
        if cert:
            argv += ["--cert", str(cert[0]), "--key", str(cert[1])]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True)
        self.ports = json.loads(self.proc.stdout.readline())

    def stop(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def collect(engine, keys, limit=10.0):
    """Step the engine until every key has a result; the first result of each."""
    keys = set(keys)
    got = {}
    end = time.monotonic() + limit
    while not keys <= set(got):
        assert time.monotonic() < end, f"no result for {sorted(map(str, keys - set(got)))}"
        for key, result in engine.step(0.5):
            got.setdefault(key, result)
    return got


def run_one(target, spec, limit=10.0):
    """One check, on its own engine: the first Result."""
    from lvslite.checks.engine import Engine
    engine = Engine()
    try:
        engine.add("k", target, spec)
        return collect(engine, ["k"], limit)["k"]
    finally:
        engine.close()


def open_fds():
    return len(os.listdir("/proc/self/fd"))


def children(pid=None):
    """Pids of live (or zombie) children of pid (default: this process)."""
    pid = pid or os.getpid()
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def spec_of(check):
    """The CheckSpec the config validator makes of a `check` object (which must be valid).
    An interval or timeout below the config's floors (tests run faster than a box may) is
    set after validation."""
    from lvslite.checks.spec import MIN_INTERVAL, MIN_TIMEOUT
    from lvslite.config.checks import check as read_check
    from lvslite.config.fields import Collector
    floors = {"interval": MIN_INTERVAL, "timeout": MIN_TIMEOUT}
    fast = {k: check[k] for k in floors if k in check and check[k] < floors[k]}
    c = Collector("test")
    got = read_check(c, {k: v for k, v in check.items() if k not in fast}, "check")
    assert not c.problems, [str(p) for p in c.problems]
    return got.replace(**fast) if fast else got
