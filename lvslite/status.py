"""The daemon's status file: status.json in the state directory (tmpfs), rewritten by the
daemon about every second, read by `lvslite status`. Its fields are named here and nowhere
else that writes or reads the file.

    {"pid", "time", "mono", "started", "config", "cycles", "ops", "interval_max_s",
     "services": [{"virtual", "scheduler", "fallback", "fallback_active",
                   "reals": [{"address", "weight", "effective_weight", "health",
                              "reason", "checked_ago_s"}]}]}

`time` and `started` are wall-clock seconds, for display only. Ages come from `mono`, the
daemon's time.monotonic() when it wrote the file: CLOCK_MONOTONIC is one clock for every
process of the system, so `lvslite status` compares it with its own and a jump of the wall
clock (NTP, `date -s`, a board without a battery) changes no age. `checked_ago_s` is
measured on the same clock, as of the write.

`virtual` and `address` are spelled as model.ServiceKey and RealKey print themselves, which is
also how lvslite.ipvs.proc keys the kernel's connection counters.
"""
from __future__ import annotations

import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional, Tuple
    Counters = Dict[Tuple[str, str], Tuple[int, int]]   # (virtual, address): (active, inactive)

STATUS_FILE = "status.json"
STALE_S = 10.0  # no rewrite for this long (beyond the longest check interval) = stale


def real_entry(address: str, weight: int, effective_weight: Optional[int], health: str,
               reason: str, checked_ago_s: Optional[float]) -> dict:
    return {"address": address, "weight": weight, "effective_weight": effective_weight,
            "health": health, "reason": reason, "checked_ago_s": checked_ago_s}


def service_entry(virtual: str, scheduler: str, reals: List[dict], fallback: Optional[str],
                  fallback_active: bool) -> dict:
    return {"virtual": virtual, "scheduler": scheduler, "reals": reals,
            "fallback": fallback, "fallback_active": fallback_active}


def document(pid: int, time: float, started: float, config: str, cycles: int, ops: int,
             interval_max_s: float, services: List[dict], mono: Optional[float] = None
             ) -> dict:
    doc = {"pid": pid, "time": time, "started": started, "config": config, "cycles": cycles,
           "ops": ops, "interval_max_s": interval_max_s, "services": services}
    if mono is not None:
        doc["mono"] = mono
    return doc


def write(state_dir: str, doc: dict) -> None:
    from lvslite.atomic import write_atomically
    path = os.path.join(state_dir, STATUS_FILE)
    data = json.dumps(doc, separators=(",", ":")).encode()
    write_atomically(path, data, f"{path}.tmp", durable=False)   # every second, tmpfs


def read(state_dir: str) -> Optional[dict]:
    """The status the daemon last wrote; None when there is none (or half of one)."""
    try:
        with open(os.path.join(state_dir, STATUS_FILE)) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def age(doc: dict, now: float, mono: float) -> float:
    """Seconds since the daemon wrote `doc`: on the monotonic clock (`mono` is the reader's
    time.monotonic()), or on the wall clock (`now`) for a file without a monotonic stamp or
    from another boot."""
    stamp = doc.get("mono")
    if isinstance(stamp, (int, float)) and 0 <= mono - stamp:
        return mono - stamp
    return now - doc["time"]


def is_stale(doc: dict, now: float, mono: Optional[float] = None) -> bool:
    """No rewrite for STALE_S beyond the longest check interval: the daemon is not looping,
    or cannot write its state directory."""
    return (age(doc, now, now if mono is None else mono)
            > STALE_S + doc.get("interval_max_s", 0))


def pid_running(pid) -> bool:
    """Whether process `pid` exists (the status file's writer)."""
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError, OverflowError):
        return False
    except OSError:
        return True     # EPERM: it exists
    return True


def stale_reason(doc: dict, seconds: float) -> str:
    """Why a status file stopped changing, as far as the reader can tell."""
    pid = doc.get("pid")
    if pid_running(pid):
        why = f"daemon pid {pid} running: state directory not writable?"
    else:
        why = f"daemon pid {pid} not running: start `lvslite run`"
    return f"status file not updated for {seconds:.0f}s ({why})"


def counters(conns: Counters, service: dict, real: dict) -> Tuple[int, int]:
    """(active, inactive) connections of one real of one service; 0s when the kernel has none."""
    return conns.get((service["virtual"], real["address"]), (0, 0))


def with_counters(doc: dict, conns: Counters, now: float, mono: Optional[float] = None
                  ) -> dict:
    """The document `lvslite status --json` prints: each real with the kernel's `active` and
    `inactive` connection counters, the file's `age_s`, and whether the status is `stale`
    (then `stale_reason` says why, as far as it can tell)."""
    mono = now if mono is None else mono
    for svc in doc["services"]:
        for r in svc["reals"]:
            r["active"], r["inactive"] = counters(conns, svc, r)
    doc["age_s"] = round(age(doc, now, mono), 1)
    doc["stale"] = is_stale(doc, now, mono)
    if doc["stale"]:
        doc["stale_reason"] = stale_reason(doc, doc["age_s"])
    return doc
