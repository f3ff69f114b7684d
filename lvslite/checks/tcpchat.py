"""`negotiate` with service tcp: send `request`, then match `receive` on what comes back.

ldirectord's simpletcp and ipvsman's "tcp regex chat" (docs/reference/control-planes.md#health-checks). The
reply is matched as it arrives, because chat servers (SMTP, Redis, memcached) keep the
connection open: the first match wins, and the end of the stream or MAX_REPLY bytes without
one fails. With no `receive`, connecting and sending is the whole check; with no `request`,
nothing is sent (a banner check: `receive: "^220 "`).
"""
from __future__ import annotations

import re

from lvslite.checks.probe import Failed, recv_some, send_all, show, tcp_connect

MAX_REPLY = 4096


def probe(target, spec):
    sock = yield from tcp_connect(target)
    try:
        if spec.request:
            yield from send_all(sock, spec.request.encode("utf-8"))
        if spec.receive is None:
            return "connected, sent" if spec.request else "connected"
        buf = b""
        what = "waiting for the reply"
        while len(buf) < MAX_REPLY:
            chunk = yield from recv_some(sock, what)
            if not chunk:
                break
            buf += chunk
            text = buf.decode("utf-8", "replace")
            if re.search(spec.receive, text):
                return "reply matched"
            what = f"reply {show(text.strip(), 24)} does not match {show(spec.receive, 24)}"
        if not buf:
            raise Failed("connection closed without a reply")
        raise Failed(f"reply did not match {show(spec.receive)}: "
                     f"{show(buf.decode('utf-8', 'replace').strip(), 30)}")
    finally:
        sock.close()
