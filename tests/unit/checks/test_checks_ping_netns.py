"""The ping check's failures and its unprivileged path, in a private network namespace.

Each case runs one check in a child process inside `unshare --net`: a namespace with only
`lo`, where 192.0.2.0/24 (TEST-NET-1) is routed into lo and silently dropped (no host there,
no forwarding) and 198.51.100.0/24 is an `unreachable` route. No packet can leave the
namespace. Needs root (namespaces, raw sockets); skips elsewhere.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from checks_util import ROOT
from support import need

SETUP = ("ip link set lo up && ip route add 192.0.2.0/24 dev lo && "
         "ip route add unreachable 198.51.100.0/24 && "
         "ip -6 route add unreachable 2001:db8::/32 && "
         "sysctl -qw net.ipv4.ping_group_range=\"$GROUPS_RANGE\" && exec \"$@\"")
CODE = """
import json, sys
sys.path.insert(0, {root!r})
from lvslite.checks.engine import Engine
from lvslite.checks.spec import CheckSpec, Target
e = Engine()
e.add("k", Target(sys.argv[1], 0), CheckSpec(type="ping", timeout=float(sys.argv[2])))
while True:
    out = e.step(1.0)
    if out:
        r = out[0][1]
        print(json.dumps([r.ok, r.reason, round(r.duration, 3)]))
        break
"""


def ping_in_netns(address, timeout=0.5, raw=True, groups="0 0"):
    need(os.geteuid() == 0, "network namespaces and raw sockets need root")
    need(bool(shutil.which("unshare") and shutil.which("ip")), "unshare and ip (util-linux, "
         "iproute2) are needed for a private network namespace")
    cmd = [sys.executable, "-c", CODE.format(root=str(ROOT)), address, str(timeout)]
    if not raw:   # drop CAP_NET_RAW: only the kernel's ping socket is left
        need(bool(shutil.which("setpriv")), "setpriv (util-linux) drops CAP_NET_RAW")
        cmd = ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw"] + cmd
    p = subprocess.run(["unshare", "--net", "--", "sh", "-c", SETUP, "sh"] + cmd,
                       capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, GROUPS_RANGE=groups))
    if p.returncode and "unshare" in p.stderr:
        need(False, f"cannot create a network namespace here: {p.stderr.strip()}")
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("raw", [True, False], ids=["raw", "ping-socket"])
def test_no_reply_fails_at_the_timeout(raw):
    ok, reason, took = ping_in_netns("192.0.2.1", 0.5, raw=raw)
    assert (ok, reason) == (False, "timeout after 0.5s (no echo reply)")
    assert 0.45 <= took < 3


def test_unreachable_route_fails_at_once():
    ok, reason, took = ping_in_netns("198.51.100.1", 2.0)
    assert (ok, reason) == (False, "no route to host")
    assert took < 1.5
    ok, reason, _ = ping_in_netns("2001:db8::1", 2.0)
    assert not ok and reason in ("no route to host", "network is unreachable"), reason


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_unprivileged_ping_socket_gets_replies(address):
    ok, reason, _ = ping_in_netns(address, 2.0, raw=False)
    assert (ok, reason) == (True, "echo reply")


def test_unprivileged_without_ping_group_says_how_to_fix():
    ok, reason, _ = ping_in_netns("127.0.0.1", 2.0, raw=False, groups="1 0")
    assert not ok
    assert reason.startswith("cannot open an ICMP socket") and "ping_group_range" in reason
