"""The ipvsadm backend: the same operations through the ipvsadm binary, one command each.

For boxes (or doubts) where the netlink client is not wanted: every op is one fork+exec of
ipvsadm with the arguments ops.argv() renders, and every exit status is checked; the first
failure stops the apply. `ipvsadm -R` is deliberately not used: it applies a batch partially
and reports only its last line's status (docs/reference/control-planes.md#restoring-a-batch).

The kernel table is read back by parsing `ipvsadm -S -n`, the one ipvsadm output whose format
is meant for machines (print_service_entry() with FMT_RULE in ipvsadm.c).
"""
from __future__ import annotations

import os

from lvslite.ipvs import (NOT_AVAILABLE, PERMISSION, IPVSError, fault_fire, fault_limit,
                          more_failed, no_scheduler)
from lvslite.ipvs.ops import argv, command_line
from lvslite.model import (ADD_SERVICE, F_ONEPACKET, F_SCHED1, F_SCHED2, F_SCHED3, Op, Real,
                           RealKey, ServiceKey, Table, VirtualService, prefix_of)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Sequence

CANDIDATES = ("/sbin/ipvsadm", "/usr/sbin/ipvsadm")
FORWARD_OF = {"-g": "gate", "-m": "masq", "-i": "ipip"}
PROTOCOL_OF = {"-t": "tcp", "-u": "udp", "--sctp-service": "sctp"}
FLAG_OF = {"flag-1": F_SCHED1, "flag-2": F_SCHED2, "flag-3": F_SCHED3,
           "sh-fallback": F_SCHED1, "sh-port": F_SCHED2,
           "mh-fallback": F_SCHED1, "mh-port": F_SCHED2}


class ParseError(ValueError):
    """A line of `ipvsadm -S -n` output this parser does not understand."""


def find_ipvsadm() -> str | None:
    override = os.environ.get("LVSLITE_IPVSADM")
    if override:
        return override
    for path in CANDIDATES:
        if os.access(path, os.X_OK):
            return path
    return None


# --------------------------------------------------------------------------- parsing -S -n

def canonical_address(text: str) -> str:
    if ":" not in text:
        return text
    import ipaddress
    return ipaddress.IPv6Address(text).compressed


def split_hostport(text: str) -> tuple[str, int]:
    if text.startswith("["):
        host, _, port = text[1:].partition("]:")
    else:
        host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ParseError(f"bad address:port {text!r}")
    return canonical_address(host), int(port)


def prefix_of_dotted(mask: str) -> int:
    value = 0
    for part in mask.split("."):
        value = (value << 8) | int(part)
    return prefix_of(value)


def _service(tokens: list[str], i: int) -> tuple[ServiceKey, int]:
    """The service named at tokens[i:], and the index after it."""
    opt = tokens[i]
    if opt == "-f":
        mark = int(tokens[i + 1]) & 0xFFFFFFFF
        if i + 2 < len(tokens) and tokens[i + 2] == "-6":
            return ServiceKey(6, "", "", 0, mark), i + 3
        return ServiceKey(4, "", "", 0, mark), i + 2
    if opt not in PROTOCOL_OF:
        raise ParseError(f"unknown service option {opt!r}")
    host, port = split_hostport(tokens[i + 1])
    return ServiceKey(6 if ":" in host else 4, PROTOCOL_OF[opt], host, port), i + 2


def parse_save(text: str) -> Table:
    """The table that `ipvsadm -S -n` printed."""
    services: dict[ServiceKey, VirtualService] = {}
    reals: dict[ServiceKey, list[Real]] = {}
    for lineno, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens:
            continue
        try:
            cmd = tokens[0]
            key, i = _service(tokens, 1)
            if cmd == "-A":
                sched, persistent, netmask, flags = "wlc", 0, 128 if key.af == 6 else 32, 0
                while i < len(tokens):
                    opt = tokens[i]
                    if opt == "-s":
                        sched, i = tokens[i + 1], i + 2
                    elif opt == "-p":
                        persistent, i = int(tokens[i + 1]), i + 2
                    elif opt == "-M":
                        m = tokens[i + 1]
                        netmask = int(m) if key.af == 6 else prefix_of_dotted(m)
                        i += 2
                    elif opt == "-o":
                        flags |= F_ONEPACKET
                        i += 1
                    elif opt == "-b":
                        # A bare `-b ` is what ipvsadm prints for sh or mh with flag-3, the
                        # one scheduler flag it has no sh-/mh- name for.
                        names = tokens[i + 1] if i + 1 < len(tokens) else ""
                        if not names:
                            flags |= F_SCHED3
                        for name in filter(None, names.split(",")):
                            flags |= FLAG_OF[name]
                        i += 2
                    elif opt == "--pe":
                        i += 2
                    else:
                        raise ParseError(f"unknown option {opt!r}")
                services[key] = VirtualService(key, sched, persistent, netmask, flags, ())
                reals.setdefault(key, [])
            elif cmd == "-a":
                if tokens[i] != "-r":
                    raise ParseError("expected -r")
                host, port = split_hostport(tokens[i + 1])
                forward = FORWARD_OF[tokens[i + 2]]
                weight = int(tokens[tokens.index("-w", i) + 1]) if "-w" in tokens else 1
                reals.setdefault(key, []).append(Real(RealKey(host, port), weight, forward))
            else:
                raise ParseError(f"unknown command {cmd!r}")
        except (IndexError, KeyError, ValueError) as exc:
            raise ParseError(f"ipvsadm -S -n line {lineno}: {line!r}: {exc}") from None
    # sorted by key (a service's reals have distinct keys)
    return {key: s.replace(reals=tuple(sorted(reals.get(key, ())))) for key, s in services.items()}


# --------------------------------------------------------------------------- the backend

def explain(stderr: str, op: Op | None = None) -> str:
    """ipvsadm's own words, with what to do about them."""
    said = " ".join(stderr.split()) or "no message"
    thing = f"`{command_line(op)}`" if op is not None else "`ipvsadm -S -n`"
    if "Permission denied" in stderr:
        return PERMISSION
    if "Can't initialize ipvs" in stderr or "Protocol not available" in stderr:
        return NOT_AVAILABLE
    if "Scheduler or persistence engine not found" in stderr and op is not None:
        return no_scheduler(thing, op.service.scheduler)
    return f"{thing}: ipvsadm failed: {said}"


class IpvsadmBackend:
    def __init__(self, path: str | None = None) -> None:
        self.path = path or find_ipvsadm()
        if not self.path:
            raise IPVSError("ipvsadm is not installed (install it, or use --backend netlink)")
        import subprocess
        self._subprocess = subprocess

    def close(self) -> None:
        pass

    def __enter__(self) -> "IpvsadmBackend":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _run(self, args: list[str]):
        try:
            return self._subprocess.run([self.path] + args, stdin=self._subprocess.DEVNULL,
                                        capture_output=True, text=True)
        except OSError as exc:
            raise IPVSError(f"cannot run {self.path}: {exc.strerror}", exc.errno)

    def dump(self) -> Table:
        return self._save()[1]

    def save_text(self) -> str:
        """ipvsadm's own `-S -n`, verbatim (once it is known to be a table lvslite reads)."""
        return self._save()[0]

    def _save(self) -> tuple[str, Table]:
        proc = self._run(["-S", "-n"])
        if proc.returncode != 0:
            raise IPVSError(explain(proc.stderr))
        try:
            return proc.stdout, parse_save(proc.stdout)
        except ParseError as exc:
            raise IPVSError(f"cannot read the table from ipvsadm: {exc}")

    def apply(self, ops: Sequence[Op]) -> None:
        """One ipvsadm per op, every exit status checked. As with netlink, a refusal does
        not stop the others; the ops of a service whose add was refused are not tried (they
        could only fail). IPVSError names the first failure and lists what took effect."""
        done: list[Op] = []
        failures: list[str] = []
        refused = set()
        limit = fault_limit()   # None but under tests/vm/test_faults.py
        for n, op in enumerate(ops):
            if n == limit:
                fault_fire()
            if op.key in refused:
                failures.append("")
                continue
            proc = self._run(argv(op))
            if proc.returncode != 0:
                failures.append(explain(proc.stderr, op) + f" (ipvsadm exit {proc.returncode})")
                if op.kind == ADD_SERVICE:
                    refused.add(op.key)
                continue
            done.append(op)
        if limit is not None and len(ops) == limit:
            fault_fire()
        if failures:
            raise IPVSError(failures[0] + more_failed(len(failures) - 1), None, done)

    def flush(self) -> None:
        proc = self._run(["-C"])
        if proc.returncode != 0:
            raise IPVSError(explain(proc.stderr))
