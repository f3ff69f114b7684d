"""`connect`: the real is up if it completes a TCP handshake on the port.

The cheapest check that still proves a process listens (ldirectord's `checktype = connect`,
keepalived's TCP_CHECK); it says nothing about whether that process answers.
"""
from __future__ import annotations

from lvslite.checks.probe import tcp_connect


def probe(target, spec):
    sock = yield from tcp_connect(target)
    sock.close()
    return "connected"
