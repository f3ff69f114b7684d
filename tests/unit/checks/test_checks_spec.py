"""The CheckSpec a `check` object becomes: one place for the defaults (CheckSpec's and the
type table's); equal checks compare (and hash) equal."""
import pytest

from checks_util import spec_of
from lvslite.checks.spec import SERVICES, TYPES, CheckSpec, Target, identity
from lvslite.config import parse


def test_defaults_are_the_issues():
    s = spec_of({})
    assert (s.type, s.interval, s.timeout, s.rise, s.fall, s.port) == \
        ("connect", 5.0, 3.0, 1, 1, None)
    assert s == CheckSpec()
    n = spec_of({"type": "negotiate"})
    assert (n.service, n.request, n.status, n.verify, n.receive) == \
        ("http", "/", ((200, 399),), False, None)


def test_seed_ldirectord_check():
    s = spec_of({"type": "negotiate", "service": "http", "request": "/alive.html",
                 "receive": "I'm alive!", "interval": 2, "timeout": 10})
    assert (s.request, s.receive, s.interval, s.timeout) == ("/alive.html", "I'm alive!", 2, 10)
    assert s.probe_module() == "http"


@pytest.mark.parametrize("value, ranges", [
    (200, ((200, 200),)), ("200-299", ((200, 299),)),
    (["301-302", 200, "200"], ((200, 200), (301, 302))),
])
def test_status_forms(value, ranges):
    assert spec_of({"type": "negotiate", "status": value}).status == ranges


def test_tcp_chat_has_no_default_request_and_runs_in_tcpchat():
    s = spec_of({"type": "negotiate", "service": "tcp", "receive": "^220"})
    assert s.request is None and s.probe_module() == "tcpchat"
    assert spec_of({"type": "negotiate", "service": "tcp", "request": ""}) == \
        s.replace(receive=None)


def test_external_command_forms():
    assert spec_of({"type": "external", "command": "/bin/check"}).command == ("/bin/check",)
    assert spec_of({"type": "external", "command": ["/bin/check", "-q"]}).command == \
        ("/bin/check", "-q")


def test_the_config_carries_the_spec_and_a_missing_check_is_the_default():
    got = parse('{"services": [{"virtual": "10.0.0.1:80", "check": {"type": "ping"}},'
                '{"virtual": "10.0.0.1:81"}]}').services
    assert got[0].check == CheckSpec(type="ping") and got[1].check == CheckSpec()


def test_every_type_and_service_has_a_probe_module():
    import importlib.util
    specs = [CheckSpec(type=name) for name in TYPES if name != "negotiate"] + \
        [CheckSpec(type="negotiate", service=name) for name in SERVICES]
    for spec in specs:
        assert importlib.util.find_spec(f"lvslite.checks.{spec.probe_module()}"), spec


def test_equal_checks_hash_equal_whatever_the_json_spelling():
    a = spec_of({"type": "negotiate", "interval": 2, "status": "200-399"})
    b = spec_of({"type": "negotiate", "service": "http", "interval": 2.0, "request": "/"})
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != spec_of({"type": "negotiate", "interval": 3})


def test_identity_normalises_what_the_probe_does_not_depend_on():
    t80, t81 = Target("10.0.0.10", 80), Target("10.0.0.10", 81)
    assert identity(t81, CheckSpec(port=80)) == identity(t80, CheckSpec())
    assert identity(t80, CheckSpec(rise=3, fall=2)) == identity(t80, CheckSpec())
    assert identity(t80, CheckSpec(type="ping")) == identity(t81, CheckSpec(type="ping"))
    assert identity(t80, CheckSpec()) != identity(t81, CheckSpec())
    assert identity(t80, CheckSpec(timeout=1)) != identity(t80, CheckSpec())


def test_target_text():
    assert str(Target("10.0.0.10", 80)) == "10.0.0.10:80"
    assert str(Target("2001:db8::1", 443)) == "[2001:db8::1]:443"
    assert str(Target("10.0.0.10")) == "10.0.0.10"
