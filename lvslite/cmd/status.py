"""`lvslite status [--json]`: every service and real with weight, health, last check and the
kernel's connection counters, on an 80-column serial console.

Reads the daemon's status file and /proc/net/ip_vs (the kernel's own table, cheap to read and
needing no netlink). Warns when the status file is stale: a daemon that died silently is the
failure ldirectord users found the hard way (docs/reference/control-planes.md#what-users-run-into).
"""
from __future__ import annotations

import json
import sys
import time

from lvslite import EXIT_INVALID, EXIT_OK, error

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, Tuple
WIDTH = 80      # a serial console


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")


def render(status: dict, conns: Dict[Tuple[str, str], Tuple[int, int]], now: float,
           mono: float | None = None) -> str:
    """`now` is the wall clock, `mono` the monotonic one (ages are taken on it when the
    file has a monotonic stamp: lvslite.status.age)."""
    from lvslite.status import age as age_of
    from lvslite.status import counters, is_stale, stale_reason
    mono = now if mono is None else mono
    age = age_of(status, now, mono)
    lines = [f"lvslite pid {status['pid']}  {status['config']}  updated {age:.0f}s ago"
             f"  {status['ops']} kernel ops"]
    if is_stale(status, now, mono):
        lines.append(f"WARNING: {stale_reason(status, age)}")
    for svc in status["services"]:
        fb = ""
        if svc["fallback"]:
            fb = f"  fallback {svc['fallback']}" + (" ACTIVE" if svc["fallback_active"] else "")
        lines.append(f"{svc['virtual']}  {svc['scheduler']}{fb}")
        lines.append(f"  {'real':<24} {'weight':>9} {'health':<7} {'checked':>7} "
                     f"{'act':>5} {'inact':>6}  last result")
        for r in svc["reals"]:
            eff = r["effective_weight"]
            weight = f"{'-' if eff is None else eff}/{r['weight']}"
            ago = "-" if r["checked_ago_s"] is None else f"{r['checked_ago_s'] + age:.0f}s"
            act, inact = counters(conns, svc, r)
            left = (f"  {r['address']:<24} {weight:>9} {r['health']:<7} {ago:>7} {act:>5} "
                    f"{inact:>6}")
            reason = r["reason"]
            if len(left) + 2 + len(reason) <= WIDTH:
                lines.append(f"{left}  {reason}".rstrip())
            else:  # a long reason gets a line of its own rather than being cut
                lines.append(left)
                lines.append(f"      {reason}"[:WIDTH])
    return "\n".join(lines)


def run(args) -> int:
    from lvslite.ipvs import proc
    from lvslite.state import state_dir
    from lvslite.status import STATUS_FILE, read, with_counters
    d = state_dir()
    status = read(d)
    if status is None:
        error(f"{d}/{STATUS_FILE}: no status (is `lvslite run` running? start it, or set "
              f"LVSLITE_STATE_DIR)")
        return EXIT_INVALID
    text = proc.read()
    conns = proc.connections(text.decode("ascii", "replace")) if text is not None else {}
    now, mono = time.time(), time.monotonic()
    if args.json:
        json.dump(with_counters(status, conns, now, mono), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(render(status, conns, now, mono))
    return EXIT_OK
