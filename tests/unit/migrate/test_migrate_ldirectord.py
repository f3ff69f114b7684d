"""lvslite import --from ldirectord: ldirectord.cf to a config."""
import json

from lvslite.config import load
from lvslite.model import apply_table

from migrate_util import FIXTURES, MIGRATE, failed, imported, services, table, write

ALL = MIGRATE / "ldirectord-all.cf"
F = "tests/fixtures/migrate/ldirectord-all.cf"


def test_the_seed_setup_imports_to_the_same_table_checks_and_fallbacks():
    doc, notes = imported(MIGRATE / "seed-ldirectord.cf", "ldirectord")
    seed = load(str(FIXTURES / "configs" / "seed-ldirectord.json"))
    got = load_doc(doc)
    assert apply_table(got) == apply_table(seed)
    assert [(s.fallback, s.quiescent, s.check) for s in got.services] == \
        [(s.fallback, s.quiescent, s.check) for s in seed.services]
    # autoreload=no asks for nothing; logfile is a setting lvslite has elsewhere
    assert notes == ["tests/fixtures/migrate/seed-ldirectord.cf:6: logfile is not imported "
                     "(lvslite logs to syslog)"]


def load_doc(doc):
    from lvslite.config import validate
    return validate(doc)


def test_every_keyword():
    doc, _ = imported(ALL, "ldirectord")
    s = services(doc)
    assert list(s) == ["10.0.0.100:80", "10.0.0.100:8443", "fwmark:5", "10.0.0.100:53",
                       "10.0.0.100:25", "10.0.0.100:110", "10.0.0.100:7000",
                       "10.0.0.100:3306", "[2001:db8::100]:443"]
    web = s["10.0.0.100:80"]
    assert (web["scheduler"], web["persistent"], web["netmask"], web["forward"]) == \
        ("wlc", 600, "255.255.255.0", "masq")
    assert web["reals"] == [{"address": "10.0.0.10:8080", "weight": 5}, "10.0.0.11:8080",
                            {"address": "10.0.0.12:80", "weight": 0, "forward": "gate"}]
    assert web["check"] == {"type": "negotiate", "service": "http", "request": "/health",
                            "receive": "OK|ready", "virtualhost": "www.example.com",
                            "port": 8080, "interval": 6, "timeout": 8, "fall": 2}
    assert "quiescent" not in web                       # quiescent=no beats the global yes
    assert web["fallback"] == "10.0.0.250:80"           # the global fallback, masq as it said
    tls = s["10.0.0.100:8443"]
    assert tls["scheduler"] == "wrr" and tls["quiescent"] is True and tls["forward"] == "ipip"
    assert [r if isinstance(r, str) else r["address"] for r in tls["reals"]] == \
        ["10.0.1.1:8443", "10.0.1.2:8443", "10.0.1.3:8443", "10.0.1.9:8443"]   # range, port
    assert tls["check"] == {"type": "connect", "interval": 3, "timeout": 1, "fall": 2}
    assert tls["fallback"] == {"address": "127.0.0.1:8443", "forward": "gate"}
    fw = s["fwmark:5"]
    assert fw["reals"] == ["10.0.2.1", {"address": "10.0.2.2", "weight": 3}]
    assert fw["check"] == {"type": "external", "command": ["/usr/local/bin/check-app", "--deep"],
                           "interval": 6, "timeout": 4, "fall": 2}
    dns = s["10.0.0.100:53"]
    assert dns["protocol"] == "udp" and dns["scheduler"] == "rr"
    assert dns["check"]["type"] == "ping" and "port" not in dns["check"]
    assert s["10.0.0.100:25"]["check"] == {"type": "none"}
    off = s["10.0.0.100:110"]
    assert off["check"] == {"type": "none"} and off["reals"] == [{"address": "10.0.5.1:110",
                                                                   "weight": 0}]
    tcp = s["10.0.0.100:7000"]["check"]
    assert (tcp["type"], tcp["service"], tcp["request"], tcp["receive"]) == \
        ("negotiate", "tcp", "PING\n", "PONG")
    assert s["10.0.0.100:3306"]["check"]["type"] == "connect"
    v6 = s["[2001:db8::100]:443"]
    assert v6["check"]["service"] == "https" and v6["check"]["request"] == "/"
    assert v6["fallback"] == "[2001:db8::99]:443"
    assert len(table(doc)) == 9


def test_what_lvslite_cannot_say_is_warned_with_file_and_line():
    _, notes = imported(ALL, "ldirectord")
    assert notes == [
        f"{F}:8: emailalert is not imported (lvslite sends no mail)",
        f'{F}:32: real 10.0.1.9:9443 is on another port than the service (8443) with forward '
        f'"gate", where the kernel does not translate ports; imported on port 8443',
        f"{F}:44: lvslite gives an external check the real's address and port as its last two "
        "arguments (ldirectord gave the virtual's first); check that the command reads them so",
        f"{F}:48: the lower connection threshold l:10 (ipvsadm -y) has no lvslite equivalent; "
        "real imported without it",
        f"{F}:48: the upper connection threshold u:100 (ipvsadm -x) has no lvslite equivalent; "
        "real imported without it",
        f"{F}:61: checktype=off keeps every real and the fallback out, which lvslite cannot say; "
        'imported with check "none" and every real at weight 0',
        f"{F}:69: login is not imported (lvslite's checks do not log in)",
        f'{F}:73: service=mysql has no lvslite negotiate check; imported with check "connect"',
        f"{F}:78: checktype=5 (connect checks with a negotiate check every 5) has no lvslite "
        "equivalent; imported as negotiate at every check",
        f"{F}:79: httpmethod=HEAD: lvslite's HTTP check always uses GET",
    ]


def test_defaults_are_ldirectords(tmp_path):
    path = write(tmp_path, "d.cf", "virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate\n"
                 "virtual=10.0.0.1:9999\n    real=10.0.0.3:9999 masq\n")
    doc, notes = imported(path, "ldirectord")
    web, other = doc["services"]
    assert web["scheduler"] == "wrr" and web["protocol"] == "tcp"
    assert web["check"] == {"type": "negotiate", "service": "http", "request": "/",
                            "interval": 10, "timeout": 30}
    assert other["check"] == {"type": "none"}   # no service guessed from the port
    assert notes == []


def test_comments_and_unknown_settings(tmp_path):
    path = write(tmp_path, "d.cf", "# top\nbogus=1\nvirtual=10.0.0.1:80   # the web\n"
                 "    # a comment in the block\n    real=10.0.0.2:80 gate  # first\n"
                 '    receive="a#b"\n    frobnicate=yes\n')
    doc, notes = imported(path, "ldirectord")
    assert doc["services"][0]["check"]["receive"] == "a#b"
    assert [n.split(": ", 1)[1] for n in notes] == ["unknown global setting 'bogus'; ignored",
                                                   "unknown setting 'frobnicate'; ignored"]
    assert [n.split(":")[1] for n in notes] == ["2", "7"]


def test_malformed_input_is_an_error_with_its_line(tmp_path):
    path = write(tmp_path, "d.cf", "virtual=10.0.0.1:80\n    real=10.0.0.2:80 gate\n"
                 "    this is not a setting\n")
    assert failed(path, "ldirectord") == [f"{path}:3: error: cannot read 'this is not a "
                                          "setting': expected name=value"]
    path = write(tmp_path, "e.cf", "    real=10.0.0.2:80 gate\n")
    assert failed(path, "ldirectord")[-1].startswith(f"{path}:1: error: indented real=")
    path = write(tmp_path, "f.cf", "virtual=10.0.0.1:80\n    real=10.0.0.2:80 route\n"
                 "    scheduler=fastest\n    real=myhost:80 gate\n")
    assert failed(path, "ldirectord") == [
        f"{path}:3: error: unknown scheduler 'fastest' (lvslite knows rr, wrr, lc, wlc, lblc, "
        "lblcr, dh, sh, sed, nq, fo, ovf, mh)"]
    path = write(tmp_path, "g.cf", "virtual=10.0.0.1:80\n    real=10.0.0.2:80 route\n"
                 "    real=myhost:80 gate\n")
    assert failed(path, "ldirectord") == [
        f"{path}:2: error: forward method 'route': expected gate, masq or ipip",
        f'{path}:3: error: real=myhost:80 gate: "myhost" is a host name; names are not '
        "resolved"]


def test_nothing_usable(tmp_path):
    path = write(tmp_path, "d.cf", "checktimeout=3\nquiescent=no\n")
    assert failed(path, "ldirectord") == [f"{path}: error: no virtual service could be "
                                          "imported"]


def test_output_is_the_json_of_the_config():
    doc, _ = imported(ALL, "ldirectord")
    assert json.loads(json.dumps(doc)) == doc
