"""Real traffic through a director programmed by `lvslite apply`, with both backends.

client (10.0.1.2) -> VIP 10.0.1.100 on the director -> rs1 10.0.0.10 / rs2 10.0.0.20, each
answering HTTP with its own name (tests/vm/lab.py). Starting a lab costs ~10-20 s under the
emulator, so each test runs both backends in turn in one lab: apply with one, check the
traffic, flush, apply with the other, check again. Counts are printed, so a run's output
shows what the kernel actually did; failures name the backend.
"""
from __future__ import annotations

import pytest

from lab import wait_for
from test_core_apply import BACKENDS, apply, count_dumps, write_config

VIP = "10.0.1.100"
REALS = ["10.0.0.10:80", "10.0.0.20:80"]


def service(**kw):
    s = {"virtual": f"{VIP}:80", "scheduler": "rr", "reals": list(REALS)}
    s.update(kw)
    return s


def each_backend(lab, tmp_path, monkeypatch):
    """Yield each backend with an empty table and its own state directory."""
    for backend in BACKENDS:
        lab.ipvsadm("-C")
        monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path / f"state-{backend}"))
        yield backend


@pytest.fixture
def note(capsys):
    """note(text): said at the end of the test (capsys is also what `apply` reads the
    CLI's output from, so a plain print in between would be swallowed)."""
    lines = []
    yield lines.append
    with capsys.disabled():
        for line in lines:
            print(line)


def test_masq_reaches_both_reals(lab, capsys, tmp_path, monkeypatch, note):
    lab.add_vip(VIP)
    cfg = write_config(tmp_path, [service(forward="masq")])
    for backend in each_backend(lab, tmp_path, monkeypatch):
        assert apply(lab, capsys, backend, cfg) == "3 added, 0 changed, 0 removed"
        seen = lab.get(VIP, count=20)
        note(f"masq ({backend}): {dict(seen)}")
        assert seen == {"rs1": 10, "rs2": 10}, backend


def test_gate_reaches_both_reals(lab, capsys, tmp_path, monkeypatch, note):
    lab.add_vip(VIP)
    lab.vip_on_reals(VIP)
    cfg = write_config(tmp_path, [service(forward="gate")])
    for backend in each_backend(lab, tmp_path, monkeypatch):
        apply(lab, capsys, backend, cfg)
        assert lab.ipvsadm("-S -n").count(" -g -w 1") == 2
        seen = wait_for(lambda: lab.get(VIP, count=20), timeout=5)
        note(f"gate ({backend}): {dict(seen)}")
        assert seen == {"rs1": 10, "rs2": 10}, backend


def test_ipip_reaches_both_reals(lab, capsys, tmp_path, monkeypatch, note):
    """LVS-TUN: each real decapsulates on tunl0, which holds the VIP; rp_filter off there
    (the inner source arrives on a device it does not route back through)."""
    lab.add_vip(VIP)
    for name in lab.reals:
        lab.run(lab.ns(name),
                f"ip link set tunl0 up && ip addr add {VIP}/32 dev tunl0 && "
                f"sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.tunl0.rp_filter=0 "
                f"net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2")
    cfg = write_config(tmp_path, [service(forward="ipip")])

    def tunnelled():
        return sum(int(lab.run(lab.ns(n), "cat /sys/class/net/tunl0/statistics/rx_packets"))
                   for n in lab.reals)
    for backend in each_backend(lab, tmp_path, monkeypatch):
        apply(lab, capsys, backend, cfg)
        assert lab.ipvsadm("-S -n").count(" -i -w 1 --tun-type ipip") == 2
        before = tunnelled()
        seen = wait_for(lambda: lab.get(VIP, count=20), timeout=5)
        note(f"ipip ({backend}): {dict(seen)}; {tunnelled() - before} packets decapsulated")
        assert seen == {"rs1": 10, "rs2": 10}, backend
        # the requests really came through the tunnels (>= 3 packets per connection)
        assert tunnelled() - before >= 20 * 3, backend


def test_wrr_3_to_1_over_400_connections(lab, capsys, tmp_path, monkeypatch, note):
    lab.add_vip(VIP)
    cfg = write_config(tmp_path, [service(scheduler="wrr", forward="masq", reals=[
        {"address": REALS[0], "weight": 3}, {"address": REALS[1], "weight": 1}])])
    for backend in each_backend(lab, tmp_path, monkeypatch):
        apply(lab, capsys, backend, cfg)
        quiet = lab.run(lab.director, "cat /proc/net/ip_vs")
        seen = lab.get(VIP, count=400)
        note(f"wrr 3:1 ({backend}) over 400 new connections: {dict(seen)}")
        assert sum(seen.values()) == 400
        # 3:1 is 300/100; 1:1 would be 200/200 and 1:0 400/0: neither is within 10%
        assert 270 <= seen["rs1"] <= 330 and 70 <= seen["rs2"] <= 130, (backend, seen)
        # the connection counters moved, the table did not: a re-apply needs no dump
        busy = lab.run(lab.director, "cat /proc/net/ip_vs")
        assert busy != quiet, busy
        dumps = count_dumps(monkeypatch)
        assert apply(lab, capsys, backend, cfg) == "0 added, 0 changed, 0 removed"
        assert dumps == [], (backend, busy)


def test_persistence_keeps_one_client_on_one_real(lab, capsys, tmp_path, monkeypatch, note):
    lab.add_vip(VIP)
    persistent = write_config(tmp_path, [service(forward="masq", persistent=300)], "p.json")
    plain = write_config(tmp_path, [service(forward="masq")], "plain.json")
    for backend in each_backend(lab, tmp_path, monkeypatch):
        apply(lab, capsys, backend, persistent)
        seen = lab.get(VIP, count=50)
        note(f"persistent 300 ({backend}), 50 connections from one client: {dict(seen)}")
        assert len(seen) == 1 and sum(seen.values()) == 50, backend
        # without persistence the same rr service splits the same client evenly
        assert apply(lab, capsys, backend, plain) == "0 added, 1 changed, 0 removed"
        seen = lab.get(VIP, count=50)
        note(f"not persistent ({backend}): {dict(seen)}")
        assert seen == {"rs1": 25, "rs2": 25}, backend


def test_scheduler_and_persistence_changes_edit_in_place(lab, capsys, tmp_path, monkeypatch, note):
    """An edit keeps the service, so its statistics survive (a delete + add zeroes them)."""
    lab.add_vip(VIP)

    def conns():
        out = lab.ipvsadm("-L -n --stats --exact")
        return int(out.split(f"TCP  {VIP}:80")[1].split()[0])
    for backend in each_backend(lab, tmp_path, monkeypatch):
        apply(lab, capsys, backend, write_config(tmp_path, [service(forward="masq")]))
        lab.get(VIP, count=6)
        assert wait_for(lambda: conns() == 6, timeout=8), lab.ipvsadm("-L -n --stats")
        for change, line in (({"scheduler": "wrr"}, f"-A -t {VIP}:80 -s wrr"),
                             ({"scheduler": "wrr", "persistent": 300},
                              f"-A -t {VIP}:80 -s wrr -p 300"),
                             ({"scheduler": "sh", "persistent": 300, "netmask": "255.255.0.0"},
                              f"-A -t {VIP}:80 -s sh -p 300 -M 255.255.0.0"),
                             ({"scheduler": "sh"}, f"-A -t {VIP}:80 -s sh")):
            cfg = write_config(tmp_path, [service(forward="masq", **change)])
            assert apply(lab, capsys, backend, cfg) == "0 added, 1 changed, 0 removed"
            assert lab.ipvsadm("-S -n").splitlines()[0] == line, backend
        assert conns() == 6, backend
