"""`negotiate` with service http or https: GET `request`, want a status in `status` and, if
`receive` is set, a body matching that regular expression.

HTTP/1.0 with `Connection: close`, as keepalived's HTTP_GET does, so the reply ends when the
server closes (or at Content-Length). Without `receive` the status line is enough and the
connection is closed right after it. https does not verify the certificate unless `verify`:
reals are probed by IP address, and ldirectord's users saw every real marked dead when LWP
started verifying hostnames (docs/reference/control-planes.md#what-users-run-into, resource-agents #361). `ssl` is
imported only when an https check runs.
"""
from __future__ import annotations

import re

from lvslite.checks.probe import Failed, recv_some, send_all, show, tcp_connect, tls_events

MAX_REPLY = 65536        # bytes read before matching `receive` on what arrived
MAX_HEAD = 8192          # a status line + headers longer than this is not a health page
_LENGTH = re.compile(rb"^content-length:[ \t]*([0-9]+)", re.I | re.M)
_contexts: dict = {}     # verify (bool) -> ssl.SSLContext, made once: loading CAs is slow


def probe(target, spec):
    tls = None
    if spec.service == "https":
        import ssl as tls
    sock = yield from tcp_connect(target)
    try:
        if tls is not None:
            sock = yield from _handshake(sock, tls, spec)
        yield from send_all(sock, request_bytes(target, spec), tls)
        return (yield from _reply(sock, spec, tls))
    finally:
        sock.close()


def request_bytes(target, spec) -> bytes:
    host = spec.virtualhost
    if not host:
        default = 443 if spec.service == "https" else 80
        host = f"[{target.address}]" if target.v6 else target.address
        if target.port != default:
            host += f":{target.port}"
    return (f"GET {spec.request or '/'} HTTP/1.0\r\nHost: {host}\r\n"
            "User-Agent: lvslite-check\r\nAccept: */*\r\nConnection: close\r\n\r\n"
            ).encode("latin-1", "replace")


def _reply(sock, spec, tls):
    """Generator: read the reply and judge it; returns "HTTP 200" or raises Failed."""
    buf = bytearray()
    status = 0
    body_at = -1
    length = -1
    what = "waiting for the reply"
    while True:
        chunk = yield from recv_some(sock, what, tls)
        if not chunk:
            break
        what = "reading the reply"
        buf += chunk
        if not status:
            eol = buf.find(b"\n")
            if eol < 0:
                if len(buf) > MAX_HEAD:
                    raise Failed("not an HTTP reply (no status line)")
                continue
            status = _status(bytes(buf[:eol]))
            if not any(lo <= status <= hi for lo, hi in spec.status):
                raise Failed(f"HTTP {status}")
            if spec.receive is None:
                return f"HTTP {status}"
        if body_at < 0:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HEAD:
                    raise Failed("HTTP headers too long")
                continue
            body_at = end + 4
            m = _LENGTH.search(buf, 0, body_at)
            length = int(m.group(1)) if m else -1
        if 0 <= length <= len(buf) - body_at or len(buf) >= MAX_REPLY:
            break
    if not status:
        raise Failed("connection closed before the status line" if not buf else
                     "not an HTTP reply (no status line)")
    body = bytes(buf[body_at:]) if body_at >= 0 else b""
    if length >= 0:
        body = body[:length]
    if re.search(spec.receive, body.decode("utf-8", "replace")):
        return f"HTTP {status}"
    raise Failed(f"body did not match {show(spec.receive)}")


def _status(line: bytes) -> int:
    parts = line.split(None, 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/") or not parts[1].isdigit():
        raise Failed(f"not an HTTP reply: {show(line.decode('latin-1').strip())}")
    return int(parts[1])


def _context(tls, verify: bool):
    ctx = _contexts.get(verify)
    if ctx is None:
        if verify:
            ctx = tls.create_default_context()
        else:
            ctx = tls.SSLContext(tls.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = tls.CERT_NONE
        _contexts[verify] = ctx
    return ctx


def _handshake(sock, tls, spec):
    """Generator: the TLS socket over sock, handshake done. Takes ownership of sock."""
    host = spec.virtualhost
    if host:
        host = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:host.find("]")]
    elif spec.verify:
        host = sock.getpeername()[0]   # checked against the certificate's IP addresses
    try:
        ssock = _context(tls, spec.verify).wrap_socket(
            sock, server_hostname=host or None, do_handshake_on_connect=False)
    except (OSError, ValueError) as exc:
        sock.close()
        raise Failed(f"TLS setup failed: {exc}") from None
    try:
        while True:
            try:
                ssock.do_handshake()
                return ssock
            except OSError as exc:
                events = tls_events(exc, tls)
            yield ssock.fileno(), events, "TLS handshake"
    except BaseException:
        ssock.close()
        raise
