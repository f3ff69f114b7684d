"""CheckSpec.from_dict: one place for the defaults; equal checks compare (and hash) equal."""
import pytest

from lvslite.checks.spec import CheckError, CheckSpec, Target, identity, parse_status


def test_defaults_are_the_issues():
    s = CheckSpec.from_dict({})
    assert (s.type, s.interval, s.timeout, s.rise, s.fall, s.port) == \
        ("connect", 5.0, 3.0, 1, 1, None)
    assert CheckSpec.from_dict(None) == s == CheckSpec()
    n = CheckSpec.from_dict({"type": "negotiate"})
    assert (n.service, n.request, n.status, n.verify, n.receive) == \
        ("http", "/", ((200, 399),), False, None)


def test_seed_ldirectord_check():
    s = CheckSpec.from_dict({"type": "negotiate", "service": "http", "request": "/alive.html",
                             "receive": "I'm alive!", "interval": 2, "timeout": 10})
    assert (s.request, s.receive, s.interval, s.timeout) == ("/alive.html", "I'm alive!", 2, 10)
    assert s.probe_module() == "http"


@pytest.mark.parametrize("value, ranges", [
    (200, ((200, 200),)), ("200-299", ((200, 299),)),
    (["301-302", 200, "200"], ((200, 200), (301, 302))),
])
def test_status_forms(value, ranges):
    assert parse_status(value) == ranges
    assert CheckSpec.from_dict({"type": "negotiate", "status": value}).status == ranges


def test_tcp_chat_has_no_default_request_and_runs_in_tcpchat():
    s = CheckSpec.from_dict({"type": "negotiate", "service": "tcp", "receive": "^220"})
    assert s.request is None and s.probe_module() == "tcpchat"


def test_external_command_forms_and_missing_command():
    assert CheckSpec.from_dict({"type": "external", "command": "/bin/check"}).command == \
        ("/bin/check",)
    assert CheckSpec.from_dict({"type": "external",
                                "command": ["/bin/check", "-q"]}).command == ("/bin/check", "-q")
    with pytest.raises(CheckError, match=r"^services\[0\]\.check\.command: missing"):
        CheckSpec.from_dict({"type": "external"}, "services[0].check")


def test_unvalidated_garbage_is_a_check_error_not_a_crash():
    with pytest.raises(CheckError, match="check.type: 'http_get' is not a check type"):
        CheckSpec.from_dict({"type": "http_get"})
    with pytest.raises(CheckError, match="check.service"):
        CheckSpec.from_dict({"type": "negotiate", "service": "smtp"})
    with pytest.raises(CheckError, match="lvslite check"):
        CheckSpec.from_dict({"interval": "soon"})


def test_equal_checks_hash_equal_whatever_the_json_spelling():
    a = CheckSpec.from_dict({"type": "negotiate", "interval": 2, "status": "200-399"})
    b = CheckSpec.from_dict({"type": "negotiate", "service": "http", "interval": 2.0,
                             "request": "/"})
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != CheckSpec.from_dict({"type": "negotiate", "interval": 3})


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
