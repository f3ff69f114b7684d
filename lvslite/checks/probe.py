"""The contract between the engine and the check modules, and the socket steps they share.

A probe is a generator: `probe(target, spec)` in each check module. It never blocks. When it
must wait it yields `(fd, events, what)`: a file descriptor and READ/WRITE, or `(None, 0,
what)` to be resumed after POLL seconds; `what` says what it waits for, and becomes the reason
if the run times out ("timeout after 3.0s (connecting)"). It ends by returning a short
reason (success) or raising Failed(reason). The engine owns time: it closes the generator at
the timeout, so every probe releases what it holds (sockets, children) in `finally`.
"""
from __future__ import annotations

import errno
import os
import socket

READ = 1    # == selectors.EVENT_READ; probes need not import selectors
WRITE = 2   # == selectors.EVENT_WRITE
POLL = 0.1  # seconds between resumes of a probe that has nothing to wait on (no pidfd)
CHUNK = 16384


class Failed(Exception):
    """The real failed this check; `reason` is what a person reads in the log."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def describe(exc: BaseException) -> str:
    """An OSError as a short lower-case phrase: "connection refused", "no route to host"."""
    code = getattr(exc, "errno", None)
    if isinstance(code, int) and code > 0:
        return os.strerror(code).lower()
    return str(exc) or type(exc).__name__


def show(text: str, limit: int = 40) -> str:
    """A user string quoted for a reason, cut so a log line stays on one console line."""
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return repr(text)


def tcp_connect(target):
    """Generator: a connected non-blocking TCP socket to target, or Failed."""
    if not target.port:
        raise Failed("no port to check (give the real a port, or set check.port)")
    family = socket.AF_INET6 if target.v6 else socket.AF_INET
    try:
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as exc:
        raise Failed(f"cannot open a socket: {describe(exc)}") from None
    try:
        sock.setblocking(False)
        err = sock.connect_ex((target.address, target.port))
        if err in (errno.EINPROGRESS, errno.EAGAIN):
            yield sock.fileno(), WRITE, "connecting"
            err = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if err:
            raise Failed(os.strerror(err).lower())
    except BaseException:
        sock.close()
        raise
    return sock


def send_all(sock, data: bytes, tls=None):
    """Generator: write all of data. tls is the ssl module when sock is an SSLSocket."""
    view = memoryview(data)
    while view:
        try:
            view = view[sock.send(view):]
            continue
        except BlockingIOError:
            events = WRITE
        except OSError as exc:
            events = tls_events(exc, tls)
        yield sock.fileno(), events, "sending"


def recv_some(sock, what: str, tls=None):
    """Generator: the next bytes from sock (b"" at the end of the stream)."""
    while True:
        try:
            return sock.recv(CHUNK)
        except BlockingIOError:
            events = READ
        except OSError as exc:
            events = tls_events(exc, tls)
        yield sock.fileno(), events, what


def tls_events(exc: OSError, tls) -> int:
    """What OpenSSL waits for (SSLWantRead/WriteError), or Failed with the error.
    tls is the ssl module, passed in so plain checks never import it."""
    if tls is not None:
        if isinstance(exc, tls.SSLWantReadError):
            return READ
        if isinstance(exc, tls.SSLWantWriteError):
            return WRITE
        if isinstance(exc, tls.SSLCertVerificationError):
            raise Failed(f"TLS certificate rejected: {exc.verify_message}") from None
        if isinstance(exc, tls.SSLError):
            raise Failed(f"TLS error: {getattr(exc, 'reason', None) or exc}") from None
    raise Failed(describe(exc)) from None
