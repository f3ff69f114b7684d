"""Good configs become exactly the model the backends program: canonical, sorted, defaulted."""
import json

import pytest

from config_corpus import GOOD_DIR, good_configs
from lvslite.checks.spec import CheckSpec
from lvslite.config import ConfigError, default_path, load, parse, summary, validate
from lvslite.model import (FORWARDS, PROTOCOLS, SCHEDULERS, Config, Real, RealKey, ServiceConfig,
                           ServiceKey, VirtualService, apply_table)

NEGOTIATE = CheckSpec("negotiate", request="/alive.html", receive="I'm alive!", interval=2.0,
                      timeout=10.0)


def _web(port, service):
    key = ServiceKey(4, "tcp", "10.0.0.100", port)
    reals = (Real(RealKey("10.0.0.10", port), 1, "gate"),
             Real(RealKey("10.0.0.20", port), 1, "gate"))
    return VirtualService(key, "wrr", 1800, 32, 0, reals), NEGOTIATE.replace(service=service)


def test_design_example_is_the_table_it_describes():
    svc, check = _web(80, "http")
    want = ServiceConfig(svc, Real(RealKey("127.0.0.1", 80), 1, "gate"), False, check,
                         "services[0]")
    got = load(str(GOOD_DIR / "design-example.json"))
    assert got == Config((want,))
    assert got.services[0].check == check          # check is not part of ==, compare it too
    assert apply_table(got) == {svc.key: svc}       # reals in: the fallback stays out


def test_seed_two_service_ldirectord_setup():
    got = load(str(GOOD_DIR / "seed-ldirectord.json"))
    http, https = _web(80, "http"), _web(443, "https")
    assert [sc.service for sc in got.services] == [http[0], https[0]]
    assert [sc.check for sc in got.services] == [http[1], https[1]]
    assert [sc.fallback for sc in got.services] == [
        Real(RealKey("127.0.0.1", 80), 1, "gate"), Real(RealKey("127.0.0.1", 443), 1, "gate")]
    assert summary(got) == "2 services, 4 reals"


def test_mixed_families_protocols_fwmarks_forwards():
    got = {sc.path: sc for sc in load(str(GOOD_DIR / "mixed.json")).services}
    v6 = got["services[0]"]
    assert v6.service.key == ServiceKey(6, "tcp", "2001:db8::100", 80)  # canonical, lower case
    assert v6.service.netmask == 64 and v6.service.persistent == 300
    assert v6.service.reals == (Real(RealKey("2001:db8::10", 8080), 0, "masq"),
                                Real(RealKey("2001:db8::20", 8080), 3, "masq"))  # sorted by key
    assert v6.quiescent is True and v6.depool_threshold == 0.5
    assert v6.check.status == ((200, 200), (300, 399)) and v6.check.verify is True

    udp = got["services[1]"].service
    assert udp.key == ServiceKey(4, "udp", "10.0.0.100", 53) and udp.scheduler == "sh"
    assert [r.key.address for r in udp.reals] == ["10.0.0.10", "10.0.0.20", "10.0.0.3"]
    assert got["services[1]"].check == CheckSpec(
        "external", command=("/usr/local/bin/check-dns", "--quick"))

    sctp = got["services[2]"].service
    assert sctp.key.protocol == "sctp"
    assert sctp.reals == (Real(RealKey("10.0.0.11", 3905), 1, "masq"),
                          Real(RealKey("10.0.1.10", 2905), 1, "ipip"))
    assert got["services[2]"].check.request == "HELO\r\n"

    mark = got["services[3]"].service
    assert mark.key == ServiceKey(4, "", "", 0, 1)      # family from its reals
    assert mark.netmask == 24 and mark.persistent == 600
    assert mark.reals == (Real(RealKey("192.168.10.1", 0), 1, "gate"),
                          Real(RealKey("192.168.10.2", 0), 1, "gate"))

    mark6 = got["services[4]"]
    assert mark6.service.key == ServiceKey(6, "", "", 0, 2 ** 32 - 1)
    assert mark6.service.netmask == 128
    assert mark6.service.reals == (Real(RealKey("fd00::1", 80), 65535, "masq"),)
    assert mark6.fallback == Real(RealKey("fd00::99", 8080), 1, "masq")
    assert mark6.check == CheckSpec("none")

    sorry = got["services[5]"]
    assert sorry.service.reals == () and sorry.service.scheduler == "mh"
    assert sorry.fallback == Real(RealKey("10.0.0.99", 8081), 5, "masq")
    assert apply_table(Config((sorry,)))[sorry.service.key].reals == (sorry.fallback,)


def test_defaults():
    sc = parse('{"services": [{"virtual": "10.0.0.1:80", "reals": ["10.0.0.2:80"]},'
               '{"virtual": "[2001:db8::1]:443", "persistent": 60}]}').services
    assert sc[0].service == VirtualService(ServiceKey(4, "tcp", "10.0.0.1", 80), "wlc", 0, 32, 0,
                                           (Real(RealKey("10.0.0.2", 80), 1, "gate"),))
    assert (sc[0].fallback, sc[0].quiescent, sc[0].check, sc[0].depool_threshold) == \
        (None, False, CheckSpec(), 0.0)
    assert sc[1].service.netmask == 128 and sc[1].service.reals == ()


@pytest.mark.parametrize("scheduler", SCHEDULERS)
def test_every_scheduler(scheduler):
    got = parse(json.dumps({"services": [{"virtual": "10.0.0.1:80", "scheduler": scheduler}]}))
    assert got.services[0].service.scheduler == scheduler


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("forward", FORWARDS)
def test_every_protocol_and_forward(protocol, forward):
    text = json.dumps({"services": [{"virtual": "10.0.0.1:80", "protocol": protocol,
                                     "forward": forward, "reals": ["10.0.0.2:80"]}]})
    svc = parse(text).services[0].service
    assert svc.key.protocol == protocol and svc.reals[0].forward == forward


def test_fwmark_ignores_protocol_but_still_checks_it():
    ok = parse('{"services": [{"virtual": "fwmark:9", "protocol": "udp"}]}')
    assert ok.services[0].service.key == ServiceKey(4, "", "", 0, 9)
    with pytest.raises(ConfigError):
        parse('{"services": [{"virtual": "fwmark:9", "protocol": "gre"}]}')


def test_same_address_and_port_on_two_protocols_are_two_services():
    got = parse('{"services": [{"virtual": "10.0.0.1:53", "protocol": "udp"},'
                '{"virtual": "10.0.0.1:53", "protocol": "tcp"}]}')
    assert len({sc.service.key for sc in got.services}) == 2


def test_text_bytes_file_and_value_agree(tmp_path):
    text = (GOOD_DIR / "mixed.json").read_text()
    f = tmp_path / "c.json"
    f.write_bytes(b"\xef\xbb\xbf" + text.encode())  # a UTF-8 byte-order mark is fine
    assert parse(text) == parse(text.encode()) == load(str(f)) == validate(json.loads(text))


@pytest.mark.parametrize("path", good_configs(), ids=lambda p: p.name)
def test_every_good_fixture_loads(path):
    assert isinstance(load(str(path)), Config)


def test_default_path():
    assert default_path({}) == "/etc/lvslite.json"
    assert default_path({"LVSLITE_CONFIG": ""}) == "/etc/lvslite.json"
    assert default_path({"LVSLITE_CONFIG": "/cfg/x.json"}) == "/cfg/x.json"
