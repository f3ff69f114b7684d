"""A small LVS lab of network namespaces, built inside the emulator guest.

    client (10.0.1.2) --front-- (10.0.1.1) director (10.0.0.1) --br0-- rs1 (10.0.0.10)
                                                                   \\-- rs2 (10.0.0.20)

Two segments so that LVS-NAT works (the reals route their replies back through the director)
and LVS-DR works too (the director accepts the reals' replies, sourced from a VIP it owns,
because accept_local=1 on its back side). Every real runs tests/vm/httpd.py, which answers
every GET with its own name. Each Lab has its own namespaces, so each test starts with an
empty IPVS table. Addresses exist only inside these namespaces.
"""
from __future__ import annotations

import ctypes
import http.client
import itertools
import os
import shlex
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_ids = itertools.count(1)

FRONT_NET = "10.0.1"
BACK_NET = "10.0.0"


def sh(cmd: str, *, check: bool = True, timeout: float = 60) -> str:
    """Run a shell line; on failure raise with its output (tests show what the tool said)."""
    proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"`{cmd}` exited {proc.returncode}:\n{proc.stdout}{proc.stderr}")
    return proc.stdout


@contextmanager
def netns(name: str):
    """Enter a named network namespace in this thread; sockets made inside stay in it."""
    home = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns({name})")
        yield
    finally:
        _libc.setns(home, CLONE_NEWNET)
        os.close(home)
        os.close(target)


@dataclass
class Lab:
    prefix: str
    reals: dict[str, str] = field(default_factory=dict)   # name -> address
    procs: list[subprocess.Popen] = field(default_factory=list)
    httpd: dict[str, subprocess.Popen] = field(default_factory=dict)  # the live one per real

    # names of the namespaces
    @property
    def client(self) -> str:
        return f"{self.prefix}cl"

    @property
    def director(self) -> str:
        return f"{self.prefix}dir"

    def ns(self, real: str) -> str:
        return f"{self.prefix}{real}"

    def run(self, ns: str, cmd: str, **kw) -> str:
        return sh(f"ip netns exec {ns} sh -c {shlex.quote(cmd)}", **kw)

    def ipvsadm(self, args: str, **kw) -> str:
        return self.run(self.director, f"ipvsadm {args}", **kw)

    # ------------------------------------------------------------------ build / tear down
    def build(self, reals=("rs1", "rs2")) -> "Lab":
        cl, d = self.client, self.director
        for ns in (cl, d, *(self.ns(r) for r in reals)):
            sh(f"ip netns add {ns}")
            sh(f"ip -n {ns} link set lo up")
        sh(f"ip link add front netns {cl} type veth peer name front netns {d}")
        sh(f"ip -n {cl} addr add {FRONT_NET}.2/24 dev front && ip -n {cl} link set front up")
        sh(f"ip -n {cl} route add default via {FRONT_NET}.1")
        sh(f"ip -n {d} addr add {FRONT_NET}.1/24 dev front && ip -n {d} link set front up")
        sh(f"ip -n {d} link add br0 type bridge && ip -n {d} addr add {BACK_NET}.1/24 dev br0"
           f" && ip -n {d} link set br0 up")
        self.run(d, "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 "
                    "net.ipv4.conf.br0.rp_filter=0 net.ipv4.conf.br0.accept_local=1")
        for n, name in enumerate(reals, start=1):
            ns, addr = self.ns(name), f"{BACK_NET}.{n * 10}"
            sh(f"ip link add eth0 netns {ns} type veth peer name {name} netns {d}")
            sh(f"ip -n {d} link set {name} master br0 && ip -n {d} link set {name} up")
            sh(f"ip -n {ns} addr add {addr}/24 dev eth0 && ip -n {ns} link set eth0 up")
            sh(f"ip -n {ns} route add default via {BACK_NET}.1")
            self.reals[name] = addr
        self.start_httpd(*self.reals)
        return self

    def start_httpd(self, *names: str, port: int = 80) -> list[subprocess.Popen]:
        """Start the reals' tiny HTTP servers (in parallel) and wait until they listen."""
        procs = [subprocess.Popen(
            ["ip", "netns", "exec", self.ns(name), sys.executable, "-S",
             str(HERE / "httpd.py"), name, str(port)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for name in names]
        self.procs.extend(procs)
        self.httpd.update(zip(names, procs))
        for name, proc in zip(names, procs):
            line = proc.stdout.readline()
            if "listening" not in line:
                proc.kill()
                raise AssertionError(f"httpd {name} did not start: {line}{proc.stdout.read()}")
        return procs

    def stop_httpd(self, name: str) -> None:
        """Kill a real's HTTP server (it refuses connections from then on)."""
        proc = self.httpd.pop(name)
        proc.kill()
        proc.wait()

    def destroy(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait()
        for ns in sh("ip netns list").split("\n"):
            name = ns.split(" ")[0]
            if name.startswith(self.prefix):
                sh(f"ip netns del {name}", check=False)

    # ------------------------------------------------------------------ helpers for tests
    def add_vip(self, vip: str) -> None:
        """The VIP lives on the director's front side (what the client ARPs for)."""
        sh(f"ip -n {self.director} addr add {vip}/32 dev front")

    def vip_on_reals(self, vip: str) -> None:
        """LVS-DR: each real owns the VIP on lo and never answers ARP for it."""
        for name in self.reals:
            self.run(self.ns(name),
                     f"sysctl -qw net.ipv4.conf.all.arp_ignore=1 "
                     f"net.ipv4.conf.all.arp_announce=2 && ip addr add {vip}/32 dev lo")

    def get(self, host: str, port: int = 80, count: int = 1, path: str = "/",
            timeout: float = 5.0) -> Counter:
        """`count` HTTP GETs from the client, each on a new TCP connection: names seen."""
        seen: Counter = Counter()
        with netns(self.client):
            for _ in range(count):
                conn = http.client.HTTPConnection(host, port, timeout=timeout)
                try:
                    conn.request("GET", path)
                    seen[conn.getresponse().read().decode().strip()] += 1
                finally:
                    conn.close()
        return seen


def new_lab(reals=("rs1", "rs2")) -> Lab:
    return Lab(prefix=f"l{next(_ids)}").build(reals)


def wait_for(pred, timeout: float = 10.0, interval: float = 0.1):
    end = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() > end:
            return value
        time.sleep(interval)
