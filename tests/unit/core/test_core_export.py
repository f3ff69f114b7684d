"""export: `ipvsadm -S -n` byte for byte (against output of the real binary) and JSON."""
import json
import random
from pathlib import Path

import pytest

from lvslite.ipvs.export import (cmp_reals, cmp_services, glibc_sort, to_config,
                                 to_ipvsadm, to_json)
from lvslite.ipvs.ipvsadm import parse_save, split_hostport
from lvslite.model import (F_ONEPACKET, F_SCHED1, F_SCHED2, Real, RealKey, ServiceKey,
                           VirtualService)

DATA = Path(__file__).parent / "data"


def golden(name):
    lines = [line for line in (DATA / name).read_text().splitlines()
             if not line.startswith("#")]
    return "\n".join(lines) + "\n"


def kernel_order(name):
    """Services (in order) and each service's reals (in order) as the kernel holds them,
    from the `ipvsadm -L -n --nosort` lines ('#L ') of a data file."""
    services, dests, current = [], {}, None
    for line in (DATA / name).read_text().splitlines():
        if not line.startswith("#L "):
            continue
        body = line[3:]
        if body.startswith("  -> "):
            host, port = split_hostport(body.split()[1])
            dests[current].append(RealKey(host, port))
            continue
        proto, rest = body.split(None, 1)
        if proto == "FWM":
            words = rest.split()
            af = 6 if len(words) > 1 and words[1] == "IPv6" else 4
            current = ServiceKey(af, "", "", 0, int(words[0]) & 0xFFFFFFFF)
        else:
            host, port = split_hostport(rest.split()[0])
            current = ServiceKey(6 if ":" in host else 4, proto.lower(), host, port)
        services.append(current)
        dests[current] = []
    return services, dests


def test_render_matches_the_real_ipvsadm_output():
    """The binary's output, read back into a table and rendered again, is identical: every
    field's format, and here (no cycles in the comparison) the order."""
    text = golden("ipvsadm-save-shapes.txt")
    table = parse_save(text)
    assert len(table) > 10
    assert to_ipvsadm(table) == text


def test_render_from_the_kernels_order_matches_ipvsadm_where_its_order_is_not_transitive():
    """ipvsadm sorts the kernel's dump order with a non-transitive comparison, so its output
    depends on that order (two boots of one table printed two orders). Started from the
    order the kernel dumped, the replayed sort gives the binary's exact output."""
    name = "ipvsadm-save-order.txt"
    text = golden(name)
    parsed = parse_save(text)
    services, dests = kernel_order(name)
    assert set(services) == set(parsed) and len(services) > 20
    table = {k: parsed[k] for k in services}
    assert to_ipvsadm(table, {k: tuple(v) for k, v in dests.items()}) == text
    # and it is the starting order that makes the difference
    assert to_ipvsadm(dict(sorted(parsed.items()))) != text


def test_kernel_order_is_the_starting_point_where_the_comparison_is_not_transitive():
    """10.x < 100.x < 172.x < 10.x in ipvsadm's comparison: its output depends on the order
    the kernel dumped the reals in, which the netlink backend keeps for export."""
    k = ServiceKey(4, "tcp", "10.0.0.1", 80)
    reals = tuple(Real(RealKey(a, 80), 1, "masq") for a in ("10.0.0.2", "100.64.0.1", "172.16.0.1"))
    table = {k: VirtualService(k, "rr", reals=reals)}
    outputs = set()
    for order in ((0, 1, 2), (2, 1, 0), (1, 2, 0), (0, 2, 1)):
        outputs.add(to_ipvsadm(table, {k: tuple(reals[i].key for i in order)}))
    assert len(outputs) > 1
    # and an order that names only some reals, or none, still prints every real once
    text = to_ipvsadm(table, {k: (reals[2].key,)})
    assert sorted(text.splitlines()[1:]) == sorted(to_ipvsadm(table).splitlines()[1:])


def test_wrapping_comparison_quirks():
    def s(addr):
        return VirtualService(ServiceKey(4, "tcp", addr, 80))
    # 200.0.0.1 - 10.0.0.1 overflows an int: ipvsadm puts 200.x first
    assert cmp_services(s("200.0.0.1"), s("10.0.0.1")) < 0
    assert cmp_services(s("10.0.0.1"), s("100.0.0.1")) < 0
    fw = VirtualService(ServiceKey(4, "", "", 0, 0xFFFFFFFF))
    assert cmp_services(fw, s("1.1.1.1")) < 0          # fwmark -1 sorts first
    r = [Real(RealKey(a, 80)) for a in ("1.0.0.1", "100.0.0.1", "200.0.0.1")]
    # not transitive: 1 < 100 < 200 < 1 -- the sort must be replayed, not re-derived
    assert cmp_reals(r[0], r[1]) < 0 and cmp_reals(r[1], r[2]) < 0 and cmp_reals(r[2], r[0]) < 0


def test_glibc_sort_is_a_stable_merge_sort_for_consistent_comparisons():
    items = [(random.Random(1).randint(0, 9), i) for i in range(200)]
    assert glibc_sort(items, lambda a, b: a[0] - b[0]) == sorted(items, key=lambda x: x[0])


def test_empty_table_is_empty_output():
    assert to_ipvsadm({}) == ""


def test_json_config_shape():
    k = ServiceKey(4, "tcp", "10.0.0.100", 80)
    svc = VirtualService(k, "wrr", 1800, 24, 0, (
        Real(RealKey("10.0.0.10", 80), 1, "gate"),
        Real(RealKey("10.0.0.20", 80), 3, "gate"),
        Real(RealKey("10.0.0.30", 80), 1, "masq")))
    fw = ServiceKey(4, "", "", 0, 7)
    fws = VirtualService(fw, "rr", 0, 32, 0, (Real(RealKey("10.0.0.10", 0), 1, "gate"),))
    v6 = ServiceKey(6, "udp", "2001:db8::1", 53)
    v6s = VirtualService(v6, "sh", 60, 64, F_SCHED1 | F_SCHED2, ())
    doc, warnings = to_config({k: svc, fw: fws, v6: v6s})
    assert doc == {"services": [
        {"virtual": "fwmark:7", "scheduler": "rr", "forward": "gate", "reals": ["10.0.0.10"]},
        {"virtual": "10.0.0.100:80", "protocol": "tcp", "scheduler": "wrr",
         "persistent": 1800, "netmask": "255.255.255.0", "forward": "gate",
         "reals": ["10.0.0.10:80", {"address": "10.0.0.20:80", "weight": 3},
                   {"address": "10.0.0.30:80", "forward": "masq"}]},
        {"virtual": "[2001:db8::1]:53", "protocol": "udp", "scheduler": "sh",
         "persistent": 60, "netmask": 64, "reals": []},
    ]}
    assert len(warnings) == 1 and "[2001:db8::1]:53" in warnings[0]
    json.dumps(doc)


def test_json_warns_for_one_packet_scheduling():
    k = ServiceKey(4, "udp", "10.0.0.1", 53)
    _, warnings = to_config({k: VirtualService(k, "rr", flags=F_ONEPACKET)})
    assert warnings and "one-packet" in warnings[0]


# --------------------------------------------------------------------------- JSON round trip

def expressible(table):
    """What the config format can say: no flags, no port-0 service, no IPv6 fwmark without
    reals (the export warns about each); and what the config accepts: no multicast VIP, no
    NAT to a loopback real."""
    def loopback(r):
        return r.key.address == "::1" or r.key.address.startswith("127.")
    return {k: s for k, s in table.items()
            if not s.flags and (k.fwmark or k.port) and not (k.fwmark and k.af == 6
                                                             and not s.reals)
            and not k.address.startswith("ff") and not any(map(loopback, s.reals))}


def test_json_export_parses_back_into_the_same_table():
    config = pytest.importorskip("lvslite.config")
    from lvslite.model import apply_table
    from lvslite.reconcile import diff
    for name in ("ipvsadm-save-shapes.txt", "ipvsadm-save-order.txt"):
        table = expressible(parse_save(golden(name)))
        assert len(table) > 8
        text, warnings = to_json(table)
        assert warnings == []
        back = apply_table(config.parse(text, "export.json"))
        assert set(back) == set(table)
        assert diff(back, table, set()) == []       # nothing to do: the same kernel table
        assert {k: s.reals for k, s in back.items()} == {k: s.reals for k, s in table.items()}


@pytest.mark.parametrize("name", ["design-example.json", "seed-ldirectord.json", "mixed.json"])
def test_fixture_configs_survive_export_and_reimport(name):
    config = pytest.importorskip("lvslite.config")
    from lvslite.model import apply_table
    fixtures = Path(__file__).parents[2] / "fixtures" / "configs"
    table = apply_table(config.load(str(fixtures / name)))
    text, _ = to_json(table)
    assert apply_table(config.parse(text, "export.json")) == table


# --------------------------------------------------------------------------- the command

SAVED = "-A -t 10.0.0.100:80 -s wrr\n-a -t 10.0.0.100:80 -r 10.0.0.10:80 -g -w 3\n"


def fake_ipvsadm(tmp_path, monkeypatch, text):
    """An ipvsadm that prints `text` for -S -n."""
    script = tmp_path / "ipvsadm"
    (tmp_path / "saved").write_text(text)
    script.write_text(f"#!/bin/sh\ncat {tmp_path / 'saved'}\n")
    script.chmod(0o755)
    monkeypatch.setenv("LVSLITE_IPVSADM", str(script))


def test_every_backend_exports_ipvsadm_text():
    from lvslite.ipvs.ipvsadm import IpvsadmBackend
    from lvslite.ipvs.netlink import NetlinkBackend
    for cls in (NetlinkBackend, IpvsadmBackend):
        assert callable(getattr(cls, "save_text", None)) and callable(cls.dump), cls


def test_export_through_the_ipvsadm_backend(tmp_path, monkeypatch, capsys):
    from lvslite.cli import main
    fake_ipvsadm(tmp_path, monkeypatch, SAVED)
    assert main(["export", "--backend", "ipvsadm"]) == 0
    assert capsys.readouterr().out == SAVED            # verbatim
    assert main(["export", "--backend", "ipvsadm", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["services"][0]["virtual"] == "10.0.0.100:80"
    (tmp_path / "saved").write_text("-X nonsense\n")  # a text lvslite cannot read: exit 3
    assert main(["export", "--backend", "ipvsadm"]) == 3
    assert "cannot read the table from ipvsadm" in capsys.readouterr().err
