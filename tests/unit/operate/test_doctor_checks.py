"""lvslite.doctor's checks on fixed inputs: what each layer says, at which level, with which
fix (docs/operate.md#lvslite-doctor). The system readings are texts as the kernel writes them."""
import json

from lvslite import doctor as d
from lvslite.config import parse

RELEASE = "6.1.0-56-amd64"
MODULES_DEP = (
    "kernel/net/netfilter/ipvs/ip_vs.ko.xz: kernel/net/netfilter/nf_conntrack.ko.xz\n"
    "kernel/net/netfilter/ipvs/ip_vs_rr.ko.xz: kernel/net/netfilter/ipvs/ip_vs.ko.xz\n"
    "kernel/net/netfilter/ipvs/ip_vs_sed.ko: kernel/net/netfilter/ipvs/ip_vs.ko.xz\n")
PROC_MODULES = "ip_vs_wlc 16384 1 - Live 0x0\nip_vs 200704 3 ip_vs_wlc, Live 0x0\n"
IP_VS = ("IP Virtual Server version 1.2.1 (size=4096)\n"
         "Prot LocalAddress:Port Scheduler Flags\n"
         "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n"
         "TCP  0A000164:0050 wlc \n"
         "  -> 0A00000A:0050      Masq    1      0          0         \n")
# /proc/net/route: 10.0.0.0/24 on br0, 10.0.1.0/24 on front, default via 10.0.1.254
ROUTE = ("Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
         "front\t00000000\tFE01000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
         "br0\t0000000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
         "front\t0001000A\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n")
ARP = ("IP address       HW type     Flags       HW address            Mask     Device\n"
       "10.0.0.10        0x1         0x2         52:54:00:12:34:56     *        br0\n"
       "10.0.0.20        0x1         0x0         00:00:00:00:00:00     *        br0\n")
ADDRS = [("lo", "127.0.0.1", 8), ("front", "10.0.1.1", 24), ("br0", "10.0.0.1", 24)]


def config(**svc):
    base = {"virtual": "10.0.1.100:80", "forward": "masq",
            "reals": ["10.0.0.10:80", "10.0.0.20:80"]}
    base.update(svc)
    return parse(json.dumps({"services": [base]}))


def mods():
    return d.Modules(d.loaded_names(PROC_MODULES), set(), d.module_names(MODULES_DEP))


def levels(findings):
    return [(f.level, f.layer) for f in findings]


def test_module_names_from_every_file_kind():
    assert d.module_names(MODULES_DEP) == {"ip_vs", "ip_vs_rr", "ip_vs_sed"}
    assert d.loaded_names(PROC_MODULES) == {"ip_vs", "ip_vs_wlc"}
    m = mods()
    assert [m.state(n) for n in ("ip_vs_wlc", "ip_vs_rr", "ip_vs_mh")] == [
        "loaded", "loadable", None]


def test_kernel_layer():
    [ok] = d.kernel(IP_VS, mods(), RELEASE)
    assert (ok.level, ok.saw) == ("ok", "IPVS 1.2.1 loaded (connection table size 4096), "
                                        f"kernel {RELEASE}")
    unloaded = d.Modules(set(), set(), d.module_names(MODULES_DEP))
    [loadable] = d.kernel(None, unloaded, RELEASE)
    assert (loadable.level, loadable.fix) == ("error", "modprobe ip_vs")
    [no_proc] = d.kernel(None, mods(), RELEASE)
    assert no_proc.level == "error" and "/proc" in no_proc.fix
    [absent] = d.kernel(None, d.Modules(), RELEASE)
    assert absent.level == "error" and "CONFIG_IP_VS" in absent.fix


def test_schedulers_each_once_with_its_state():
    cfg = parse(json.dumps({"services": [
        {"virtual": "10.0.1.100:80", "scheduler": "rr", "reals": ["10.0.0.10:80"]},
        {"virtual": "10.0.1.100:81", "scheduler": "rr", "reals": ["10.0.0.10:81"]},
        {"virtual": "10.0.1.100:82", "scheduler": "mh", "reals": ["10.0.0.10:82"]}]}))
    rr, mh = d.schedulers(cfg, mods(), RELEASE)
    assert rr.level == "ok" and "loadable" in rr.saw
    assert mh.level == "error" and mh.saw.startswith("mh (tcp 10.0.1.100:82)")
    assert "ip_vs_mh" in mh.fix and "another scheduler" in mh.fix


def test_forwarding_only_matters_for_masq():
    [f] = d.forwarding(config(), "0\n", None)
    assert (f.level, f.fix) == ("error", "sysctl -w net.ipv4.ip_forward=1")
    assert levels(d.forwarding(config(), "1\n", None)) == [("ok", "forward")]
    assert d.forwarding(config(forward="gate"), "0\n", None) == []
    v6 = config(virtual="[2001:db8::1]:80", reals=["[2001:db8::10]:80"])
    [f6] = d.forwarding(v6, "1\n", "0\n")
    assert f6.fix == "sysctl -w net.ipv6.conf.all.forwarding=1"


def test_vip_missing_names_the_interface_of_its_network():
    [f] = d.vips(config(), ADDRS)
    assert (f.level, f.fix) == ("error", "ip addr add 10.0.1.100/32 dev front")
    [ok] = d.vips(config(), ADDRS + [("front", "10.0.1.100", 32)])
    assert ok.level == "ok" and "front" in ok.saw
    [other] = d.vips(config(virtual="192.0.2.1:80"), ADDRS)
    assert other.fix.endswith("dev IFACE")


def test_routes_and_neighbours_parse():
    v4 = d.routes_v4(ROUTE)
    assert d.route_for("10.0.0.10", v4, []) == ("br0", False)
    assert d.route_for("192.0.2.9", v4, []) == ("front", True)       # the default route
    assert d.route_for("192.0.2.9", v4[1:], []) is None
    assert d.neighbours(ARP) == {"10.0.0.10": "complete", "10.0.0.20": "incomplete"}
    v6 = d.routes_v6("20010db8000000000000000000000000 40 00000000000000000000000000000000 00 "
                     "00000000000000000000000000000000 00000100 00000001 00000000 00000001 "
                     "eth0\n")
    assert d.route_for("2001:db8::5", [], v6) == ("eth0", False)
    assert d.route_for("2001:db9::5", [], v6) is None


def test_reals_route_gateway_and_probe_answers():
    local = {a for _, a, _ in ADDRS}
    v4 = d.routes_v4(ROUTE)
    probes = {("10.0.0.10", 80): "answered", ("10.0.0.20", 80): "timeout"}
    a, b = d.reals(config(), local, v4, [], d.neighbours(ARP), probes)
    assert a.level == "ok" and "answered" in a.saw
    assert b.level == "error" and "timeout" in b.saw and "10.0.0.20 is up" in b.fix
    [refused] = d.reals(config(reals=["10.0.0.10:80"]), local, v4, [], {},
                        {("10.0.0.10", 80): "refused"})
    assert refused.level == "warn"
    # gate through a gateway cannot work: DR only rewrites the MAC address
    [gw] = d.reals(config(forward="gate", reals=["192.0.2.9:80"]), local, v4, [], {}, None)
    assert gw.level == "error" and "masq or ipip" in gw.fix
    [noroute] = d.reals(config(reals=["192.0.2.9:80"]), local, v4[1:], [], {}, None)
    assert noroute.level == "error" and "no route" in noroute.saw
    # without probes an incomplete neighbour is only a warning
    _, unprobed = d.reals(config(), local, v4, [], d.neighbours(ARP), None)
    assert unprobed.level == "warn"


def test_probe_sees_answer_and_refusal():
    import socket
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))        # bound, not listening: refused
    try:
        got = d.probe([("127.0.0.1", srv.getsockname()[1]),
                       ("127.0.0.1", closed.getsockname()[1])], timeout=2)
    finally:
        srv.close()
        closed.close()
    assert sorted(got.values()) == ["answered", "refused"]


def test_gate_hints_are_the_real_servers_commands():
    [h] = d.gate_hints(config(forward="gate"))
    assert h.level == "info"
    assert h.saw.endswith("on 10.0.0.10, 10.0.0.20 run")
    assert h.fix == ("sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2"
                     " && ip addr add 10.0.1.100/32 dev lo")
    assert d.gate_hints(config()) == []


def test_expire_sysctls():
    out = d.expire_sysctls({"expire_nodest_conn": "0\n", "expire_quiescent_template": "1\n"})
    assert levels(out) == [("warn", "sysctl"), ("ok", "sysctl")]
    assert out[0].fix.startswith("sysctl -w net.ipv4.vs.expire_nodest_conn=1")
    assert d.expire_sysctls({}) == []


MOUNTS = ("/dev/sda2 / ext2 ro,relatime 0 0\n"
          "tmpfs /run tmpfs rw,nosuid 0 0\n"
          "/dev/sda3 /cfg vfat ro 0 0\n")


def test_state_dir_root_and_card():
    assert levels(d.state_dir("/run/lvslite", MOUNTS, True, True)) == [("ok", "state")]
    [disk] = d.state_dir("/var/lib/lvslite", MOUNTS, False, True)
    assert disk.level == "warn" and "ext2 at /" in disk.saw and "not created yet" in disk.saw
    [ro] = d.state_dir("/var/lib/lvslite", MOUNTS, True, False)
    assert ro.level == "error"
    assert levels(d.root(MOUNTS)) == [("ok", "root")]
    [rw] = d.root(MOUNTS.replace("ext2 ro,", "ext2 rw,"))
    assert rw.level == "warn" and rw.fix.startswith("mount -o remount,ro /")
    stats = (" 8 0 sda 1 0 2 0 10 0 4096 0 0 0 0\n"
             " 8 3 sda3 1 0 2 0 2 0 16 0 0 0 0\n")
    [card] = d.card("/cfg", "vfat", 8, 3, stats)
    assert card.saw == "written since boot (holding /cfg): sda 2.1 MB, sda3 8.2 kB"
    assert "--device sda " in card.fix
    assert d.card("/", "9p", 0, 23, stats)[0].saw.startswith("/ is 9p")


def test_clock_and_daemon():
    assert d.clock(86400 * 365, None)[0].level == "warn"            # 1971
    assert d.clock(1.7e9, None)[0].level == "ok"
    assert d.clock(1.7e9, 1.7e9 + 60)[0].level == "warn"            # set back under the daemon
    assert d.daemon(None, 1.7e9)[0].level == "info"
    doc = {"pid": 7, "time": 1.7e9, "interval_max_s": 2}
    assert d.daemon(doc, 1.7e9 + 1)[0].level == "ok"
    assert d.daemon(doc, 1.7e9 + 60)[0].level == "warn"


def test_table_and_exit_codes():
    assert levels(d.table(config(), IP_VS)) == [("ok", "table")]
    [missing] = d.table(config(virtual="10.0.1.100:81", reals=["10.0.0.10:81"]), IP_VS)
    assert missing.level == "warn" and missing.saw.startswith("tcp 10.0.1.100:81")
    ok, info = d.Finding("ok", "x", ""), d.Finding("info", "x", "")
    warn, err = d.Finding("warn", "x", "", "f"), d.Finding("error", "x", "", "f")
    assert [d.exit_code(f) for f in ([ok, info], [ok, warn], [warn, err])] == [0, 6, 1]
    assert err.line() == "error x         ; fix: f"


def test_ipv6_addresses_from_if_inet6():
    text = ("00000000000000000000000000000001 01 80 10 80       lo\n"
            "20010db8000000000000000000000100 02 40 00 80     eth0\n")
    assert d.ipv6_addresses(text) == [("lo", "::1", 128), ("eth0", "2001:db8::100", 64)]
