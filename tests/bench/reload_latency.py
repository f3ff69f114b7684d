"""SIGHUP-to-first-check latency of `lvslite run` at 100, 1000 and 4000 reals (make perf-reload).

Prints numbers, asserts nothing. A real lvslite.daemon.Daemon runs connect checks against real TCP listeners on 127.0.0.x (one
listener a real, all in a child process so that accepting costs this process nothing), with the
kernel replaced by the in-memory reference kernel of the core tests (FakeBackend over
reconcile.apply_ops): this host has no IPVS. For each size and each config edit, the config file
is rewritten and SIGHUP sent to this process; the latency is from the signal to the first check
result the daemon handles after the reload (its loop stalls meanwhile: the reload, the
reconcile, the status file). A pacer service checked every 2 ms makes a result due at once, so
the number is the stall, not the wait for the next scheduled check. The same runs are made with
the engine of 92892c7 (Engine.remove rebuilt the timer heap on every call), then the remove
loop alone of both engines is timed.

    .venv/bin/python tests/bench/reload_latency.py [--sizes 100,1000,4000] [--repeat 3]
                                                   [--old-engine REV]
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "unit" / "core")]

from test_core_state_apply import FakeBackend  # noqa: E402  (the core tests' memory kernel)

from lvslite import daemon as daemon_mod  # noqa: E402
from lvslite.checks import engine as engine_mod  # noqa: E402
from lvslite.checks.spec import CheckSpec, Target  # noqa: E402
from lvslite.config import checks as config_checks  # noqa: E402

# The pacer's 2 ms interval is below the floor a config may set (MIN_INTERVAL, 1 s): this
# benchmark lowers the floor for its own process only.
config_checks.MIN_INTERVAL = 0.001

PORT_HINT = 18080
REALS_PER_SERVICE = 10
TARGET_MS = 50.0

# The child: one listener per address on one port; accepts and closes, until stdin closes.
LISTENERS = r"""
import json, selectors, socket, sys
port, addresses = int(sys.argv[1]), json.loads(sys.stdin.readline())
sel = selectors.DefaultSelector()
for a in addresses:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a, port))
    s.listen(64)
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
sel.register(sys.stdin, selectors.EVENT_READ)
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        if key.fileobj is sys.stdin:
            sys.exit(0)
        try:
            key.fileobj.accept()[0].close()
        except OSError:
            pass
"""


def address(i: int) -> str:
    """The i-th real's address: 127.0.0.2 ... 127.0.0.250, 127.0.1.1, ... (127.0.0.1 is the
    pacer's)."""
    n = i + 1
    return f"127.0.{n // 250}.{n % 250 + 1}"


def make_config(n: int, port: int, *, weight_of_first: int = 1, keep: float = 1.0,
                interval_scale: float = 1.0) -> dict:
    """n reals in n/10 services, connect checks every 1..2 s (spread, so that rounds do not
    bunch), plus the pacer service."""
    services = [{"virtual": f"10.9.0.1:{port}", "scheduler": "rr",
                 "check": {"type": "connect", "interval": 0.002, "timeout": 1},
                 "reals": [f"127.0.0.1:{port}"]}]
    kept = int(n * keep)
    for s in range(0, kept, REALS_PER_SERVICE):
        reals = [{"address": f"{address(i)}:{port}", "weight": 1}
                 for i in range(s, min(s + REALS_PER_SERVICE, kept))]
        if s == 0:
            reals[0]["weight"] = weight_of_first
        k = s // REALS_PER_SERVICE
        services.append({"virtual": f"10.10.{k // 250}.{k % 250 + 1}:{port}", "scheduler": "wrr",
                         "check": {"type": "connect", "timeout": 1,
                                   "interval": round((1.0 + (k % 11) / 10) * interval_scale,
                                                     3)},
                         "reals": reals})
    return {"services": services}


def free_port() -> int:
    import socket
    for port in range(PORT_HINT, PORT_HINT + 200):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise SystemExit("no free port")


def old_engine_class(rev: str):
    """Engine as it was at `rev`, loaded as a module of its own."""
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:lvslite/checks/engine.py"],
                         capture_output=True, text=True, check=True).stdout
    # CheckError (raised there only for a probe module that cannot be imported) is gone.
    src = src.replace("from lvslite.checks.spec import CheckError, Result, identity",
                      "from lvslite.checks.spec import Result, identity\n"
                      "CheckError = ValueError")
    module = types.ModuleType(f"engine_{rev}")
    exec(compile(src, f"{rev}:lvslite/checks/engine.py", "exec"), module.__dict__)
    return module.Engine


class Probe:
    """Wraps one Daemon: records when a reload ran, the first result after it, and the time
    the garbage collector took in between."""

    def __init__(self, d):
        self.d = d
        self.reset()
        self.gc_started = 0.0
        gc.callbacks.append(self.on_gc)
        reload, reconcile, on_result = d.reload, d.reconcile, d.on_result

        def timed_reload():
            self.reload_start = time.monotonic()
            ok = reload()
            self.reload_end = time.monotonic()
            self.ok = ok
            return ok

        def timed_reconcile():
            start = time.monotonic()
            reconcile()
            if self.reload_end and not self.reconcile_s:
                self.reconcile_s = time.monotonic() - start

        def first_result(key, result):
            on_result(key, result)
            if self.reload_end and not self.first:
                self.first = time.monotonic()
                self.first_cpu = time.process_time()
                d.flags["term"] = True     # ends d.run(): this measurement is done
        d.reload, d.reconcile, d.on_result = timed_reload, timed_reconcile, first_result

    def reset(self):
        self.sent = self.reload_start = self.reload_end = self.first = 0.0
        self.sent_cpu = self.first_cpu = 0.0
        self.reconcile_s = self.gc_s = 0.0
        self.ok = None

    def on_gc(self, phase, info):
        if phase == "start":
            self.gc_started = time.monotonic()
        elif self.sent and not self.first:
            self.gc_s += time.monotonic() - self.gc_started

    def close(self):
        gc.callbacks.remove(self.on_gc)


def run_until(d, pred, limit=60.0):
    end = time.monotonic() + limit
    while not pred():
        if time.monotonic() > end:
            raise SystemExit("the daemon did not get there in time")
        d.run(max_cycles=d.cycles + 50)


def measure(n: int, engine_cls, port: int, folder: Path, repeat: int) -> list:
    """One daemon with n reals; each edit `repeat` times (the edits undo each other):
    [(edit, checks after it, reload ms, reconcile ms, gc ms, latency ms, cpu ms)], medians."""
    cfg_path = folder / f"lvslite-{n}.json"
    cfg_path.write_text(json.dumps(make_config(n, port)))
    kernel = FakeBackend()
    daemon_mod.Engine = engine_cls
    d = daemon_mod.Daemon(str(cfg_path), kernel, state_dir=str(folder / "state"))
    os.makedirs(d.state_dir, exist_ok=True)
    daemon_mod.install_signals(d)
    probe = Probe(d)
    rows = []
    try:
        d.load_config()
        everyone = len(d.plan)
        run_until(d, lambda: sum(1 for k in d.plan if k in d.last_at) == everyone
                  and sum(len(s.reals) for s in kernel.table.values()) == everyone)
        d.run(max_cycles=d.cycles + 200)      # let the spread intervals spread the rounds
        edits = [("one weight", dict(weight_of_first=7)),
                 ("drop half", dict(weight_of_first=7, keep=0.5)),
                 ("add them back", dict(weight_of_first=7)),
                 ("every check", dict(weight_of_first=7, interval_scale=1.1))]
        got: dict = {}
        for name, edit in edits * repeat:
            if name == edits[0][0]:
                cfg_path.write_text(json.dumps(make_config(n, port)))   # back to the start
                d.reload()
                d.run(max_cycles=d.cycles + 100)
            cfg_path.write_text(json.dumps(make_config(n, port, **edit)))
            probe.reset()
            d.flags["term"] = False

            def hup():
                time.sleep(0.3)
                probe.sent = time.monotonic()
                probe.sent_cpu = time.process_time()
                os.kill(os.getpid(), signal.SIGHUP)
            sender = threading.Thread(target=hup)
            sender.start()
            d.run()
            sender.join()
            assert probe.ok, f"reload refused ({name})"
            got.setdefault(name, []).append((
                len(d.plan), 1e3 * (probe.reload_end - probe.reload_start),
                1e3 * probe.reconcile_s, 1e3 * probe.gc_s, 1e3 * (probe.first - probe.sent),
                1e3 * (probe.first_cpu - probe.sent_cpu)))
            d.flags["term"] = False
            run_until(d, lambda: all(k in d.last_at for k in d.plan))
    finally:
        probe.close()
        signal.set_wakeup_fd(-1)
        d.engine.close()
    return [(name,) + tuple(statistics.median(column) for column in zip(*runs))
            for name, runs in got.items()]


def remove_loop(engine_cls, n: int) -> float:
    e = engine_cls()
    try:
        for i in range(n):
            e.add(i, Target(address(i), 80), CheckSpec(interval=60))
        start = time.perf_counter()
        for i in range(n):
            e.remove(i)
        return time.perf_counter() - start
    finally:
        e.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100,1000,4000")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each edit (median shown)")
    ap.add_argument("--old-engine", default="92892c7", metavar="REV",
                    help="the engine to compare with (git revision; '' = none)")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    engines = [("new", engine_mod.Engine)]
    if args.old_engine:
        engines.append((args.old_engine, old_engine_class(args.old_engine)))

    port = free_port()
    child = subprocess.Popen([sys.executable, "-c", LISTENERS, str(port)], text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child.stdin.write(json.dumps(["127.0.0.1"] + [address(i) for i in range(max(sizes))])
                      + "\n")
    child.stdin.flush()
    assert child.stdout.readline().strip() == "ready"
    import logging
    logging.getLogger("lvslite").disabled = True   # the daemon's per-real log lines
    print(f"SIGHUP -> first check result handled (latency), ms, median of {args.repeat} "
          f"(target < {TARGET_MS:.0f} ms at 4000 reals). Within it: reload = load + check "
          "plan + engine; reconcile against the memory kernel; gc = the garbage collector; cpu = "
          "this process's CPU time over the same span (what the latency is on an idle machine)")
    print(f"{'reals':>6} {'engine':>8} {'edit':<14} {'checks':>6} {'reload':>8} "
          f"{'reconcile':>9} {'gc':>6} {'latency':>8} {'cpu':>6}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                for label, cls in engines:
                    for name, checks, reload_ms, reconcile_ms, gc_ms, latency_ms, cpu_ms in \
                            measure(n, cls, port, Path(tmp), args.repeat):
                        print(f"{n:>6} {label:>8} {name:<14} {checks:>6.0f} {reload_ms:>8.1f} "
                              f"{reconcile_ms:>9.1f} {gc_ms:>6.1f} {latency_ms:>8.1f} "
                              f"{cpu_ms:>6.1f}",
                              flush=True)
    finally:
        daemon_mod.Engine = engine_mod.Engine
        child.stdin.close()
        child.wait(10)

    print("\nEngine.remove, all n checks one by one, ms")
    print(f"{'checks':>6} " + " ".join(f"{label:>10}" for label, _ in engines))
    for n in (1000, 2000, 4000, 8000):
        print(f"{n:>6} " + " ".join(f"{1e3 * remove_loop(cls, n):>10.1f}"
                                    for _, cls in engines), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
