"""Benchmark (prints numbers, asserts nothing): programming IPVS in the emulator guest.

    python3 tests/vm/bench_apply.py            on the host: boots the guest once, runs below
    python3 tests/vm/bench_apply.py --in-guest inside the guest (root, a kernel with IPVS)

Measures, in a fresh network namespace of the guest (the targets set for the core in brackets):
- 1000 services x 4 reals applied to an empty table by `lvslite apply` with the netlink
  backend, by `ipvsadm -R` of the same rules, and by `lvslite apply --backend ipvsadm`
  (one fork per operation; when 5000 forks would take more than BUDGET_S, a 100-service
  subset is timed and scaled, and the output says so) [netlink within 1.5x of ipvsadm -R];
- a one-change reconcile (one weight) on that table [under 5% of the full apply]: reconcile
  itself (lvslite.sync.apply, as the daemon runs it on a reload or a failover) in process,
  against the reconcile from empty in process and against the whole full-apply command, with
  a breakdown by step; and the whole one-change command (start-up and config parse
  included), which is printed too;
- import time and peak RSS (VmHWM, read by the process itself as it ends) of `lvslite apply`
  started as the box starts it (python3 -I, from lvslite.cli import main) against a bare
  `python3 -I -c pass` [RSS within 4 MB].
Wall times are whole commands (interpreter start included) unless the line says "in process";
the minimum of several runs is the figure (the host's CPUs are shared), the median is shown
too. The guest is qemu TCG: compare ratios, not absolute times.
"""
from __future__ import annotations

import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NS = "lvsbench"
SERVICES, REALS = 1000, 4
BUDGET_S = 150.0
# The interpreter a box has: the distribution's python3, no virtualenv (whose site start-up
# alone costs ~0.5 s more under the emulator). lvslite needs nothing outside the stdlib.
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def sh(cmd: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=True, **kw)


def in_ns(argv):
    return ["ip", "netns", "exec", NS] + list(argv)


def timed(argv, stdin=None, env=None):
    """(seconds, stdout) of one command, which must succeed."""
    start = time.perf_counter()
    proc = subprocess.run(argv, stdin=stdin, capture_output=True, cwd=REPO, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv} exited {proc.returncode}: {proc.stderr.decode()}")
    return seconds, proc.stdout.decode()


# Peak RSS is read by the measured process itself, from VmHWM in /proc/self/status, as it
# ends: wait4's ru_maxrss would also count the parent's pages (posix_spawn and subprocess use
# vfork, and the kernel records the old address space's peak at exec).
HWM = ("import sys\nsys.stderr.write('HWM ' + [l for l in open('/proc/self/status')"
       " if l.startswith('VmHWM')][0].split()[1] + '\\n')\n")
# How the box starts lvslite: firmware/image/build.py's /usr/bin/lvslite is
# "#!/usr/bin/python3 -I" + "from lvslite.cli import main". -I keeps the repo off sys.path, so
# it is added by hand (on the box lvslite is in site-packages).
BOX_START = f"import sys\nsys.path.insert(0, {str(REPO)!r})\nfrom lvslite.cli import main\n"
WRAPPER = BOX_START + "sys.exit(main())\n"
RUN_LVSLITE = BOX_START + "code = main()\n" + HWM + "sys.exit(code)\n"


def hwm_of(argv, env=None):
    """(seconds, VmHWM in kB) of a python command built with HWM or RUN_LVSLITE."""
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, cwd=REPO, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{argv} exited {proc.returncode}: {proc.stderr}")
    line = [ln for ln in proc.stderr.splitlines() if ln.startswith("HWM ")][-1]
    return seconds, int(line.split()[1])


def stats(values):
    return f"min {min(values):.3f}, median {statistics.median(values):.3f}"


def flush():
    sh(f"ip netns exec {NS} ipvsadm -C")


def count():
    return len(sh(f"ip netns exec {NS} ipvsadm -S -n").stdout.splitlines())


def make_config(n: int, weight_bump: bool = False):
    services = []
    for i in range(n):
        reals = [f"10.{2 + r}.{i // 250}.{i % 250 + 1}:80" for r in range(REALS)]
        if weight_bump and i == n * 2 // 3:
            reals[2] = {"address": reals[2], "weight": 7}
        services.append({"virtual": f"10.1.{i // 250}.{i % 250 + 1}:80", "scheduler": "wrr",
                         "forward": "gate", "reals": reals})
    return {"services": services}


def make_rules(n: int) -> str:
    lines = []
    for i in range(n):
        vip = f"10.1.{i // 250}.{i % 250 + 1}:80"
        lines.append(f"-A -t {vip} -s wrr")
        lines += [f"-a -t {vip} -r 10.{2 + r}.{i // 250}.{i % 250 + 1}:80 -g -w 1"
                  for r in range(REALS)]
    return "\n".join(lines) + "\n"


def main_in_guest() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-apply-"))
    env = dict(os.environ, LVSLITE_STATE_DIR=str(work / "state"))
    sh(f"ip netns add {NS}")
    sh(f"ip -n {NS} link set lo up && ip -n {NS} link add br0 type dummy && "
       f"ip -n {NS} link set br0 up && ip -n {NS} addr add 10.0.0.1/24 dev br0 && "
       f"ip -n {NS} route add default dev br0")
    results = {}

    def report(name, value, unit, note=""):
        results[name] = value
        print(f"{name:<52} {value:>10.3f} {unit}{'  ' + note if note else ''}", flush=True)

    full = work / "full.json"
    full.write_text(json.dumps(make_config(SERVICES)))
    bumped = work / "bumped.json"
    bumped.write_text(json.dumps(make_config(SERVICES, weight_bump=True)))
    rules = work / "rules.txt"
    rules.write_text(make_rules(SERVICES))
    ops = SERVICES * (1 + REALS)
    version = sh(f"{PY} --version").stdout.strip()
    print(f"guest kernel {os.uname().release}; {SERVICES} services x {REALS} reals = {ops} "
          f"operations; {PY} ({version})", flush=True)

    lvs = [PY, "-I", "-c", WRAPPER]
    # --- full apply, netlink (3 runs, median)
    runs = []
    for _ in range(5):
        flush()
        sh(f"rm -rf {shlex.quote(str(work / 'state'))}")
        t, out = timed(in_ns(lvs + ["apply", "-c", str(full)]), env=env)
        runs.append(t)
        assert out.strip() == f"{ops} added, 0 changed, 0 removed", out
        assert count() == ops
    netlink_full = min(runs)
    report("apply 1000x4 from empty, netlink (lvslite apply)", netlink_full, "s", stats(runs))

    # --- ipvsadm -R of the same rules
    runs = []
    for _ in range(5):
        flush()
        with open(rules) as fh:
            t, _ = timed(in_ns(["ipvsadm", "-R"]), stdin=fh)
        runs.append(t)
        assert count() == ops
    restore = min(runs)
    report("ipvsadm -R of the same 5000 rules", restore, "s", stats(runs))
    report("ratio netlink apply / ipvsadm -R", netlink_full / restore, "x", "(target <= 1.5)")

    # --- what the netlink apply spends its time on (in process)
    flush()
    sh(f"rm -rf {shlex.quote(str(work / 'state'))}")
    phases = subprocess.run(in_ns([PY, str(HERE / "bench_apply.py"), "--phases", str(full)]),
                            capture_output=True, text=True, cwd=REPO, env=env, check=True)
    lines = phases.stdout.splitlines()
    print("\n".join(ln for ln in lines if not ln.startswith("PHASES-JSON ")), flush=True)
    inproc = json.loads([ln for ln in lines if ln.startswith("PHASES-JSON ")][-1][12:])
    full_in = inproc["reconcile from empty (dump, diff, 5000 ops, state)"]
    one_in = inproc["reconcile, one weight (snapshot)"]
    report("in process: one-change reconcile / reconcile from empty", 100 * one_in / full_in,
           "%", "(target < 5%)")
    report("in process: one-change reconcile / whole full apply", 100 * one_in / netlink_full,
           "%")
    report("in process: one-change reconcile without the snapshot / from empty",
           100 * inproc["reconcile, one weight (no snapshot: full dump)"] / full_in, "%")

    # --- one-change apply on the full table (whole command), and a no-change run
    flush()
    sh(f"rm -rf {shlex.quote(str(work / 'state'))}")
    timed(in_ns(lvs + ["apply", "-c", str(full)]), env=env)
    runs = []
    for i in range(5):
        cfg = bumped if i % 2 == 0 else full
        t, out = timed(in_ns(lvs + ["apply", "-c", str(cfg)]), env=env)
        assert out.strip() == "0 added, 1 changed, 0 removed", out
        runs.append(t)
    one = min(runs)
    report("one-change lvslite apply on 1000x4 (1 op), whole command", one, "s", stats(runs))
    report("whole command: one-change apply / full apply", 100 * one / netlink_full, "%",
           "(parse and start-up included)")
    t, out = timed(in_ns(lvs + ["apply", "-c", str(bumped)]), env=env)
    assert out.strip() == "0 added, 0 changed, 0 removed", out
    report("no-change apply on 1000x4 (0 ops), netlink", t, "s")

    # --- the ipvsadm backend: 5000 forks
    sub = work / "sub.json"
    sub.write_text(json.dumps(make_config(100)))
    flush()
    sh(f"rm -rf {shlex.quote(str(work / 'state'))}")
    t100, out = timed(in_ns(lvs + ["apply", "-c", str(sub), "--backend", "ipvsadm"]), env=env)
    assert out.strip() == "500 added, 0 changed, 0 removed", out
    report("apply 100x4 from empty, ipvsadm backend", t100, "s")
    if t100 * 10 > BUDGET_S:
        report("apply 1000x4 from empty, ipvsadm backend", t100 * 10, "s",
               f"ESTIMATE: 10 x the 100-service subset (5000 forks would take over "
               f"{BUDGET_S:.0f} s here)")
        ipvsadm_full = t100 * 10
    else:
        flush()
        sh(f"rm -rf {shlex.quote(str(work / 'state'))}")
        ipvsadm_full, out = timed(in_ns(lvs + ["apply", "-c", str(full), "--backend",
                                               "ipvsadm"]), env=env)
        assert out.strip() == f"{ops} added, 0 changed, 0 removed", out
        report("apply 1000x4 from empty, ipvsadm backend", ipvsadm_full, "s", "measured")
    report("ratio ipvsadm backend / netlink", ipvsadm_full / netlink_full, "x")

    # --- import time and RSS: lvslite apply vs a bare interpreter
    small = REPO / "tests" / "fixtures" / "configs" / "design-example.json"
    flush()
    sh(f"rm -rf {shlex.quote(str(work / 'state'))}")
    subprocess.run(in_ns(lvs + ["apply", "-c", str(small)]), env=env, check=True,
                   capture_output=True, cwd=REPO)
    imports = ("import lvslite.cli, lvslite.cmd.apply, lvslite.config, lvslite.ipvs.netlink, "
               "lvslite.reconcile, lvslite.state, lvslite.snapshot, lvslite.sync\n")
    bare_t, bare_rss, imp_t, imp_rss, app_t, app_rss = [], [], [], [], [], []
    for _ in range(7):
        t, r = hwm_of([PY, "-I", "-c", HWM])
        bare_t.append(t)
        bare_rss.append(r)
        t, r = hwm_of([PY, "-I", "-c", BOX_START + imports + HWM])
        imp_t.append(t)
        imp_rss.append(r)
        t, r = hwm_of(in_ns([PY, "-I", "-c", RUN_LVSLITE, "apply", "-c", str(small)]), env=env)
        app_t.append(t)
        app_rss.append(r)
    report("python3 -I -c pass", min(bare_t), "s", stats(bare_t))
    report("python3 -I -c 'import <all lvslite apply imports>'", min(imp_t), "s", stats(imp_t))
    report("import time of lvslite apply (difference of minimums)", min(imp_t) - min(bare_t),
           "s")
    report("lvslite apply, design example, no change", min(app_t), "s",
           stats(app_t) + " (ip netns exec included)")
    report("peak RSS (VmHWM) python3 -I -c pass", statistics.median(bare_rss) / 1024, "MB")
    report("peak RSS (VmHWM) after lvslite apply's imports", statistics.median(imp_rss) / 1024,
           "MB")
    report("peak RSS (VmHWM) lvslite apply, design example",
           statistics.median(app_rss) / 1024, "MB")
    report("RSS difference lvslite apply - bare python",
           (statistics.median(app_rss) - statistics.median(bare_rss)) / 1024, "MB",
           "(target <= 4 MB)")
    flush()
    sh(f"rm -rf {shlex.quote(str(work / 'state'))}")
    _, big_rss = hwm_of(in_ns([PY, "-I", "-c", RUN_LVSLITE, "apply", "-c", str(full)]), env=env)
    report("peak RSS (VmHWM) lvslite apply 1000x4 from empty", big_rss / 1024, "MB")
    importtime = subprocess.run(
        in_ns([PY, "-I", "-X", "importtime", "-c", WRAPPER, "apply", "-c", str(small)]),
        capture_output=True, text=True, env=env, cwd=REPO)
    mods = [ln for ln in importtime.stderr.splitlines() if ln.startswith("import time:")]
    print(f"modules imported by lvslite apply: {len(mods) - 1}")
    print("BENCH-JSON " + json.dumps(results))
    sh(f"ip netns del {NS}")
    return 0


def clocked(parts: dict, owner, name: str, label: str):
    """Wrap owner.name so that its time adds up in parts[label]; returns the undo."""
    real = getattr(owner, name)

    def wrapper(*a, **kw):
        start = time.perf_counter()
        try:
            return real(*a, **kw)
        finally:
            parts[label] = parts.get(label, 0.0) + time.perf_counter() - start
    setattr(owner, name, wrapper)
    return lambda: setattr(owner, name, real)


def phases(config_path: str) -> int:
    """In-process breakdown (run inside the namespace, on an empty table): what one `apply`
    spends its time on, and reconcile itself (lvslite.sync.apply: read the kernel or its
    snapshot, diff, operations, state) from empty vs for one change, as the daemon runs it
    on a reload. Prints lines, then PHASES-JSON with the figures."""
    sys.path.insert(0, str(REPO))
    t0 = time.perf_counter()
    from lvslite.sync import apply as execute
    from lvslite.config import load
    from lvslite.ipvs.netlink import NetlinkBackend
    from lvslite.model import apply_table
    from lvslite import snapshot
    t1 = time.perf_counter()
    table = apply_table(load(config_path))
    t2 = time.perf_counter()
    folder = tempfile.mkdtemp(prefix="bench-phases-")
    nl = NetlinkBackend()
    some = list(table.values())[len(table) * 2 // 3]
    bumped = dict(table)
    bumped[some.key] = some.replace(reals=(some.reals[0].replace(weight=9),) + some.reals[1:])
    out = {}

    def timed_exec(name, want, n_ops, forget=False, runs=1):
        best = None
        for _ in range(runs):
            if forget:
                snapshot.forget(folder)
            start = time.perf_counter()
            ops = execute(want, nl, directory=folder)
            took = time.perf_counter() - start
            assert len(ops) == n_ops, (name, len(ops))
            best = took if best is None else min(best, took)
            if n_ops and runs > 1:     # undo, so the next run changes the same weight again
                execute(table if want is bumped else bumped, nl, directory=folder)
        out[name] = best
        print(f"  in process: {name:<58} {best:>8.3f} s", flush=True)

    print(f"  in process: {'imports (apply, config, netlink, model)':<58} {t1 - t0:>8.3f} s")
    print(f"  in process: {'parse + validate the 1000x4 config':<58} {t2 - t1:>8.3f} s")
    out["parse"] = t2 - t1
    n = sum(1 + len(v.reals) for v in table.values())
    timed_exec("reconcile from empty (dump, diff, 5000 ops, state)", table, n)
    start = time.perf_counter()
    dumped = nl.dump()
    out["dump"] = time.perf_counter() - start
    assert len(dumped) == len(table)
    print(f"  in process: {'netlink dump of the full table':<58} {out['dump']:>8.3f} s")
    start = time.perf_counter()
    seen = snapshot.witness()
    out["witness"] = time.perf_counter() - start
    print(f"  in process: {'read /proc/net/ip_vs, counters cut (the witness)':<58} "
          f"{out['witness']:>8.3f} s  ({len(seen)} bytes)")
    timed_exec("reconcile, no change (snapshot)", table, 0, runs=3)
    timed_exec("reconcile, one weight (snapshot)", bumped, 1, runs=3)
    # where one such reconcile spends its time: wrap each step with a timer
    from lvslite import reconcile, state
    parts: dict = {}
    undo = [clocked(parts, snapshot, "witness", "witness"),
            clocked(parts, snapshot, "recall", "recall"),
            clocked(parts, snapshot, "hidden_matters", "hidden"),
            clocked(parts, state, "load_owned", "load_owned"),
            clocked(parts, reconcile, "diff", "diff"), clocked(parts, nl, "apply", "kernel op"),
            clocked(parts, state.Ledger, "record", "owned.json"),
            clocked(parts, snapshot, "after", "after"),
            clocked(parts, snapshot, "remember", "remember")]
    start = time.perf_counter()
    execute(bumped, nl, directory=folder)
    total = time.perf_counter() - start
    for u in undo:
        u()
    execute(table, nl, directory=folder)
    print("  in process: one weight (snapshot), by step: " + ", ".join(
        f"{k} {1000 * v:.1f}" for k, v in parts.items()) +
        f"; rest {1000 * (total - sum(parts.values())):.1f} (ms)", flush=True)
    timed_exec("reconcile, one weight (no snapshot: full dump)", bumped, 1, forget=True)
    print("PHASES-JSON " + json.dumps(out), flush=True)
    return 0


def main_host(script: str = "bench_apply.py", run: str = "run-perf-apply",
              timeout: float = 1500) -> int:
    """Boot the guest once and run tests/vm/`script` --in-guest there, printing its lines."""
    sys.path.insert(0, str(HERE))
    import rig
    outdir = Path(os.environ.get("LVSLITE_VM_OUT", rig.CACHE / run))
    # the guest sees the repo read-only: byte-compile here, as a firmware image would ship it,
    # or every run in the guest compiles lvslite again and times the compiler
    import compileall
    compileall.compile_dir(str(REPO / "lvslite"), quiet=1)
    boot = rig.boot(f"{shlex.quote(PY)} tests/vm/{script} --in-guest", timeout=timeout,
                    outdir=outdir,
                    echo=lambda line: None if line.startswith("[") else print(line, flush=True))
    print(f"rig: guest {boot.kernel or '?'}: rc={boot.rc} after {boot.seconds:.0f}s"
          + (" (TIMED OUT)" if boot.timed_out else ""))
    return boot.rc if boot.rc is not None else 1


if __name__ == "__main__":
    if sys.argv[1:2] == ["--in-guest"]:
        sys.exit(main_in_guest())
    if sys.argv[1:2] == ["--phases"]:
        sys.exit(phases(sys.argv[2]))
    sys.exit(main_host())
