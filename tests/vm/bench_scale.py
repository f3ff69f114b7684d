"""Benchmark (prints numbers, asserts nothing): apply time against reals per service.

    python3 tests/vm/bench_scale.py            on the host: boots the guest once (make perf-scale)
    python3 tests/vm/bench_scale.py --in-guest inside the guest (root, a kernel with IPVS)

`lvslite apply` (whole command, netlink, python3 -I as the box starts it) in a fresh network
namespace, the minimum of RUNS runs:
- one service with 1000, 2000 and 4000 reals, from an empty table;
- 4000 reals spread over 1000 services (4 each), from an empty table [one service with 4000
  reals within 2x of this];
- the same two tables with every weight changed (4000 edits: the snapshot's prediction of
  /proc/net/ip_vs, and the table it remembers);
- then, in process, where one 4000-real apply spends its time (dump, diff, kernel ops, state,
  snapshot), to tell lvslite's share from the kernel's (IPVS keeps a service's reals in a
  list it walks on every add: the kernel's own work grows with the square of the reals).
The guest is qemu TCG: compare ratios, not absolute times. Measured once there (2 shared
cores): one service with 1000/2000/4000 reals 1.46/1.83/4.06 s from empty (reported as
5.1/11.9/47.7 s before apply_ops and predict were made linear), 4000 reals over 1000
services 2.74 s (ratio 1.48); every weight changed 3.15 s against 2.53 s (1.25); of the 4000-real apply in process,
1.61 s of 1.77 s are the kernel's own operations.
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_apply import (PY, REPO, WRAPPER, clocked, main_host, sh, stats,  # noqa: E402
                         timed)

NS = "lvsscale"
RUNS = 3


def in_ns(argv):
    return ["ip", "netns", "exec", NS] + list(argv)


def real(i: int) -> str:
    return f"10.{2 + i // 62500}.{(i // 250) % 250}.{i % 250 + 1}:80"


def one_service(n: int, weight: int = 1) -> dict:
    return {"services": [{"virtual": "10.1.0.1:80", "scheduler": "wrr", "forward": "gate",
                          "reals": [{"address": real(i), "weight": weight}
                                    for i in range(n)]}]}


def spread(services: int, per: int, weight: int = 1) -> dict:
    return {"services": [{"virtual": f"10.1.{s // 250}.{s % 250 + 1}:80", "scheduler": "wrr",
                          "forward": "gate",
                          "reals": [{"address": real(s * per + r), "weight": weight}
                                    for r in range(per)]} for s in range(services)]}


def main_in_guest() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    state = work / "state"
    env = dict(os.environ, LVSLITE_STATE_DIR=str(state))
    sh(f"ip netns add {NS}")
    sh(f"ip -n {NS} link set lo up && ip -n {NS} link add br0 type dummy && "
       f"ip -n {NS} link set br0 up && ip -n {NS} addr add 10.0.0.1/24 dev br0 && "
       f"ip -n {NS} route add default dev br0")
    lvs = [PY, "-I", "-c", WRAPPER]
    results = {}

    def report(name, value, unit, note=""):
        results[name] = value
        print(f"{name:<56} {value:>9.3f} {unit}{'  ' + note if note else ''}", flush=True)

    def fresh():
        sh(f"ip netns exec {NS} ipvsadm -C")
        sh(f"rm -rf {shlex.quote(str(state))}")

    def measure(name, doc, changed=None):
        """Apply `doc` to an empty table RUNS times; with `changed`, also apply that (every
        weight changed) on top of it."""
        cfg, alt = work / f"{name}.json", work / f"{name}-w.json"
        cfg.write_text(json.dumps(doc))
        reals = sum(len(s["reals"]) for s in doc["services"])
        full, edits = [], []
        for _ in range(RUNS):
            fresh()
            t, out = timed(in_ns(lvs + ["apply", "-c", str(cfg)]), env=env)
            assert out.strip() == f"{reals + len(doc['services'])} added, 0 changed, 0 removed", out
            full.append(t)
            if changed is not None:
                alt.write_text(json.dumps(changed))
                t, out = timed(in_ns(lvs + ["apply", "-c", str(alt)]), env=env)
                assert out.strip() == f"0 added, {reals} changed, 0 removed", out
                edits.append(t)
        report(f"apply {name} from empty", min(full), "s", stats(full))
        if edits:
            report(f"apply {name}, every weight changed", min(edits), "s", stats(edits))
        return min(full), (min(edits) if edits else None)

    print(f"guest kernel {os.uname().release}; {PY}; min of {RUNS} runs", flush=True)
    for n in (1000, 2000):
        measure(f"1 service x {n} reals", one_service(n))
    one, one_edit = measure("1 service x 4000 reals", one_service(4000),
                            one_service(4000, weight=2))
    many, many_edit = measure("1000 services x 4 reals", spread(1000, 4),
                              spread(1000, 4, weight=2))
    report("ratio 1x4000 / 1000x4, from empty", one / many, "x", "(target <= 2)")
    report("ratio 1x4000 / 1000x4, every weight changed", one_edit / many_edit, "x",
           "(target <= 2)")
    fresh()
    phases = subprocess.run(in_ns([PY, str(HERE / "bench_scale.py"), "--phases",
                                   str(work / "1 service x 4000 reals.json"),
                                   str(work / "1 service x 4000 reals-w.json")]),
                            capture_output=True, text=True, cwd=REPO, env=env)
    print(phases.stdout + phases.stderr, flush=True)
    print("BENCH-JSON " + json.dumps(results))
    sh(f"ip netns del {NS}")
    return 0


def phases(cfg: str, changed: str) -> int:
    """In process, on an empty table: sync.apply of `cfg`, then of `changed`, each step
    timed (the same clock wrapping as bench_apply.py's phases)."""
    sys.path.insert(0, str(REPO))
    from lvslite import reconcile, snapshot, state, sync
    from lvslite.config import load
    from lvslite.ipvs.netlink import NetlinkBackend
    from lvslite.model import apply_table
    nl = NetlinkBackend()
    folder = tempfile.mkdtemp(prefix="bench-scale-phases-")
    parts: dict = {}
    for owner, name, label in ((nl, "dump", "dump"), (snapshot, "witness", "witness"),
                               (snapshot, "recall", "recall"), (reconcile, "diff", "diff"),
                               (nl, "apply", "kernel ops"),
                               (state.Ledger, "record", "owned.json"),
                               (snapshot, "witness_after", "witness after (predict)"),
                               (snapshot, "after", "table after"),
                               (snapshot, "remember", "remember")):
        clocked(parts, owner, name, label)
    for title, path in (("from empty", cfg), ("every weight changed", changed)):
        table = apply_table(load(path))
        parts.clear()
        start = time.perf_counter()
        ops = sync.apply(table, nl, directory=folder)
        total = time.perf_counter() - start
        print(f"  in process, 1 service x 4000 reals, {title} ({len(ops)} ops): total "
              f"{total:.3f} s; " + ", ".join(f"{k} {v:.3f}" for k, v in parts.items()),
              flush=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--in-guest"]:
        sys.exit(main_in_guest())
    if sys.argv[1:2] == ["--phases"]:
        sys.exit(phases(sys.argv[2], sys.argv[3]))
    sys.exit(main_host("bench_scale.py", "run-perf-scale", timeout=2400))
