"""Helpers of the image tests: the test config, booting the card, the lab in the guest.

Kept out of conftest.py so test modules import them by a name no other folder uses.
"""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List

import guestvm

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

IMAGE_DIR = REPO / "out/image"
OUT = Path(os.environ.get("LVSLITE_IMAGE_OUT", REPO / ".cache/image/run"))
BOOT_TIMEOUT = float(os.environ.get("LVSLITE_IMAGE_BOOT_TIMEOUT", 240))

# The config the tests put on the card's /cfg partition before the first boot, the way an
# administrator would with a card reader (FAT): LVS-NAT, HTTP checks every second.
VIP = "10.0.1.100"
REALS = {"rs1": "10.0.0.10", "rs2": "10.0.0.20"}
CHECK = {"type": "negotiate", "service": "http", "request": "/alive.html",
         "receive": "alive", "interval": 1, "timeout": 2}


def config(scheduler: str = "rr", weights=(1, 1)) -> dict:
    return {"services": [{
        "virtual": f"{VIP}:80", "protocol": "tcp", "scheduler": scheduler, "forward": "masq",
        "check": CHECK,
        "reals": [{"address": f"{a}:80", "weight": w} for a, w in zip(REALS.values(), weights)],
    }]}


@dataclass
class Card:
    path: Path
    manifest: dict

    def partition(self, name: str) -> dict:
        return next(p for p in self.manifest["partitions"] if p["name"] == name)


@dataclass
class Report:
    lines: List[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        self.lines.append(line)


REPORT = Report()


def boot(card: Card, what: str, out: Path = OUT, report: Report = REPORT) -> guestvm.Guest:
    out.mkdir(parents=True, exist_ok=True)
    # a cross-route card says which CPU model and RAM its board has (firmware/boards.json)
    g = guestvm.Guest(card.path, out / "console.log", card.manifest.get("qemu_mb") or 128,
                      card.manifest.get("qemu_cpu"))
    g.start()
    try:
        shell = g.wait_shell(BOOT_TIMEOUT)
        g.sh("stty cols 500 2>/dev/null; export TERM=dumb", timeout=20, check=False)
        pid = wait_daemon(g, BOOT_TIMEOUT)
    except Exception:
        g.power_cut()
        raise
    g.boot_seconds = shell
    g.daemon_seconds = pid
    report.add(f"{what}: console shell after {shell:.1f} s, `lvslite run` up after {pid:.1f} s "
               f"(wall clock from qemu start); console log {out / 'console.log'}")
    return g


def wait_daemon(g: guestvm.Guest, timeout: float) -> float:
    end = time.monotonic() + timeout
    while True:
        rc, out = g.sh("cat /proc/$(cat /run/lvslite/lvslite.pid)/cmdline | tr '\\0' ' '",
                       check=False, timeout=30)
        if rc == 0 and " run " in f" {out} ":
            return time.monotonic() - g.started
        if time.monotonic() > end:
            raise guestvm.GuestError(f"no running `lvslite run` (pid file /run/lvslite/"
                                     f"lvslite.pid) after {timeout:.0f}s:\n{out}\n"
                                     f"{g.out('ps; logread | tail -20', timeout=30)}")
        time.sleep(2)


def build_lab(g: guestvm.Guest) -> Dict[str, str]:
    """In the guest: a client namespace on the director's front side (the VIP's side) and
    two real servers (busybox httpd) behind a bridge, routed back through the director.

        cl 10.0.1.2 --veth-- front 10.0.1.1 + VIP   director   br0 10.0.0.1 -- rs1, rs2
    """
    cmds = [
        "ip netns add cl", "ip link add front type veth peer name eth0 netns cl",
        "ip addr add 10.0.1.1/24 dev front", f"ip addr add {VIP}/32 dev front",
        "ip link set front up", "ip -n cl link set lo up",
        "ip -n cl addr add 10.0.1.2/24 dev eth0", "ip -n cl link set eth0 up",
        "ip -n cl route add default via 10.0.1.1",
        "ip link add br0 type bridge", "ip addr add 10.0.0.1/24 dev br0", "ip link set br0 up",
    ]
    for name, addr in REALS.items():
        cmds += [
            f"ip netns add {name}", f"ip link add {name} type veth peer name eth0 netns {name}",
            f"ip link set {name} master br0", f"ip link set {name} up",
            f"ip -n {name} link set lo up", f"ip -n {name} addr add {addr}/24 dev eth0",
            f"ip -n {name} link set eth0 up", f"ip -n {name} route add default via 10.0.0.1",
            f"mkdir -p /tmp/www-{name} && echo {name} > /tmp/www-{name}/index.html "
            f"&& echo alive > /tmp/www-{name}/alive.html",
            f"ip netns exec {name} httpd -p 80 -h /tmp/www-{name}",
        ]
    for c in cmds:
        g.sh(c, timeout=30)
    return dict(REALS)


# ------------------------------------------------------------------ the card and the table
def counters(g) -> dict:
    """{device: sectors written} of the card (sda and its partitions), from the guest."""
    from lvslite.wear.diskstats import parse_counters

    devs = parse_counters(g.out("cat /proc/diskstats"))
    return {n: c.sectors_written for n, c in devs.items() if re.fullmatch(r"sda\d*", n)}


def tables(g, path: str = "/cfg/lvslite.json"):
    """(the table the config at `path` asks for, the kernel's table), as lvslite's model."""
    from lvslite.config import parse
    from lvslite.model import apply_table

    wanted = g.out(f"cat {path}")
    live = g.out("lvslite export --format json", timeout=90)
    return apply_table(parse(wanted, path)), apply_table(parse(live, "export"))


def wait_table(g, timeout: float = 120, path: str = "/cfg/lvslite.json"):
    end = time.monotonic() + timeout
    while True:
        want, have = tables(g, path)
        if want == have or time.monotonic() > end:
            return want, have
        time.sleep(2)


def prepare_card(image: Path, folder: Path, cfg: dict) -> Card:
    """A copy of a built image in `folder` with `cfg` on its /cfg partition, written the way
    an administrator would with a card reader (mtools on the FAT partition)."""
    import json
    import shutil
    import subprocess
    path = folder / image.name
    shutil.copyfile(image, path)
    c = Card(path, json.loads(image.with_name("manifest.json").read_text()))
    cfg_file = folder / "lvslite.json"
    cfg_file.write_text(json.dumps(cfg, indent=2) + "\n")
    off = c.partition("cfg")["start"]
    subprocess.run(["mcopy", "-o", "-i", f"{path}@@{off}", str(cfg_file), "::/lvslite.json"],
                   check=True, env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    return c


def test_card(image: Path, out: Path, folder: Path, cfg: dict, hint: str) -> Card:
    """prepare_card() for a test session, once its prerequisites are there (need(): skip on
    a developer's machine, fail in CI); `out` (the console log's folder) starts empty."""
    import shutil
    from support import need
    why = guestvm.available()
    need(why is None, why or "")
    need(image.exists() and image.with_name("manifest.json").exists(), f"no {image} ({hint})")
    need(shutil.which("mcopy") is not None, "mcopy not installed (apt-get install mtools)")
    out.mkdir(parents=True, exist_ok=True)
    (out / "console.log").unlink(missing_ok=True)      # this session's boots only
    return prepare_card(image, folder, cfg)


def traffic(seconds: int, url: str, seen: str = "/dev/null") -> str:
    """A client loop (for `sh -c '...'` in the client's namespace): wget `url` for
    `seconds`, each answer appended to `seen`; prints requests=N ok=M."""
    return (f"end=$(( $(date +%s) + {seconds} )); n=0; ok=0; "
            f"while [ $(date +%s) -lt $end ]; do n=$((n+1)); "
            f"timeout 5 wget -q -O - {url} >> {seen} 2>/dev/null && ok=$((ok+1)); done; "
            f"echo requests=$n ok=$ok")


def save_measured(path: Path, **values) -> None:
    """Add figures to a measured.json (printed by `make image-bench`, never asserted)."""
    import json
    data = json.loads(path.read_text()) if path.exists() else {}
    data.update(values)
    path.write_text(json.dumps(data, indent=2) + "\n")


def check_cpu(g, m0: dict, m1: dict, seconds: float, path: str = "/etc/lvslite.json"
              ) -> dict:
    """The daemon's CPU per health check between two memory() samples `seconds` apart."""
    import json
    cfg = json.loads(g.out(f"cat {path}"))
    checks = seconds * sum(len(s["reals"]) / s.get("check", {}).get("interval", 1)
                           for s in cfg["services"] if s.get("check"))
    ticks = m1["daemon_cpu_ticks"] - m0["daemon_cpu_ticks"]
    cpu_s = ticks / 100                     # USER_HZ: 100 on x86 Linux
    return {"checks": round(checks), "steady_daemon_cpu_s": round(cpu_s, 2),
            "cpu_ms_per_check": round(cpu_s * 1000 / checks, 2) if checks else None,
            "steady_rss_kb": m1["daemon_rss_kb"]}


def memory(g) -> dict:
    """The guest's /proc/meminfo (kB) and the daemon's RSS (kB) and CPU time (clock ticks)."""
    mem = {k: int(v) for k, v in re.findall(r"(\w+):\s+(\d+) kB", g.out("cat /proc/meminfo"))}
    pid = g.out("cat /run/lvslite/lvslite.pid").strip()
    status = g.out(f"cat /proc/{pid}/status")
    stat = g.out(f"cat /proc/{pid}/stat").rsplit(")", 1)[1].split()
    return {"mem_total_kb": mem["MemTotal"], "mem_free_kb": mem["MemFree"],
            "mem_available_kb": mem["MemAvailable"],
            "daemon_rss_kb": int(re.search(r"VmRSS:\s+(\d+)", status).group(1)),
            "daemon_cpu_ticks": int(stat[11]) + int(stat[12]), "daemon_pid": int(pid)}
