"""Address spellings, typed reads and health-check rules, one at a time."""
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lvslite.config import ConfigError, parse
from lvslite.config import addr
from lvslite.config.addr import Bad
from lvslite.config.fields import join, suggest


@pytest.mark.parametrize("text, want", [
    ("10.0.0.1:80", (4, "10.0.0.1", 80)),
    ("[2001:DB8:0000::1]:443", (6, "2001:db8::1", 443)),
    ("[::ffff:10.0.0.1]:1", (6, str(__import__("ipaddress").IPv6Address("::ffff:10.0.0.1")), 1)),
    ("127.0.0.1:65535", (4, "127.0.0.1", 65535)),
])
def test_endpoint_canonical(text, want):
    assert addr.endpoint(text) == want


@pytest.mark.parametrize("text, says", [
    ("10.0.0.1", "has no port"), ("10.0.0.1:", "is not a number"),
    ("10.0.0.1:+80", "not a number"), ("10.0.0.1: 80", "not a number"),
    ("10.0.0.1:٨٠", "not a number"), ("10.0.0.1:0", "out of range"),
    ("10.0.0.1:99999999999", "not a number"), ("10.0.0.1:80:81", "more than one"),
    ("[10.0.0.1]:80", "non-IPv6"), ("[2001:db8::1]80", "after the ]"),
    ("[2001:db8::1:80", "no closing"),
    ("2001:db8::1:80", "without brackets"), ("[2001:db8::g]:80", "not a valid IPv6"),
    ("[::]:80", "unspecified"), ("[ff02::1]:80", "multicast"), ("[fe80::1]:80", "link-local"),
    ("[fe80::1%eth0]:80", "zone"), ("1.2.3:80", "not an IPv4"), ("1.2.3.4.5:80", "not an IPv4"),
    ("01.2.3.4:80", "leading zero"), ("１.2.3.4:80", "not an IPv4"), ("localhost:80", "host name"),
    ("", "not an IPv4"),
])
def test_endpoint_refusals_say_why(text, says):
    with pytest.raises(Bad) as info:
        addr.endpoint(text)
    assert says in info.value.what and info.value.expected


def test_fwmark_real_may_omit_the_port():
    assert addr.endpoint("10.0.0.1", port_optional=True) == (4, "10.0.0.1", None)
    assert addr.endpoint("10.0.0.1:0", port_optional=True) == (4, "10.0.0.1", None)
    assert addr.endpoint("[2001:db8::1]", port_optional=True) == (6, "2001:db8::1", None)
    assert addr.endpoint("10.0.0.1:80", port_optional=True) == (4, "10.0.0.1", 80)


@pytest.mark.parametrize("text, want", [
    ("fwmark:1", (0, "", 0, 1)), ("fwmark:4294967295", (0, "", 0, 2 ** 32 - 1)),
    ("10.0.0.1:80", (4, "10.0.0.1", 80, 0)),
])
def test_virtual(text, want):
    assert addr.virtual(text) == want


@pytest.mark.parametrize("text", ["fwmark:", "fwmark:-1", "fwmark:0x10", "FWMARK:1", "fwmark 1",
                                  "fwmark:4294967296"])
def test_virtual_fwmark_refusals(text):
    with pytest.raises(Bad):
        addr.virtual(text)


@pytest.mark.parametrize("mask, prefix", [("255.255.255.255", 32), ("255.255.255.0", 24),
                                          ("255.255.128.0", 17), ("0.0.0.0", 0),
                                          ("128.0.0.0", 1)])
def test_ipv4_mask(mask, prefix):
    assert addr.ipv4_mask(mask) == prefix


@pytest.mark.parametrize("mask", ["255.0.255.0", "0.0.0.255", "255.255.255.254x", "256.0.0.0",
                                  "/24", "24", "255.255.255"])
def test_ipv4_mask_refusals(mask):
    with pytest.raises(Bad):
        addr.ipv4_mask(mask)


def test_suggestions():
    keys = ("virtual", "protocol", "scheduler", "persistent", "netmask", "reals")
    assert suggest("schedular", keys) == "scheduler"
    assert suggest("virutal", keys) == "virtual"      # swapped neighbours
    assert suggest("REALS", keys) == "reals"
    assert suggest("real", keys) == "reals"
    assert suggest("colour", keys) is None
    assert suggest("x" * 1000, keys) is None


def test_paths():
    assert join("", "services") == "services"
    assert join("services", 3) == "services[3]"
    assert join("services[0]", "weight") == "services[0].weight"
    assert join("services[0]", "a b\n") == 'services[0]["a b\\n"]'


def _errors(service: dict):
    try:
        parse(json.dumps({"services": [dict({"virtual": "10.0.0.1:80"}, **service)]}))
    except ConfigError as exc:
        return [(p.path, str(p)) for p in exc.problems]
    return []


@pytest.mark.parametrize("check", [
    {"type": "connect", "port": 8080, "interval": 1, "timeout": 0.5, "rise": 3, "fall": 2},
    {"type": "negotiate", "service": "http", "request": "/", "receive": "ok|up",
     "virtualhost": "www.example.com:8080", "status": 200},
    {"type": "negotiate", "service": "https", "verify": False, "status": ["200-299", 301]},
    {"type": "negotiate", "service": "tcp", "request": "PING\r\n", "receive": "^\\+PONG"},
    {"type": "external", "command": "/usr/bin/check", "timeout": 30},
    {"type": "ping", "interval": 60, "fall": 100},
    {"type": "none"}, {},
])
def test_valid_checks(check):
    assert _errors({"check": check}) == []


@pytest.mark.parametrize("check, path, says", [
    ({"type": "ping", "port": 80}, "services[0].check.port", 'not used by check type "ping"'),
    ({"type": "none", "interval": 5}, "services[0].check.interval", "not used"),
    ({"type": "negotiate", "service": "tcp", "virtualhost": "a"}, "services[0].check.virtualhost",
     'not used by service "tcp"'),
    ({"type": "negotiate", "service": "http", "verify": True}, "services[0].check.verify",
     'not used by service "http"'),
    ({"type": "negotiate", "service": "http", "request": "/a b"}, "services[0].check.request",
     "spaces"),
    ({"type": "negotiate", "service": "smtp"}, "services[0].check.service", "unknown"),
    ({"type": "negotiate", "status": 600}, "services[0].check.status", "outside"),
    ({"type": "negotiate", "status": "399-200"}, "services[0].check.status", "empty range"),
    ({"type": "negotiate", "status": []}, "services[0].check.status", "empty list"),
    ({"type": "negotiate", "status": [200, True]}, "services[0].check.status[1]", "boolean"),
    ({"type": "negotiate", "virtualhost": "a b"}, "services[0].check.virtualhost", "not a host"),
    ({"type": "negotiate", "receive": "a{1,2"}, None, None),  # Python takes this literally
    ({"type": "negotiate", "receive": "(" * 2000}, "services[0].check.receive", "not a valid"),
    ({"type": "external"}, "services[0].check.command", "needs a command"),
    ({"type": "external", "command": []}, "services[0].check.command", "empty list"),
    ({"type": "external", "command": ["ok", 3]}, "services[0].check.command[1]", "number"),
    ({"type": "external", "command": " "}, "services[0].check.command", "not a usable"),
    ({"interval": True}, "services[0].check.interval", "boolean"),
    ({"timeout": 1e400}, "services[0].check.timeout", "not a finite number"),
    ({"timeout": 86400.5}, "services[0].check.timeout", "out of range"),
    ({"rise": 1.5}, "services[0].check.rise", "not a whole number"),
    ({"interval": 10 ** 400}, "services[0].check.interval", "a huge integer is out of range"),
    ({"rise": 10 ** 400}, "services[0].check.rise", "a huge integer is out of range"),
    ({"type": "HTTP"}, "services[0].check.type", "negotiate"),
    ({"typ": "ping"}, "services[0].check.typ", "unknown key"),
])
def test_check_rules(check, path, says):
    errors = _errors({"check": check})
    if path is None:
        assert errors == []
    else:
        assert errors and errors[0][0] == path and says in errors[0][1], errors


def test_depool_threshold_bounds():
    assert _errors({"depool_threshold": 0}) == _errors({"depool_threshold": 1}) == []
    assert _errors({"depool_threshold": 0.25}) == []
    assert _errors({"depool_threshold": -0.1})[0][0] == "services[0].depool_threshold"
    assert _errors({"depool_threshold": True})[0][0] == "services[0].depool_threshold"


def test_persistence_bounds_and_ipv6_netmask():
    assert _errors({"persistent": 2678400}) == []
    v6 = {"virtual": "[2001:db8::1]:80", "persistent": 1}
    assert _errors(dict(v6, netmask=1)) == _errors(dict(v6, netmask=128)) == []
    assert _errors(dict(v6, netmask="64"))[0][0] == "services[0].netmask"
    assert _errors(dict(v6, netmask="ffff:ffff::"))[0][0] == "services[0].netmask"


def test_fallback_may_not_be_one_of_the_reals():
    errors = _errors({"reals": ["10.0.0.2:80"], "fallback": {"address": "10.0.0.2:80"}})
    assert errors[0][0] == "services[0].fallback.address" and "also" in errors[0][1]


def test_masq_real_may_use_another_port_and_fwmark_reals_any_port():
    assert _errors({"forward": "masq", "reals": ["10.0.0.2:8080"]}) == []
    assert _errors({"virtual": "fwmark:1", "reals": ["10.0.0.2:8080", "10.0.0.3"]}) == []


def test_port_rule_skipped_when_the_service_itself_is_wrong():
    # one problem (the virtual), not a second one about the real's port
    errors = _errors({"virtual": "10.0.0.1", "reals": ["10.0.0.2:8080"]})
    assert [p for p, _ in errors] == ["services[0].virtual"]


def test_many_problems_in_one_run_in_file_order():
    errors = _errors({"scheduler": "x", "persistent": 1.5, "forward": "y", "quiescent": 1,
                      "reals": [{"address": "10.0.0.2:80", "weight": -1, "forward": "z"}, 7]})
    assert [p for p, _ in errors] == [
        "services[0].scheduler", "services[0].persistent", "services[0].forward",
        "services[0].quiescent", "services[0].reals[0].weight", "services[0].reals[0].forward",
        "services[0].reals[1]"]


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.integers(1, 65535))
def test_ipv4_by_hand_agrees_with_ipaddress(value, port):
    """addr checks IPv4 without ipaddress (speed); it must say what ipaddress would."""
    import ipaddress
    a = ipaddress.IPv4Address(value)
    text = str(a)
    if a.is_unspecified or a.is_multicast or text == "255.255.255.255":
        with pytest.raises(Bad):
            addr.endpoint(f"{text}:{port}")
    else:
        assert addr.endpoint(f"{text}:{port}") == (4, text, port)
        assert addr.ip(text) == (4, text)
