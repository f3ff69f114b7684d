"""Every check type passes against a healthy loopback server and fails, with a reason a
person can read, against a broken one (docs/config.md#health-checks: each check type and service)."""
import os
import time
from pathlib import Path

import pytest

from checks_util import children, run_one, spec_of
from lvslite.checks.spec import Target
from support import need


def spec(**kw):
    return spec_of(kw)


def http(**kw):
    return spec(type="negotiate", service="http", **kw)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]   # closed again: nothing listens there


# ---------------------------------------------------------------- connect

def test_connect_up_on_v4_and_v6(servers):
    r = run_one(Target("127.0.0.1", servers["http"]), spec())
    assert (r.ok, r.reason) == (True, "connected")
    if servers["v6"]:
        assert run_one(Target("::1", servers["http"]), spec()).ok


def test_connect_refused():
    r = run_one(Target("127.0.0.1", free_port()), spec())
    assert (r.ok, r.reason) == (False, "connection refused")


def test_connect_uses_the_check_port_over_the_reals(servers):
    r = run_one(Target("127.0.0.1", free_port()), spec(port=servers["http"]))
    assert r.ok, r.reason


def test_connect_without_any_port_says_what_to_set():
    r = run_one(Target("127.0.0.1", 0), spec())
    assert not r.ok and "check.port" in r.reason


# ---------------------------------------------------------------- http

@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
def test_http_200_with_matching_body(servers, address):
    if address == "::1" and not servers["v6"]:
        pytest.skip("no ::1 here")
    r = run_one(Target(address, servers["http"]), http(request="/alive", receive="I.m alive"))
    assert (r.ok, r.reason) == (True, "HTTP 200")


def test_http_200_with_a_body_that_does_not_match(servers):
    r = run_one(Target("127.0.0.1", servers["http"]),
                http(request="/other", receive="I.m alive"))
    assert (r.ok, r.reason) == (False, "body did not match 'I.m alive'")


def test_http_503_is_down_unless_listed_in_status(servers):
    t = Target("127.0.0.1", servers["http"])
    r = run_one(t, http(request="/dead"))
    assert (r.ok, r.reason) == (False, "HTTP 503")
    assert run_one(t, http(request="/dead", status=["200-299", 503])).ok


def test_http_status_ranges(servers):
    t = Target("127.0.0.1", servers["http"])
    assert run_one(t, http(request="/redirect")).ok                     # 301 in 200-399
    r = run_one(t, http(request="/redirect", status="200-299"))
    assert (r.ok, r.reason) == (False, "HTTP 301")
    assert run_one(t, http(request="/nothing-here")).reason == "HTTP 404"


def test_http_sends_the_virtualhost_as_host_header(servers):
    t = Target("127.0.0.1", servers["http"])
    assert run_one(t, http(request="/host", virtualhost="www.example.org",
                           receive=r"^host=www\.example\.org$")).ok
    r = run_one(t, http(request="/host", receive=r"^host=www\.example\.org$"))
    assert not r.ok     # without it the Host header is the address:port


def test_http_refused_and_not_http(servers):
    r = run_one(Target("127.0.0.1", free_port()), http())
    assert (r.ok, r.reason) == (False, "connection refused")
    r = run_one(Target("127.0.0.1", servers["banner"]), http(timeout=2))
    assert not r.ok and r.reason.startswith("not an HTTP reply"), r.reason


# ---------------------------------------------------------------- https

def https(**kw):
    return spec(type="negotiate", service="https", **kw)


def test_https_self_signed_is_up_without_verify(servers, cert):
    need(cert is not None, "the openssl binary makes the self-signed certificate")
    r = run_one(Target("127.0.0.1", servers["https"]), https(request="/alive", receive="alive"))
    assert (r.ok, r.reason) == (True, "HTTP 200")


def test_https_body_mismatch_and_503(servers, cert):
    need(cert is not None, "the openssl binary makes the self-signed certificate")
    t = Target("127.0.0.1", servers["https"])
    assert run_one(t, https(request="/other", receive="alive")).reason == \
        "body did not match 'alive'"
    assert run_one(t, https(request="/dead")).reason == "HTTP 503"


def test_https_verify_rejects_the_self_signed_certificate(servers, cert):
    need(cert is not None, "the openssl binary makes the self-signed certificate")
    r = run_one(Target("127.0.0.1", servers["https"]), https(request="/alive", verify=True))
    assert not r.ok and r.reason.startswith("TLS certificate rejected"), r.reason


def test_https_verify_checks_the_name_against_a_trusted_certificate(servers, cert,
                                                                   monkeypatch):
    """With a CA that trusts our certificate (IP SANs 127.0.0.1 and ::1), verify passes for
    the address and fails for a virtualhost the certificate does not name."""
    need(cert is not None, "the openssl binary makes the self-signed certificate")
    import ssl
    from lvslite.checks import http as http_mod
    monkeypatch.setitem(http_mod._contexts, True, ssl.create_default_context(cafile=cert[0]))
    t = Target("127.0.0.1", servers["https"])
    r = run_one(t, https(request="/alive", verify=True))
    assert (r.ok, r.reason) == (True, "HTTP 200")
    r = run_one(t, https(request="/alive", verify=True, virtualhost="www.example.org"))
    assert not r.ok and "hostname mismatch" in r.reason.lower(), r.reason


def test_https_against_a_plain_server_fails_in_the_handshake(servers):
    # The plain server waits for a request line the TLS hello never completes.
    r = run_one(Target("127.0.0.1", servers["http"]), https(timeout=0.5))
    assert (r.ok, r.reason) == (False, "timeout after 0.5s (TLS handshake)")
    r = run_one(Target("127.0.0.1", servers["banner"]), https(timeout=2))
    assert not r.ok and r.reason.startswith("TLS error"), r.reason


# ---------------------------------------------------------------- tcp chat

def chat(**kw):
    return spec(type="negotiate", service="tcp", **kw)


def test_tcp_chat_match(servers):
    r = run_one(Target("127.0.0.1", servers["chat"]), chat(request="PING\r\n",
                                                            receive=r"^\+PONG"))
    assert (r.ok, r.reason) == (True, "reply matched")


def test_tcp_chat_mismatch_on_an_open_connection_times_out_saying_what_came(servers):
    r = run_one(Target("127.0.0.1", servers["chat"]),
                chat(request="HELLO\r\n", receive=r"^\+PONG", timeout=0.5))
    assert not r.ok
    assert r.reason == "timeout after 0.5s (reply '-ERR unknown' does not match '^\\\\+PONG')"


def test_tcp_chat_mismatch_then_close(servers):
    # The http server answers 503 and closes: no match, end of stream.
    r = run_one(Target("127.0.0.1", servers["http"]),
                chat(request="GET /dead HTTP/1.0\r\n\r\n", receive="^HTTP/1.0 200"))
    assert not r.ok and r.reason.startswith("reply did not match '^HTTP/1.0 200'"), r.reason


def test_tcp_banner_without_request(servers):
    assert run_one(Target("127.0.0.1", servers["banner"]), chat(receive="^220 ")).ok
    assert not run_one(Target("127.0.0.1", servers["banner"]),
                       chat(receive="^554 ", timeout=0.3)).ok


# ---------------------------------------------------------------- external

def external(command, **kw):
    return spec(type="external", command=command, **kw)


def test_external_exit_0_and_1():
    t = Target("127.0.0.1", 8080)
    assert (run_one(t, external(["true"])).reason) == "exit 0"
    r = run_one(t, external(["sh", "-c", "exit 1"]))
    assert (r.ok, r.reason) == (False, "exit 1")


def test_external_gets_address_and_port_in_argv_and_environment():
    script = ('test "$0" = 10.1.2.3 && test "$1" = 8080 && '
              'test "$LVSLITE_REAL_ADDRESS" = 10.1.2.3 && test "$LVSLITE_REAL_PORT" = 8080')
    assert run_one(Target("10.1.2.3", 8080), external(["sh", "-c", script])).ok
    assert not run_one(Target("10.1.2.4", 8080), external(["sh", "-c", script])).ok


def test_external_missing_program():
    r = run_one(Target("127.0.0.1", 80), external("/nonexistent/check-db"))
    assert (r.ok, r.reason) == (False,
                                "cannot run /nonexistent/check-db: no such file or directory")


def test_external_hanging_command_is_killed_at_the_timeout_with_its_children():
    n = f"{3000 + os.getpid() % 1000}.{int(time.time() * 1000) % 1000:03d}"   # a unique sleep
    start = time.monotonic()
    r = run_one(Target("127.0.0.1", 80), external(["sh", "-c", f"sleep {n}; sleep {n}"],
                                                  timeout=0.5))
    assert (r.ok, r.reason) == (False, "timeout after 0.5s (command did not exit; killed)")
    assert time.monotonic() - start < 5
    time.sleep(0.2)
    assert [p for p in os.listdir("/proc") if p.isdigit() and n in _cmdline(p)] == [], \
        "the command or its children outlived the timeout"
    assert [p for p in children() if _state(p) == "Z"] == [], "a child was left unreaped"


def _cmdline(pid):
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _state(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


# ---------------------------------------------------------------- ping and none

def test_ping_loopback_v4_and_v6(servers):
    need(os.geteuid() == 0, "raw ICMP sockets need root (the unprivileged path is tested "
                            "in test_checks_ping_netns)")
    r = run_one(Target("127.0.0.1", 80), spec(type="ping"))
    assert (r.ok, r.reason) == (True, "echo reply")
    if servers["v6"]:
        assert run_one(Target("::1", 0), spec(type="ping")).ok


def test_none_is_always_up():
    r = run_one(Target("192.0.2.1", 80), spec(type="none"))
    assert r.ok and r.reason == "not checked (type none)"


def test_external_without_pidfd_polls_for_the_exit(monkeypatch):
    """Kernels before 5.3 (or Pythons without os.pidfd_open): the probe polls instead."""
    from lvslite.checks import external as ext
    monkeypatch.setattr(ext, "_pidfd", lambda pid: -1)
    t = Target("127.0.0.1", 80)
    assert run_one(t, external(["true"])).reason == "exit 0"
    assert run_one(t, external(["false"])).reason == "exit 1"
    r = run_one(t, external(["sh", "-c", "sleep 30"], timeout=0.3))
    assert r.reason == "timeout after 0.3s (command did not exit; killed)"
    assert [p for p in children() if _state(p) == "Z"] == []
