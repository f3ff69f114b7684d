"""Memory, file descriptors and children stay flat over 10,000 check cycles (docs/design.md#the-daemon).

How: run checks back to back (intervals of a millisecond) against the loopback servers and
compare the process after the first cycles with the process after the last ones: the number
of memory blocks the interpreter holds (sys.getallocatedblocks counts every object, container
or not), gc-tracked objects, open fds, the engine's tables, unreaped children. Snapshots are
taken with every check removed (probes closed) and then re-added, so a probe that happens to
be mid-run does not count as growth; this is what lets the tolerances be small.

- The mixed run: every cheap check type at once, passing and failing, plus one that times out
  every run, 10,000 cycles: an engine leak of one object per cycle adds 9,000 blocks.
- Per type: each check type alone for PER_TYPE cycles, so a leak in one module (http.py,
  external.py...) is not drowned among cheaper types: one object per cycle adds 250 blocks.
- The measure itself: the same harness with one object kept per cycle must fail.

Numbers (cycles/s, RSS) are printed, not asserted.
"""
import gc
import os
import socket
import sys
import time

import pytest

from checks_util import children, open_fds
from lvslite.checks.engine import Engine
from lvslite.checks.spec import CheckSpec, Target
from support import need

CYCLES, WINDOW = 10_000, 1_000
PER_TYPE, PER_TYPE_WINDOW = 300, 50
TOLERANCE = 100               # blocks, per type: < half the cycles measured (250)
MIXED_TOLERANCE = 1_000       # blocks, mixed run: < a ninth of the cycles measured (9,000)
PARALLEL = 4                  # variants of each check at once (distinct timeouts: not shared)


def rss_kib():
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def zombies():
    out = []
    for pid in children():
        try:
            with open(f"/proc/{pid}/stat") as fh:
                if fh.read().rsplit(")", 1)[1].split()[0] == "Z":
                    out.append(pid)
        except OSError:
            pass
    return out


def quiet_snapshot(engine, specs):
    """The process with no probe running: remove every check, measure, add them back."""
    live = engine.stats()
    for key in specs:
        engine.remove(key)
    gc.collect()
    snap = {"blocks": sys.getallocatedblocks(), "objects": len(gc.get_objects()),
            "fds": open_fds(), "rss_kib": rss_kib(), "zombies": len(zombies()),
            **{f"engine_{k}": v for k, v in live.items()}}
    for key, (target, spec) in specs.items():
        engine.add(key, target, spec)
    return snap


def cycle(specs, cycles, window, leak=None):
    """Run until `cycles` results; snapshots after `window` results and at the end."""
    engine = Engine()
    try:
        for key, (target, spec) in specs.items():
            engine.add(key, target, spec)
        done, first = 0, None
        while done < cycles:
            for key, result in engine.step(0.05):
                done += 1
                if leak is not None:
                    leak.append(result.reason.encode())   # one new object per cycle
            if first is None and done >= window:
                first = quiet_snapshot(engine, specs)
                t_first, n_first = time.monotonic(), done
        rate = (done - n_first) / (time.monotonic() - t_first)
        last = quiet_snapshot(engine, specs)
    finally:
        engine.close()
    return first, last, rate


def kinds(servers, silent_port):
    lo = "127.0.0.1"
    http = servers["http"]
    out = {
        "connect": dict(target=Target(lo, http)),
        "connect-refused": dict(target=Target(lo, 1)),
        "http-200": dict(target=Target(lo, http), type="negotiate", service="http",
                         request="/alive", receive="alive"),
        "http-503": dict(target=Target(lo, http), type="negotiate", service="http",
                         request="/dead"),
        "http-nomatch": dict(target=Target(lo, http), type="negotiate", service="http",
                             request="/other", receive="alive"),
        "chat": dict(target=Target(lo, servers["chat"]), type="negotiate", service="tcp",
                     request="PING\r\n", receive=r"\+PONG"),
        "timeout": dict(target=Target(lo, silent_port), type="negotiate", service="http",
                        timeout=0.005),
        "none": dict(target=Target(lo, 80), type="none"),
        "external": dict(target=Target(lo, 80), type="external", command=("true",)),
        "external-fail": dict(target=Target(lo, 80), type="external", command=("false",)),
    }
    if "https" in servers:
        out["https"] = dict(target=Target(lo, servers["https"]), type="negotiate",
                            service="https", request="/alive", receive="alive")
    if os.geteuid() == 0:
        out["ping"] = dict(target=Target(lo, 0), type="ping")
    return out


def specs_of(kind_kw):
    kw = dict(kind_kw)
    target = kw.pop("target")
    timeout = kw.pop("timeout", 2.0)
    return {i: (target, CheckSpec(interval=0.001, timeout=timeout + i / 1000, **kw))
            for i in range(PARALLEL)}


@pytest.fixture(scope="module")
def silent_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4096)
    yield s.getsockname()[1]
    s.close()


def report(title, first, last, rate):
    print(f"\n{title}: {rate:.0f} cycles/s")
    for k in first:
        if first[k] or last[k]:
            print(f"  {k:16} first {first[k]:>8}   last {last[k]:>8}   "
                  f"delta {last[k] - first[k]:+}")


def assert_flat(first, last, n_checks, tolerance=TOLERANCE):
    assert last["blocks"] - first["blocks"] < tolerance
    assert last["objects"] - first["objects"] < tolerance
    assert last["fds"] == first["fds"]
    assert last["zombies"] == 0
    assert last["engine_checks"] == first["engine_checks"] == n_checks
    assert last["engine_timers"] <= 3 * n_checks   # start, deadline, poll: per check


def test_mixed_checks_stay_flat_over_10000_cycles(servers, silent_port):
    cheap = ("connect", "connect-refused", "http-200", "http-503", "chat", "timeout", "none",
             "ping")
    specs = {}
    for name, kw in kinds(servers, silent_port).items():
        if name in cheap:
            for i, ts in specs_of(kw).items():
                specs[(name, i)] = ts
    first, last, rate = cycle(specs, CYCLES, WINDOW)
    report(f"{CYCLES} cycles of {len(specs)} checks", first, last, rate)
    assert_flat(first, last, len(specs), MIXED_TOLERANCE)


@pytest.mark.parametrize("name", ["connect", "connect-refused", "http-200", "http-503",
                                  "http-nomatch", "https", "chat", "timeout", "none",
                                  "external", "external-fail", "ping"])
def test_each_check_type_stays_flat(servers, silent_port, name):
    kw = kinds(servers, silent_port).get(name)
    need(kw is not None, f"{name} needs {'root' if name == 'ping' else 'openssl'} here")
    specs = specs_of(kw)
    first, last, rate = cycle(specs, PER_TYPE, PER_TYPE_WINDOW)
    report(f"{name}, {PER_TYPE} cycles", first, last, rate)
    assert_flat(first, last, len(specs))


def test_the_measure_sees_one_leaked_object_per_cycle(servers, silent_port):
    specs = specs_of(kinds(servers, silent_port)["none"])
    leak = []
    first, last, _ = cycle(specs, PER_TYPE, PER_TYPE_WINDOW, leak=leak)
    print(f"\nwith one object kept per cycle: blocks {last['blocks'] - first['blocks']:+}")
    assert last["blocks"] - first["blocks"] >= TOLERANCE
