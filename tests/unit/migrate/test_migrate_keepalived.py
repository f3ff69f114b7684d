"""lvslite import --from keepalived: keepalived.conf (and what it includes) to a config."""
from migrate_util import MIGRATE, failed, imported, services, table, write

MAIN = MIGRATE / "keepalived" / "keepalived.conf"
K = "tests/fixtures/migrate/keepalived/"


def test_services_schedulers_persistence_forwards_weights():
    doc, _ = imported(MAIN, "keepalived")
    s = services(doc)
    # file order, includes in name order (mail.conf before pools.conf), the group expanded
    assert list(s) == ["10.0.0.100:80", "10.0.0.100:25", "10.0.0.101:443", "10.0.0.110:443",
                       "10.0.0.111:443", "fwmark:7", "10.0.0.100:53"]
    web = s["10.0.0.100:80"]
    assert (web["scheduler"], web["persistent"], web["netmask"], web["forward"]) == \
        ("wrr", 300, "255.255.255.0", "gate")
    assert web["reals"] == [{"address": "10.0.0.10:80", "weight": 3}, "10.0.0.11:80"]
    assert web["fallback"] == "10.0.0.99:80" and web["quiescent"] is True
    mail = s["10.0.0.100:25"]
    assert (mail["scheduler"], mail["forward"]) == ("lc", "masq")      # lb_kind NAT
    assert mail["reals"] == ["10.0.0.3:25", {"address": "10.0.0.4:2525", "weight": 2}]
    for vip in ("10.0.0.101:443", "10.0.0.110:443", "10.0.0.111:443"):
        assert (s[vip]["scheduler"], s[vip]["forward"]) == ("sh", "ipip")
        assert s[vip]["reals"] == ["10.0.1.20:443"]
    fw = s["fwmark:7"]
    assert (fw["scheduler"], fw["persistent"], fw["forward"]) == ("rr", 600, "gate")
    assert fw["reals"] == ["10.0.0.30"]
    assert fw["fallback"] == "127.0.0.1:80"     # NAT to loopback made gate (warned)
    dns = s["10.0.0.100:53"]
    assert (dns["protocol"], dns["forward"]) == ("udp", "masq")       # keepalived's default
    assert len(table(doc)) == 7


def test_checks():
    s = services(imported(MAIN, "keepalived")[0])
    assert s["10.0.0.100:80"]["check"] == {
        "type": "negotiate", "service": "http", "request": "/health",
        "virtualhost": "www.example.com", "status": "200-299", "interval": 6, "timeout": 3,
        "fall": 3}
    # SMTP_CHECK -> connect, with keepalived's delay_loop 60
    assert s["10.0.0.100:25"]["check"] == {"type": "connect", "interval": 60, "timeout": 10}
    assert s["10.0.0.101:443"]["check"] == {
        "type": "negotiate", "service": "https", "request": "/status", "receive": "ready",
        "virtualhost": "tls.example.com", "port": 8443, "interval": 10, "timeout": 2}
    assert s["fwmark:7"]["check"] == {"type": "external",
                                      "command": ["/usr/local/bin/check-app", "--quick"],
                                      "interval": 30, "timeout": 4}
    assert s["10.0.0.100:53"]["check"] == {"type": "none"}     # no checker: always up


def test_warnings_name_the_included_file_and_line():
    _, notes = imported(MAIN, "keepalived")
    assert notes == [
        f"{K}keepalived.conf:2: global_defs is not imported (global settings of keepalived)",
        f"{K}keepalived.conf:6: vrrp_instance is not imported (lvslite does not do VRRP)",
        f"{K}keepalived.conf:33: digest has no lvslite equivalent (lvslite matches the status "
        "and a regular expression); not imported",
        f"{K}keepalived.conf:37: delay_before_retry: lvslite checks again at the next interval; "
        "not imported",
        f"{K}conf.d/mail.conf:6: ops: lvslite has no one-packet scheduling; not imported",
        f'{K}conf.d/mail.conf:8: SMTP_CHECK has no lvslite equivalent; real 10.0.0.3:25 '
        'imported with check "connect"',
        f"{K}conf.d/mail.conf:15: uthreshold: lvslite has no connection thresholds; not "
        "imported",
        f"{K}conf.d/mail.conf:12: real 10.0.0.4:2525 is checked differently from real "
        "10.0.0.3:25; lvslite has one check per service: imported with the check of "
        "10.0.0.3:25",
        f"{K}conf.d/pools.conf:4: the range 10.0.0.110-111 443 is one entry in keepalived; "
        "lvslite has no ranges: expanded into 2 services",
        f"{K}conf.d/pools.conf:34: lvslite gives an external check the real's address and port "
        "as two more arguments; check that misc_path accepts them",
        f"{K}conf.d/pools.conf:36: misc_dynamic: lvslite does not set weights from a check's "
        "exit status; not imported",
        f'{K}conf.d/pools.conf:30: fallback 127.0.0.1:80 is a loopback address, which the '
        'kernel does not NAT to; imported with forward "gate"',
    ]


def test_tokenizer_comments_quotes_and_braces_on_one_line(tmp_path):
    path = write(tmp_path, "k.conf", """
virtual_server 10.0.0.1 80 { lb_algo rr ! bang comment
  protocol TCP # hash comment
  real_server 10.0.0.2 80 { weight 2
    HTTP_GET { url { path "/a b#c" } }
  }
  real_server 10.0.0.3 80
  {
    weight 1
  }
}
""")
    errors = failed(path, "keepalived")     # "/a b#c" is read whole, then refused by lvslite
    assert errors == [f"{path}:7: real 10.0.0.3:80 is checked differently from real "
                      "10.0.0.2:80; lvslite has one check per service: imported with the check "
                      "of 10.0.0.2:80",
                      f'{path}:2: error: check.request: "/a b#c" contains spaces or control '
                      "characters (a URL path like /alive.html)"]


def test_unbalanced_braces_and_bad_statements(tmp_path):
    path = write(tmp_path, "k.conf", "virtual_server 10.0.0.1 80 {\n  lb_algo rr\n")
    assert failed(path, "keepalived") == [f"{path}:1: error: the {{ opened at line 1 is never "
                                          "closed"]
    path = write(tmp_path, "l.conf", "}\n")
    assert failed(path, "keepalived") == [f"{path}:1: error: }} without a {{ to close"]
    path = write(tmp_path, "m.conf", "virtual_server group NOPE {\n real_server 10.0.0.2 80\n}\n"
                 "virtual_server 10.0.0.1 80 {\n lb_kind ROUTE\n real_server 10.0.0.2 80\n}\n")
    assert failed(path, "keepalived") == [
        f"{path}:1: error: virtual_server group NOPE: no virtual_server_group of that name "
        "before it",
        f"{path}:5: error: lb_kind ROUTE: expected NAT, DR or TUN"]


def test_includes_are_relative_to_the_including_file(tmp_path):
    (tmp_path / "sub").mkdir()
    write(tmp_path, "sub/b.conf", "virtual_server 10.0.0.1 80 {\n real_server 10.0.0.2 80\n}\n"
          "include ../c/*.conf\n")
    path = write(tmp_path, "a.conf", "include sub/b.conf\ninclude missing/*.conf\n")
    doc, notes = imported(path, "keepalived")
    assert [s["virtual"] for s in doc["services"]] == ["10.0.0.1:80"]
    assert notes == [f"{tmp_path}/sub/b.conf:4: include ../c/*.conf matches no file; nothing "
                     "included",
                     f"{path}:2: include missing/*.conf matches no file; nothing included"]


def test_an_include_loop_stops(tmp_path):
    path = write(tmp_path, "a.conf", "include a.conf\n")
    assert failed(path, "keepalived")[-1].endswith("includes nested deeper than 8 (an include "
                                                   "loop?)")


def test_without_ports_without_reals_and_nothing_usable(tmp_path):
    path = write(tmp_path, "k.conf", "vrrp_instance VI_1 {\n state MASTER\n}\n"
                 "virtual_server 10.0.0.1 {\n persistence_timeout 60\n real_server 10.0.0.2 80\n}\n"
                 "virtual_server 10.0.0.1 443 {\n sorry_server 10.0.0.9 443\n}\n")
    assert failed(path, "keepalived") == [
        f"{path}:1: vrrp_instance is not imported (lvslite does not do VRRP)",
        f"{path}:4: 10.0.0.1 has no port (every port, with persistence), which lvslite cannot "
        "say; not imported",
        f"{path}:8: a virtual_server without real_server, which keepalived ignores; not "
        "imported",
        f"{path}: error: no virtual service could be imported"]


def test_ipv6_and_fwmark_groups(tmp_path):
    path = write(tmp_path, "k.conf", """
virtual_server_group G6 {
  2001:db8::10-11 80
  fwmark 9
}
virtual_server group G6 {
  lb_kind DR
  persistence_timeout 30
  persistence_granularity 64
  real_server 2001:db8::20 80 {
    TCP_CHECK {
      connect_timeout 2
      retry 0
    }
  }
}
""")
    doc, notes = imported(path, "keepalived")
    assert [s["virtual"] for s in doc["services"]] == ["[2001:db8::10]:80", "[2001:db8::11]:80",
                                                       "fwmark:9"]
    for s in doc["services"]:
        assert s["netmask"] == 64 and s["reals"] == ["[2001:db8::20]:80"]
        assert s["check"] == {"type": "connect", "interval": 60, "timeout": 2, "fall": 1}
    assert table(doc)
    assert len(notes) == 1 and "expanded into 2 services" in notes[0]


def test_quiescence_is_per_service(tmp_path):
    path = write(tmp_path, "k.conf", "virtual_server 10.0.0.1 80 {\n delay_before_retry 3\n"
                 " real_server 10.0.0.2 80 {\n  inhibit_on_failure\n }\n"
                 " real_server 10.0.0.3 80 {\n  notify_down /bin/true\n }\n}\n")
    doc, notes = imported(path, "keepalived")
    assert doc["services"][0]["quiescent"] is True
    assert notes == [
        f"{path}:2: delay_before_retry: lvslite has no delay before retries; not imported",
        f"{path}:7: notify_down: lvslite has no notify scripts; not imported",
        f"{path}:1: inhibit_on_failure is set for some reals only; lvslite's quiescent is per "
        "service: set for every real"]
