"""The daemon's status file: status.json in the state directory (tmpfs), rewritten by the
daemon about every second, read by `lvslite status`. Its fields are named here and nowhere
else that writes or reads the file.

    {"pid", "time", "started", "config", "cycles", "ops", "interval_max_s",
     "services": [{"virtual", "scheduler", "fallback", "fallback_active",
                   "reals": [{"address", "weight", "effective_weight", "health",
                              "reason", "checked_ago_s"}]}]}

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
             interval_max_s: float, services: List[dict]) -> dict:
    return {"pid": pid, "time": time, "started": started, "config": config, "cycles": cycles,
            "ops": ops, "interval_max_s": interval_max_s, "services": services}


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


def is_stale(doc: dict, now: float) -> bool:
    """No rewrite for STALE_S beyond the longest check interval: the daemon is not looping."""
    return now - doc["time"] > STALE_S + doc.get("interval_max_s", 0)


def counters(conns: Counters, service: dict, real: dict) -> Tuple[int, int]:
    """(active, inactive) connections of one real of one service; 0s when the kernel has none."""
    return conns.get((service["virtual"], real["address"]), (0, 0))


def with_counters(doc: dict, conns: Counters, now: float) -> dict:
    """The document `lvslite status --json` prints: each real with the kernel's `active` and
    `inactive` connection counters, and whether the status is `stale`."""
    for svc in doc["services"]:
        for r in svc["reals"]:
            r["active"], r["inactive"] = counters(conns, svc, r)
    doc["stale"] = is_stale(doc, now)
    return doc
