"""The Soekris boot tests' lab and config: the seed's two services, real servers in network
namespaces inside the guest, with busybox alone (the cross image has no iproute2).

A namespace is a process: `unshare -n sleep` keeps one alive and its pid names it; `nsenter
-t PID -n` runs a command inside. busybox's `ip link add NAME type veth` makes the pair's
peer `veth0`, which is moved into the namespace at once (`ip link set veth0 netns PID`).

    cl 10.0.1.2 --veth-- front 10.0.1.1 + VIP   director   br0 10.0.0.1 -- rs1, rs2

The seed (tests/fixtures/configs/seed-ldirectord.json: two services, wrr, persistent 1800,
"gate" (direct routing), HTTP and HTTPS checks) is adapted to the lab's addresses; the reals
carry the VIP on their loopback (direct routing) and answer plain HTTP on both ports, so the
443 service's check asks for http (the image's python3 has no ssl yet: firmware/README.md).
Replies leave the reals for the client through the director, which routes them (ip_forward,
accept_local for their VIP source).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Dict

import imagelab

REPO = Path(__file__).resolve().parents[2]
SEED = REPO / "tests/fixtures/configs/seed-ldirectord.json"
VIP = imagelab.VIP
REALS = dict(imagelab.REALS)
PORTS = (80, 443)
ALIVE = "I'm alive!"
REPORT = imagelab.Report()


def image_dir(board: str) -> Path:
    return REPO / "out/image" / board


def out_dir(board: str) -> Path:
    return Path(os.environ.get("LVSLITE_IMAGE_OUT", REPO / ".cache/image/run")) / board


def config() -> dict:
    """The seed's services on the lab's addresses."""
    seed = json.loads(SEED.read_text())
    old_vip = seed["services"][0]["virtual"].rsplit(":", 1)[0]
    old_reals = sorted({r.rsplit(":", 1)[0] for s in seed["services"] for r in s["reals"]})
    assert len(old_reals) == len(REALS)
    swap = dict(zip(old_reals, REALS.values()))
    for svc in seed["services"]:
        svc["virtual"] = svc["virtual"].replace(old_vip, VIP)
        svc["reals"] = [swap[r.rsplit(":", 1)[0]] + ":" + r.rsplit(":", 1)[1]
                        for r in svc["reals"]]
        if svc["check"].get("service") == "https":
            svc["check"]["service"] = "http"      # no ssl in the image's python3 yet
        svc["check"]["interval"] = 1
    return seed


def ns(name: str) -> str:
    return f"nsenter -t $(cat /run/lab/{name}.pid) -n"


def build_lab(g) -> Dict[str, str]:
    cmds = [
        "mkdir -p /run/lab",
        "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.accept_local=1",
        "unshare -n sleep 100000 & echo $! > /run/lab/cl.pid",
        "ip link add front type veth", "ip link set veth0 netns $(cat /run/lab/cl.pid)",
        "ip addr add 10.0.1.1/24 dev front", f"ip addr add {VIP}/32 dev front",
        "ip link set front up", f"{ns('cl')} ip link set lo up",
        f"{ns('cl')} ip addr add 10.0.1.2/24 dev veth0", f"{ns('cl')} ip link set veth0 up",
        f"{ns('cl')} ip route add default via 10.0.1.1",
        "ip link add br0 type bridge", "ip addr add 10.0.0.1/24 dev br0", "ip link set br0 up",
        "sysctl -qw net.ipv4.conf.br0.accept_local=1",
    ]
    for name, addr in REALS.items():
        www = f"/tmp/www-{name}"
        cmds += [
            f"unshare -n sleep 100000 & echo $! > /run/lab/{name}.pid",
            f"ip link add {name} type veth", f"ip link set veth0 netns $(cat /run/lab/{name}.pid)",
            f"ip link set {name} master br0", f"ip link set {name} up",
            f"{ns(name)} ip link set lo up", f"{ns(name)} ip addr add {VIP}/32 dev lo",
            f"{ns(name)} ip addr add {addr}/24 dev veth0", f"{ns(name)} ip link set veth0 up",
            f"{ns(name)} ip route add default via 10.0.0.1",
            f"mkdir -p {www} && echo {name} > {www}/index.html "
            f"&& echo \"{ALIVE}\" > {www}/alive.html",
        ]
        cmds += [start_real_cmd(name, port) for port in PORTS]
    for c in cmds:
        g.sh(c, timeout=30)
    return dict(REALS)


def start_real_cmd(name: str, port: int) -> str:
    """busybox httpd in the foreground (nsenter -n execs it), so `$!` is its pid."""
    return (f"{ns(name)} httpd -f -p {port} -h /tmp/www-{name} & "
            f"echo $! > /run/lab/{name}-{port}.pid")


def stop_real(g, name: str, port: int) -> None:
    g.sh(f"kill $(cat /run/lab/{name}-{port}.pid)")


def start_real(g, name: str, port: int) -> None:
    g.sh(start_real_cmd(name, port))


def hexaddr(addr: str, port: int) -> str:
    """How /proc/net/ip_vs writes an address and port: 0A000164:0050."""
    return "".join(f"{int(o):02X}" for o in addr.split(".")) + f":{port:04X}"


def wait_services(g, timeout: float = 300) -> float:
    """Seconds from qemu's start until both of the config's services are in the kernel's
    table (the daemon programs them at start; the reals follow their health checks)."""
    import time
    want = [hexaddr(VIP, p) for p in PORTS]
    end = time.monotonic() + timeout
    while True:
        table = g.out("cat /proc/net/ip_vs")
        if all(w in table for w in want):
            return time.monotonic() - g.started
        if time.monotonic() > end:
            raise AssertionError(f"the services are not in /proc/net/ip_vs after "
                                 f"{timeout:.0f}s:\n{table}\n{g.out('logread | tail -20')}")
        time.sleep(0.5)
