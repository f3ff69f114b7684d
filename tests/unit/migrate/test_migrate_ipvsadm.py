"""lvslite import --from ipvsadm: `ipvsadm -S [-n]` output to a config, and back."""
from pathlib import Path

import pytest

from lvslite.config import ConfigError, validate
from lvslite.ipvs.export import to_config, to_ipvsadm
from lvslite.ipvs.ipvsadm import parse_save
from lvslite.model import Real, RealKey, ServiceKey, VirtualService

from migrate_util import MIGRATE, ROOT, failed, imported, services, table, write

RULES = MIGRATE / "ipvsadm-rules.txt"
F = "tests/fixtures/migrate/ipvsadm-rules.txt"
SAVED = ROOT / "tests" / "unit" / "core" / "data"


def test_services_persistence_forwards_weights():
    doc, _ = imported(RULES, "ipvsadm")
    s = services(doc)
    assert list(s) == ["10.0.0.100:80", "10.0.0.100:53", "10.0.0.100:443", "10.0.0.100:2905",
                       "10.0.0.100:5060", "fwmark:1", "fwmark:7", "[2001:db8::80]:80"]
    web = s["10.0.0.100:80"]         # named port, first definition kept
    assert (web["scheduler"], web["persistent"], web["netmask"], web["forward"]) == \
        ("wrr", 1800, "255.255.255.0", "gate")
    assert web["reals"] == ["10.0.0.10:80", {"address": "10.0.0.11:80", "weight": 0},
                            {"address": "10.0.0.12:8080", "weight": 3, "forward": "masq"}]
    assert s["10.0.0.100:53"]["reals"] == [{"address": "10.0.0.20:5353", "weight": 2}]
    assert s["10.0.0.100:443"]["forward"] == "ipip"
    assert s["10.0.0.100:2905"] == {"virtual": "10.0.0.100:2905", "protocol": "sctp",
                                    "scheduler": "mh", "reals": []}
    assert s["fwmark:1"]["netmask"] == "255.255.0.0"
    # one masq, one gate: export's convention takes gate as the service's forward then
    assert s["fwmark:1"]["reals"] == [{"address": "192.168.10.1", "forward": "masq"},
                                      "192.168.10.2"]
    assert s["fwmark:7"]["netmask"] == 64 and s["fwmark:7"]["reals"] == ["[2001:db8::1]"]
    assert all("check" not in v for v in s.values())    # ipvsadm has no checks
    assert len(table(doc)) == 8


def test_what_lvslite_cannot_say_is_warned_with_its_line():
    _, notes = imported(RULES, "ipvsadm")
    assert notes == [
        f"{F}:3: -C clears the table first; an imported config replaces the whole table anyway",
        f"{F}:7: -x 500: lvslite has no upper connection threshold; real imported without it",
        f"{F}:7: -y 100: lvslite has no lower connection threshold; real imported without it",
        f"{F}:8: lvslite has no one-packet scheduling (-o); service imported without it",
        f"{F}:10: lvslite has no scheduler flags (-b sh-fallback,sh-port); service imported "
        "without them",
        f'{F}:11: --tun-type gue: lvslite tunnels are plain ipip; real imported with forward '
        '"ipip" without it',
        f'{F}:11: --tun-port 6080: lvslite tunnels are plain ipip; real imported with forward '
        '"ipip" without it',
        f"{F}:13: lvslite has no scheduler flags (-b mh-port); service imported without them",
        f"{F}:14: tcp 10.0.0.100:0 is on port 0 (every port, with persistence), which lvslite "
        "cannot say; the service and its reals are not imported",
        f"{F}:16: --pe sip: lvslite has no persistence engines; service imported without it",
        f"{F}:24: tcp 10.0.0.100:80 is already added at line 4; this line is left out",
        f"{F}:25: a real of tcp 10.0.0.200:80, which no -A line before adds; left out",
    ]


def expressible(table):
    """The services of a kernel table a config can say: no flags, no port 0, an IPv6 fwmark
    only with reals, and addresses lvslite takes (not multicast, no NAT to loopback)."""
    keep = {}
    for k, s in table.items():
        if s.flags or not (k.fwmark or k.port) or (k.fwmark and k.af == 6 and not s.reals):
            continue
        try:
            validate(to_config({k: s})[0])
        except ConfigError:
            continue
        keep[k] = s
    return keep


@pytest.mark.parametrize("name", ["ipvsadm-save-shapes.txt", "ipvsadm-save-order.txt"])
def test_round_trip_of_tables_ipvsadm_printed(tmp_path, name):
    """export's text of a table -> import -> the same table."""
    saved = "".join(line + "\n" for line in (SAVED / name).read_text().splitlines()
                    if not line.startswith("#"))
    kernel = expressible(parse_save(saved))
    assert len(kernel) > 10
    path = write(tmp_path, "rules", to_ipvsadm(kernel))
    doc, notes = imported(path, "ipvsadm")
    assert table(doc) == kernel and notes == []


def test_round_trip_of_every_shape_a_config_can_say(tmp_path):
    k4, k6 = ServiceKey(4, "tcp", "10.0.0.1", 80), ServiceKey(6, "udp", "2001:db8::1", 53)
    fw = ServiceKey(4, "", "", 0, 4294967295)
    kernel = {
        k4: VirtualService(k4, "wrr", 300, 24, 0, (
            Real(RealKey("10.0.0.2", 80), 0, "gate"), Real(RealKey("10.0.0.3", 8080), 7, "masq"),
            Real(RealKey("10.0.0.4", 80), 65535, "ipip"))),
        k6: VirtualService(k6, "sed", 60, 48, 0, (Real(RealKey("2001:db8::2", 5353), 1, "masq"),)),
        fw: VirtualService(fw, "lblc", 0, 32, 0, (Real(RealKey("10.0.0.5", 0), 2, "gate"),)),
    }
    doc, notes = imported(write(tmp_path, "rules", to_ipvsadm(kernel)), "ipvsadm")
    assert table(doc) == kernel and notes == []


def test_bad_lines_are_errors_with_their_line(tmp_path):
    path = write(tmp_path, "rules", "-A -t www.example.com:80 -s rr\n-A -t 10.0.0.1:80 -s rr -Z\n"
                 "-A -t 10.0.0.2:80 -s fastest\n-E -t 10.0.0.3:80\n-A -t 10.0.0.4:nosuchport\n"
                 "-A -t 10.0.0.5:80 -s\n")
    assert failed(path, "ipvsadm") == [
        f'{path}:1: error: "www.example.com" is a host name; names are not resolved (save the '
        "table with ipvsadm -S -n)",
        f"{path}:2: error: unknown option -Z",
        f"{path}:3: error: unknown scheduler 'fastest' (lvslite knows rr, wrr, lc, wlc, lblc, "
        "lblcr, dh, sh, sed, nq, fo, ovf, mh)",
        f"{path}:4: error: cannot read '-E -t 10.0.0.3:80': expected an -A or -a line of "
        "ipvsadm -S",
        f"{path}:5: error: port 'nosuchport' is neither a number nor a known service name",
        f"{path}:6: error: -s needs a value",
    ]


def test_nothing_usable(tmp_path):
    path = write(tmp_path, "rules", "# nothing but a comment\n\n")
    assert failed(path, "ipvsadm") == [f"{path}: error: no virtual service could be imported"]
    path = write(tmp_path, "rules", "-A -t 10.0.0.1:0 -s rr -p 60\n")
    assert failed(path, "ipvsadm")[-1] == f"{path}: error: no virtual service could be imported"


def test_a_bare_p_takes_ipvsadms_default(tmp_path):
    doc, _ = imported(write(tmp_path, "rules", "-A -t 10.0.0.1:80 -s fo -p\n"), "ipvsadm")
    assert doc["services"][0]["persistent"] == 360
    assert Path(tmp_path / "rules").exists()
