"""Benchmark, not a test (docs/reference/control-planes.md#footprints): `lvslite run` beside keepalived and ldirectord in one guest.

Each control plane runs in turn in the lab's director namespace, with the IPVS table flushed
between them, on configs written here from one description so the settings stay equivalent:
  seed  the seed's ldirectord.cf (two services, :80 http and :443 https negotiate on
        /alive.html for "I'm alive!", checkinterval 2, checktimeout 10, fallback, quiescent no)
  many  one service with 100 reals (50 addresses on each real's namespace), checked every 1 s
and prints one table: resident memory, start -> all reals programmed, death -> removal, and CPU
seconds over 60 s of checking 100 reals. Numbers are compared with the targets set for the daemon, never
asserted. The kernel table is read from /proc/<pid>/net/ip_vs of a process in the director
namespace (what `ipvsadm -Sn` shows, without a fork per poll, so the 20 ms polls do not load
the emulator); the final table of each run is also checked with `ipvsadm -Sn`.

usage (host):  python tests/vm/perf_daemon.py [--out FILE]   boots the guest, runs --guest there
       (guest): python tests/vm/perf_daemon.py --guest [--out FILE]
       (internal) perf_daemon.py serve-tls NAME PORT CERT KEY   the reals' https server
"""
from __future__ import annotations

import json
import os
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
WORK = Path("/tmp/perf")
VIP = "10.0.0.100"                 # the seed's VIP (ldirectord.cf: virtual=10.0.0.100:80)
CPU_WINDOW_S = float(os.environ.get("PERF_CPU_WINDOW_S", "60"))  # CPU per check measured "over 60 s"
DETECT_SAMPLES = int(os.environ.get("PERF_DETECT_SAMPLES", "4"))
CLK_TCK = os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the configs

@dataclass(frozen=True)
class Svc:
    port: int
    service: str               # http | https: what the negotiate check speaks
    reals: tuple               # "a.b.c.d:port" strings
    interval: float
    timeout: float
    fallback: str


def seed_services() -> list[Svc]:
    """The seed's ldirectord.cf (LVS-HOWTO ch. 3, docs/reference/models.md#the-seed-thread): checkinterval=2, checktimeout=10."""
    return [Svc(p, s, (f"10.0.0.10:{p}", f"10.0.0.20:{p}"), 2, 10, f"127.0.0.1:{p}")
            for p, s in ((80, "http"), (443, "https"))]


def many_addresses() -> dict[str, list[str]]:
    """100 reals: each real namespace's own address plus 49 more on its eth0 (the httpd binds
    0.0.0.0, so every address answers). .100 is the VIP and stays out."""
    return {"rs1": ["10.0.0.10"] + [f"10.0.0.{i}" for i in range(101, 150)],
            "rs2": ["10.0.0.20"] + [f"10.0.0.{i}" for i in range(151, 200)]}


def many_services() -> list[Svc]:
    reals = tuple(f"{a}:80" for addrs in many_addresses().values() for a in addrs)
    return [Svc(80, "http", reals, 1, 2, "127.0.0.1:80")]


def lvslite_conf(svcs: list[Svc]) -> str:
    return json.dumps({"services": [{
        "virtual": f"{VIP}:{s.port}", "protocol": "tcp", "scheduler": "wrr",
        "persistent": 1800, "forward": "gate", "fallback": s.fallback, "quiescent": False,
        "check": {"type": "negotiate", "service": s.service, "request": "/alive.html",
                  "receive": "I'm alive!", "interval": s.interval, "timeout": s.timeout},
        "reals": list(s.reals)} for s in svcs]}, indent=1)


def keepalived_conf(svcs: list[Svc]) -> str:
    """alpha: reals start down and enter after a passing check, as in lvslite and ldirectord
    (keepalived's default assumes them up and programs them unchecked). warmup 0: the first
    check at once (the default scatters it over delay_loop). retry 0: down at the first
    failure (fall 1, failurecount 1); the default retries once after 3 s."""
    out = ["global_defs {", "  router_id lvslite-perf", "}"]
    for s in svcs:
        fb_ip, fb_port = s.fallback.rsplit(":", 1)
        check = "SSL_GET" if s.service == "https" else "HTTP_GET"
        out += [f"virtual_server {VIP} {s.port} {{", f"  delay_loop {s.interval:g}",
                "  lb_algo wrr", "  lb_kind DR", "  persistence_timeout 1800", "  protocol TCP",
                "  alpha", f"  sorry_server {fb_ip} {fb_port}"]
        for real in s.reals:
            ip, port = real.rsplit(":", 1)
            out += [f"  real_server {ip} {port} {{", "    weight 1", f"    {check} {{",
                    "      url {", "        path /alive.html", "        status_code 200",
                    "        regex \"I'm alive!\"", "      }",
                    f"      connect_timeout {s.timeout:g}", "      retry 0",
                    "      delay_before_retry 1", "      warmup 0", "    }", "  }"]
        out.append("}")
    return "\n".join(out) + "\n"


def ldirectord_conf(svcs: list[Svc], logfile: Path) -> str:
    """The seed's file, minus autoreload (lvslite and keepalived reload on SIGHUP only), with
    negotiatetimeout = checktimeout (negotiate checks use the former, default 30 s)."""
    s0 = svcs[0]
    out = [f"checktimeout={s0.timeout:g}", f"negotiatetimeout={s0.timeout:g}",
           f"checkinterval={s0.interval:g}", "autoreload=no", f'logfile="{logfile}"',
           "quiescent=no"]
    for s in svcs:
        out.append(f"virtual={VIP}:{s.port}")
        out += [f"\tfallback={s.fallback}"] + [f"\treal={r} gate" for r in s.reals]
        out += [f"\tservice={s.service}", '\trequest="alive.html"', '\treceive="I\'m alive!"',
                "\tscheduler=wrr", "\tpersistent=1800", "\tprotocol=tcp",
                "\tchecktype=negotiate"]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- /proc readings

def ipvs_table(pid: int) -> dict[str, dict[str, int]]:
    """{virtual: {real: weight}} from /proc/<pid>/net/ip_vs (the netns of that pid)."""
    def addr(hexed: str) -> str:
        ip, port = hexed.split(":")
        return ".".join(str(int(ip[i:i + 2], 16)) for i in (0, 2, 4, 6)) + f":{int(port, 16)}"
    table: dict[str, dict[str, int]] = {}
    current = None
    with open(f"/proc/{pid}/net/ip_vs") as fh:
        for line in fh.read().splitlines()[3:]:
            parts = line.split()
            if parts[:1] == ["->"]:
                if current is not None:
                    table[current][addr(parts[1])] = int(parts[3])
            elif parts and parts[0] in ("TCP", "UDP", "SCTP"):
                current = addr(parts[1])
                table[current] = {}
    return table


def all_in(table, svcs: list[Svc]) -> bool:
    return all(table.get(f"{VIP}:{s.port}", {}).get(r, 0) > 0 for s in svcs for r in s.reals)


def proc_tree(root: int) -> list[int]:
    """root and all its live descendants (zombies left out)."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if fields[0] != "Z":
            parent[int(entry)] = int(fields[1])
    found, todo = [], [root] if root in parent else []
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += [p for p, pp in parent.items() if pp == pid]
    return found


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """utime+stime+cutime+cstime per pid: reaped children land in their parent's c-times."""
    out = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        f = stat[stat.rindex(")") + 2:].split()
        out[pid] = sum(int(x) for x in f[11:15])
    return out


def memory_kb(pids: list[int]) -> tuple[int, int]:
    """(RSS summed, PSS summed) in kB. RSS counts shared pages once per process."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    rss += int(line.split()[1])
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def passive_opens(pid: int) -> int:
    """TCP connections accepted in the netns of `pid` (/proc/net/snmp Tcp PassiveOpens)."""
    rows = [l.split() for l in Path(f"/proc/{pid}/net/snmp").read_text().splitlines()
            if l.startswith("Tcp:")]
    return int(rows[1][rows[0].index("PassiveOpens")])


# --------------------------------------------------------------------------- control planes

class Plane:
    """One control plane: started in the director namespace, found by its process tree."""
    name = ""

    def __init__(self, lab):
        self.lab = lab
        self.proc: subprocess.Popen | None = None
        self.log = WORK / f"{self.name}.log"

    def start(self, svcs: list[Svc], tag: str) -> None:
        raise NotImplementedError

    def root(self) -> int | None:
        return self.proc.pid if self.proc else None

    def pids(self) -> list[int]:
        root = self.root()
        return proc_tree(root) if root else []

    def _spawn(self, argv: list[str], env=None) -> subprocess.Popen:
        logf = open(self.log, "a")
        return subprocess.Popen(["ip", "netns", "exec", self.lab.director, *argv],
                                stdout=logf, stderr=subprocess.STDOUT, cwd=str(REPO),
                                env=dict(os.environ, **(env or {})))

    def stop(self) -> None:
        root = self.root()
        if root:
            try:
                os.kill(root, signal.SIGTERM)
            except ProcessLookupError:
                pass
            end = time.monotonic() + 20
            while self.pids() and time.monotonic() < end:
                time.sleep(0.1)
            for pid in self.pids():
                os.kill(pid, signal.SIGKILL)
        if self.proc:
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.proc = None


class Lvslite(Plane):
    name = "lvslite"

    def start(self, svcs, tag):
        cfg = WORK / f"lvslite-{tag}.json"
        cfg.write_text(lvslite_conf(svcs))
        self.proc = self._spawn([sys.executable, "-m", "lvslite", "run", "-c", str(cfg),
                                 "--log", "stderr"],
                                env={"LVSLITE_STATE_DIR": f"/run/lvslite-perf-{tag}",
                                     "PYTHONPATH": str(REPO)})


class Keepalived(Plane):
    name = "keepalived"

    def start(self, svcs, tag):
        cfg = WORK / f"keepalived-{tag}.conf"
        cfg.write_text(keepalived_conf(svcs))
        for f in Path("/run").glob("perf-keepalived*.pid"):
            f.unlink()
        # -C: the checker only (no VRRP is configured); -n: stay in the foreground
        # -l -G: log to stderr (our log file), not to a missing syslog (-> /dev/console)
        self.proc = self._spawn(["keepalived", "-n", "-l", "-G", "-D", "-C", "-f", str(cfg),
                                 "-p", "/run/perf-keepalived.pid",
                                 "-c", "/run/perf-keepalived-checkers.pid"])


class Ldirectord(Plane):
    """Started as init scripts do (it daemonizes); found through its pid file."""
    name = "ldirectord"

    def start(self, svcs, tag):
        cfg = WORK / f"ldirectord-{tag}.cf"
        cfg.write_text(ldirectord_conf(svcs, WORK / f"ldirectord-{tag}.log"))
        self.pidfile = Path(f"/run/ldirectord.{cfg.name}.pid")
        self.pidfile.unlink(missing_ok=True)
        self._pid = None
        # LWP >= 6 verifies the chain even with verify_hostname => 0 (resource-agents #361):
        # without the reals' certificate as its CA, every https check of ldirectord fails
        self.proc = self._spawn(["ldirectord", str(cfg), "start"],
                                env={"PERL_LWP_SSL_CA_FILE": str(WORK / "cert.pem")})

    def root(self):
        if self._pid is None and self.proc is not None:
            try:
                self._pid = int(self.pidfile.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                return None
        return self._pid

    def stop(self):
        super().stop()
        self._pid = None


# --------------------------------------------------------------------------- the runs

def log(msg: str) -> None:
    print(f"perf: {msg}", flush=True)


def wait_table(tablepid: int, pred, timeout: float, poll: float = 0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred(ipvs_table(tablepid)):
            return time.monotonic()
        time.sleep(poll)
    return None


def run_seed(plane: Plane, lab, tablepid: int) -> dict:
    svcs = seed_services()
    res: dict = {}
    t0 = time.monotonic()
    plane.start(svcs, "seed")
    done = wait_table(tablepid, lambda t: all_in(t, svcs), 120)
    if done is None:
        log(f"{plane.name}: reals not all programmed after 120 s: {ipvs_table(tablepid)}")
        return res
    res["start_s"] = done - t0
    time.sleep(3)
    res["procs"] = len(plane.pids())
    res["rss_kb"], res["pss_kb"] = memory_kb(plane.pids())
    # death -> removal of 10.0.0.10:80 from the :80 service (refused connections)
    samples = []
    for _ in range(DETECT_SAMPLES):
        time.sleep(random.uniform(0.3, 2.3))   # a random phase against the check timers
        t_kill = time.monotonic()
        lab.stop_httpd("rs1")
        gone = wait_table(tablepid, lambda t: "10.0.0.10:80" not in t.get(f"{VIP}:80", {}), 30)
        if gone is None:
            log(f"{plane.name}: 10.0.0.10:80 still in after 30 s")
        else:
            samples.append(gone - t_kill)
        lab.start_httpd("rs1")
        if wait_table(tablepid, lambda t: all_in(t, svcs), 30) is None:
            log(f"{plane.name}: 10.0.0.10:80 not back after 30 s")
            break
    res["detect_s"] = samples
    rss2, pss2 = memory_kb(plane.pids())
    res["rss_kb"], res["pss_kb"] = max(res["rss_kb"], rss2), max(res["pss_kb"], pss2)
    return res


def run_many(plane: Plane, lab, tablepid: int) -> dict:
    svcs = many_services()
    res: dict = {}
    t0 = time.monotonic()
    plane.start(svcs, "many")
    done = wait_table(tablepid, lambda t: all_in(t, svcs), 90, poll=0.1)
    if done is None:
        # measured anyway: CPU per check does not need a full table
        n = len(ipvs_table(tablepid).get(f"{VIP}:80", {}))
        log(f"{plane.name}: only {n} of 100 reals programmed after 90 s; measuring anyway")
    else:
        res["start100_s"] = done - t0
    time.sleep(3)
    reals_ns = [lab.httpd[n].pid for n in ("rs1", "rs2")]
    opens0 = sum(passive_opens(p) for p in reals_ns)
    pids0 = plane.pids()
    cpu0 = cpu_ticks(pids0)
    rss = 0
    end = time.monotonic() + CPU_WINDOW_S
    t_start = time.monotonic()
    while time.monotonic() < end:
        time.sleep(min(5.0, max(0.0, end - time.monotonic())))
        rss = max(rss, memory_kb(plane.pids())[0])
    elapsed = time.monotonic() - t_start
    cpu1 = cpu_ticks(plane.pids())
    opens1 = sum(passive_opens(p) for p in reals_ns)
    res["cpu_s"] = (sum(cpu1.values()) - sum(cpu0.values())) / CLK_TCK * 60.0 / elapsed
    res["checks"] = (opens1 - opens0) * 60.0 / elapsed
    res["rss100_kb"] = rss
    res["in_at_end"] = sum(1 for w in ipvs_table(tablepid).get(f"{VIP}:80", {}).values() if w)
    return res


def setup_lab():
    sys.path.insert(0, str(HERE))
    from lab import new_lab, sh
    WORK.mkdir(parents=True, exist_ok=True)
    lab = new_lab()
    lab.add_vip(VIP)
    for name, addrs in many_addresses().items():
        batch = "".join(f"addr add {a}/32 dev eth0\n" for a in addrs[1:])
        subprocess.run(["ip", "-n", lab.ns(name), "-batch", "-"], input=batch, text=True,
                       check=True)
    # the reals' https side, with a throwaway self-signed certificate (no check verifies it)
    cert, key = WORK / "cert.pem", WORK / "key.pem"
    sh(f"openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
       f"-keyout {key} -out {cert} -subj /CN=real -days 2 2>/dev/null")
    for name in lab.reals:
        proc = subprocess.Popen(["ip", "netns", "exec", lab.ns(name), sys.executable, "-S",
                                 __file__, "serve-tls", name, "443", str(cert), str(key)],
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lab.procs.append(proc)
        line = proc.stdout.readline()
        if "listening" not in line:
            raise SystemExit(f"tls server {name} did not start: {line}")
    # a process in the director namespace whose /proc/<pid>/net/ip_vs we poll
    holder = subprocess.Popen(["ip", "netns", "exec", lab.director, "sleep", "100000"])
    lab.procs.append(holder)
    return lab, holder.pid


def guest_main(out: Path | None) -> int:
    random.seed(4)
    lab, tablepid = setup_lab()
    planes = [p for p in (Lvslite(lab), Keepalived(lab), Ldirectord(lab))
              if p.name == "lvslite" or shutil.which(p.name)]
    results: dict[str, dict] = {}
    versions: dict[str, str] = {}
    try:
        for plane in planes:
            res = {}
            for phase in (run_seed, run_many):
                lab.ipvsadm("-C")
                log(f"{plane.name}: {phase.__name__}")
                try:
                    res.update(phase(plane, lab, tablepid))
                finally:
                    final = lab.ipvsadm("-Sn")
                    plane.stop()
                    lab.ipvsadm("-C")
                log(f"{plane.name}: {phase.__name__} done; table at the end "
                    f"(ipvsadm -Sn): {len(final.splitlines())} lines")
            results[plane.name] = res
            log(f"{plane.name}: {json.dumps(res)}")
            if plane.log.exists():
                tail = plane.log.read_text().splitlines()[-5:]
                log(f"{plane.name} log tail: " + " | ".join(tail))
        versions["lvslite"] = f"python {sys.version.split()[0]}"
        if shutil.which("keepalived"):
            versions["keepalived"] = subprocess.run(
                ["keepalived", "--version"], capture_output=True, text=True).stderr.split("\n")[0]
        if shutil.which("ldirectord"):
            versions["ldirectord"] = subprocess.run(
                ["ldirectord", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    finally:
        lab.destroy()
        if out:   # the daemons' configs and logs, beside the table (for the report)
            keep = out.parent / "perf-logs"
            keep.mkdir(parents=True, exist_ok=True)
            for f in WORK.iterdir():
                if f.suffix in (".log", ".cf", ".conf", ".json"):
                    shutil.copy2(f, keep / f.name)
    text = render(results, versions)
    print(text, flush=True)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text)
    return 0


# --------------------------------------------------------------------------- the table

def render(results: dict[str, dict], versions: dict[str, str]) -> str:
    names = ["lvslite", "keepalived", "ldirectord"]
    r = {n: results.get(n, {}) for n in names}

    def num(n, key, fmt, scale=1.0):
        v = r[n].get(key)
        if v is None:
            return "-"
        return format(int(v), fmt) if fmt == "d" else format(v * scale, fmt)

    def detect(n, how):
        s = r[n].get("detect_s")
        return None if not s else how(s)

    def per_check(n):
        c, k = r[n].get("cpu_s"), r[n].get("checks")
        return None if c is None or not k else c / k * 1000

    rows = [
        ("RSS, seed config (MB, all procs)", [num(n, "rss_kb", ".1f", 1 / 1024) for n in names]),
        ("PSS, seed config (MB)", [num(n, "pss_kb", ".1f", 1 / 1024) for n in names]),
        ("processes", [num(n, "procs", "d") for n in names]),
        ("start -> 4 reals programmed (s)", [num(n, "start_s", ".2f") for n in names]),
        ("death -> removal, mean (s)",
         [_f(detect(n, statistics.mean), ".2f") for n in names]),
        ("death -> removal, max (s)", [_f(detect(n, max), ".2f") for n in names]),
        ("start -> 100 reals programmed (s)", [num(n, "start100_s", ".1f") for n in names]),
        ("CPU s in 60 s, 100 reals @1 s", [num(n, "cpu_s", ".2f") for n in names]),
        ("checks done in 60 s (want 6000)", [num(n, "checks", ".0f") for n in names]),
        ("CPU ms per check", [_f(per_check(n), ".2f") for n in names]),
        ("RSS with 100 reals (MB)", [num(n, "rss100_kb", ".1f", 1 / 1024) for n in names]),
        ("reals in at the end of 60 s", [num(n, "in_at_end", "d") for n in names]),
    ]
    w0 = max(len(label) for label, _ in rows)
    lines = ["lvslite run vs keepalived vs ldirectord: seed config (2 services x 2 reals, "
             "check every 2 s), then 100 reals checked every 1 s; one guest (qemu TCG)",
             f"{'':{w0}}  {'lvslite':>11} {'keepalived':>11} {'ldirectord':>11}"]
    lines += [f"{label:{w0}}  " + " ".join(f"{v:>11}" for v in vals) for label, vals in rows]
    lines.append("detection samples (s): " + "; ".join(
        f"{n} " + ",".join(f"{x:.2f}" for x in r[n].get("detect_s", [])) for n in names))
    for n in names:
        if r[n] and r[n].get("in_at_end", 100) < 100:
            lines.append(f"NOTE: {n} held only {r[n]['in_at_end']} of the 100 reals at the end "
                         f"(never all: start -> 100 is '-'); its 100-real row is not comparable")
    lines.append("versions: " + "; ".join(f"{k}: {v}" for k, v in versions.items()))
    lines.append("targets (compared, not asserted):")
    lv, ka = r["lvslite"], r["keepalived"]
    lines.append(_target("memory (RSS) <= keepalived's", lv.get("rss_kb"), ka.get("rss_kb"),
                         1.0, "MB", 1 / 1024))
    lines.append(_target("start -> programmed <= keepalived's", lv.get("start_s"),
                         ka.get("start_s"), 1.0, "s"))
    peers = [v for v in (detect("keepalived", statistics.mean),
                         detect("ldirectord", statistics.mean)) if v is not None]
    lines.append(_target("detection (mean) <= both peers'", detect("lvslite", statistics.mean),
                         min(peers) if peers else None, 1.0, "s"))
    lines.append(_target("CPU per check <= 3x keepalived's", per_check("lvslite"),
                         per_check("keepalived"), 3.0, "ms"))
    return "\n".join(lines) + "\n"


def _f(v, fmt):
    return "-" if v is None else format(v, fmt)


def _target(what, ours, theirs, factor, unit, scale=1.0):
    if ours is None or theirs is None:
        return f"  {what}: not measured"
    limit = theirs * factor
    if ours <= limit:
        return (f"  {what}: MET ({ours * scale:.2f} {unit} vs limit {limit * scale:.2f} "
                f"{unit})")
    return (f"  {what}: MISSED by {(ours - limit) * scale:.2f} {unit} "
            f"({ours / limit:.1f}x the limit {limit * scale:.2f} {unit})")


# --------------------------------------------------------------------------- entry points

def serve_tls(name: str, port: int, cert: str, key: str) -> None:
    """The reals' https side: like tests/vm/httpd.py behind TLS, a thread per connection so
    a slow handshake holds up nobody."""
    import socket
    import ssl
    import threading
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("", port))
    srv.listen(128)

    def handle(conn):
        conn.settimeout(5)
        try:
            tls = ctx.wrap_socket(conn, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = tls.recv(4096)
                if not chunk:
                    return
                head += chunk
            path = head.split(b" ", 2)[1] if head.count(b" ") >= 2 else b"/"
            body = b"I'm alive!\n" if path == b"/alive.html" else name.encode() + b"\n"
            tls.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                        + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body)
            tls.settimeout(1)
            tls.unwrap()
        except (OSError, ValueError):
            pass
        finally:
            conn.close()

    print("listening", flush=True)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=handle, args=(conn,), daemon=True).start()


def host_main(out: Path, timeout: float) -> int:
    """Boot the guest once with this script as its command; copy the table to `out`."""
    sys.path.insert(0, str(HERE))
    import rig
    outdir = Path(os.environ.get("LVSLITE_VM_OUT", REPO / ".cache" / "vm" / "run-perf"))
    inner = f"{shlex.quote(sys.executable)} tests/vm/perf_daemon.py --guest --out " \
            f"{shlex.quote(str(outdir / 'daemon.txt'))}"
    try:
        env = {k: v for k, v in os.environ.items() if k.startswith("PERF_")}
        boot = rig.boot(inner, timeout=timeout, outdir=outdir, env=env,
                        echo=lambda line: print(f"guest| {line}", flush=True))
    except rig.RigError as exc:
        print(f"perf: error: {exc}", file=sys.stderr)
        return 3
    table = outdir / "daemon.txt"
    if boot.timed_out or boot.rc != 0 or not table.exists():
        print(f"perf: error: the guest run failed (rc={boot.rc}, timed out={boot.timed_out},"
              f" {boot.seconds:.0f}s); console log: {outdir / 'console.log'}", file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table.read_text())
    print(f"\n{table.read_text()}(guest boot {boot.seconds:.0f}s; table written to {out})")
    return 0


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve-tls"]:
        serve_tls(argv[1], int(argv[2]), argv[3], argv[4])
        return 0
    out = Path(argv[argv.index("--out") + 1]) if "--out" in argv else None
    if "--guest" in argv or os.environ.get("LVSLITE_IN_GUEST") == "1":
        return guest_main(out)
    timeout = float(os.environ.get("PERF_TIMEOUT", "1200"))
    return host_main(out or REPO / "out" / "perf" / "daemon.txt", timeout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
