"""`lvslite top`'s view: one frame of text lines from the daemon's status file and the kernel's
/proc/net/ip_vs and /proc/net/ip_vs_stats (docs/operate.md#lvslite-top).

Pure: frame() takes the texts and the time and returns the lines; read() is the one edge that
reads them. The lines are laid out so that a refresh changes as few characters as possible
(fixed columns; the clock and the counters are what moves), because the console may be a
19200-baud serial line: lvslite.cmd.top redraws only the lines that changed.

Services come from the status file in config order, each real with its kernel weight over
its configured weight (`out` when the kernel does not have it), health, the kernel's active
and inactive connections, the age of its last check and the check's last words. Services and
reals the kernel has that the status does not name (another tool's, or no daemon running) are
listed from /proc/net/ip_vs alone, with `-` for health.
"""
from __future__ import annotations

import time

from lvslite.ipvs import proc

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional, Tuple

WIDTH, HEIGHT = 80, 24
FORWARD_SHORT = {"gate": "dr", "masq": "nat", "ipip": "tun"}


def read(state_dir: str) -> Tuple[Optional[dict], Optional[str], Optional[str]]:
    """(status document, /proc/net/ip_vs text, /proc/net/ip_vs_stats text); None = absent."""
    from lvslite.status import read as read_status
    ip_vs, stats = proc.read(), proc.read(proc.STATS)
    return (read_status(state_dir), None if ip_vs is None else ip_vs.decode("ascii", "replace"),
            None if stats is None else stats.decode("ascii", "replace"))


def rate(n: float) -> str:
    """A count in at most 4 characters: 999, 1.2k, 12k, 123k, 1.2M, ..."""
    for scale, suffix in ((1, ""), (1e3, "k"), (1e6, "M"), (1e9, "G")):
        v = n / scale
        if v < 999.5 or suffix == "G":
            return f"{v:.0f}{suffix}" if (suffix == "" or v >= 9.95) else f"{v:.1f}{suffix}"
    return f"{n:.0f}"


def header(status: Optional[dict], ip_vs: Optional[str], stats: Optional[str], now: float,
           interval: float) -> List[str]:
    from lvslite.status import is_stale
    clock = time.strftime("%H:%M:%S", time.localtime(now))
    if status is None:
        daemon = "no status file: lvslite run not running?"
    else:
        age = max(0.0, now - status["time"])
        stale = "  STALE" if is_stale(status, now) else ""
        daemon = f"daemon pid {status['pid']} {age:.0f}s ago{stale}"
    first = f"lvslite top  every {interval:g}s  {daemon}"
    first = f"{first:<{WIDTH - 10}}{clock:>9}"
    v = proc.version(ip_vs) if ip_vs is not None else None
    if v is None:
        return [first, "IPVS not available (no /proc/net/ip_vs): modprobe ip_vs; "
                       "lvslite doctor says more"]
    s = proc.stats(stats) if stats is not None else None
    second = f"IPVS {v[0]}"
    if s is not None:           # fixed widths: a refresh rewrites only the figures
        second += (f"  {rate(s['cps']):>4} conn/s  in {rate(s['inpps']):>4}p/s "
                   f"{rate(s['inbps']):>4}B/s  out {rate(s['outpps']):>4}p/s "
                   f"{rate(s['outbps']):>4}B/s  total {s['conns']}")
    return [first, second]


# Columns (80 wide): real 21, method 3, weight 7 (kernel/configured), health 7, active 5,
# inactive 6, check age 3, then the check's last words in what is left.
def _real_line(address: str, forward: str, weight: str, health: str, act, inact,
               checked: str, reason: str) -> str:
    left = (f"  {address:<21} {FORWARD_SHORT.get(forward, forward):<3} {weight:>7} "
            f"{health:<7}{act:>5} {inact:>6} {checked:>3}")
    return f"{left} {reason}".rstrip()


def _ago(seconds: Optional[float]) -> str:
    if seconds is None:
        return "-"
    return f"{seconds:.0f}s" if seconds < 99.5 else f"{min(seconds / 60, 99):.0f}m"


def services(status: Optional[dict], ip_vs: Optional[str], now: float) -> List[str]:
    kernel = proc.table(ip_vs) if ip_vs is not None else []
    by_service = {svc: (sched, persistent, {r[0]: r for r in reals})
                  for svc, sched, persistent, reals in kernel}
    lines: List[str] = []
    shown = set()
    age = max(0.0, now - status["time"]) if status is not None else 0.0
    for svc in (status or {}).get("services", []):
        name = svc["virtual"]
        shown.add(name)
        sched, persistent, kreals = by_service.get(name, (svc["scheduler"], False, {}))
        flags = " FALLBACK" if svc.get("fallback_active") else ""
        if name not in by_service:
            flags += " NOT IN KERNEL"
        lines.append(_service_line(name, sched, persistent, kreals, flags))
        named = set()
        for r in svc["reals"]:
            named.add(r["address"])
            k = kreals.get(r["address"])
            weight = f"{'out' if k is None else k[2]}/{r['weight']}"
            checked = None if r["checked_ago_s"] is None else r["checked_ago_s"] + age
            lines.append(_real_line(r["address"], k[1] if k else "", weight, r["health"],
                                    k[3] if k else 0, k[4] if k else 0, _ago(checked),
                                    r["reason"]))
        for address, k in kreals.items():
            if address not in named:
                what = "fallback" if address == svc.get("fallback") else "not configured"
                lines.append(_real_line(address, k[1], str(k[2]), "-", k[3], k[4], "-", what))
    for name, sched, persistent, reals in kernel:
        if name in shown:
            continue
        flags = " (not lvslite's)" if status is not None else ""
        lines.append(_service_line(name, sched, persistent, {r[0]: r for r in reals}, flags))
        for address, forward, weight, act, inact in reals:
            lines.append(_real_line(address, forward, str(weight), "-", act, inact, "-", ""))
    return lines


def _service_line(name: str, sched: str, persistent: bool, kreals: dict, flags: str) -> str:
    """The service, then its reals' connections summed under their act and inact columns."""
    act = sum(r[3] for r in kreals.values())
    inact = sum(r[4] for r in kreals.values())
    left = f"{name} {sched}{' persistent' if persistent else ''}{flags}"
    return f"{left:<43}{act:>5} {inact:>6}"


def frame(status: Optional[dict], ip_vs: Optional[str], stats: Optional[str], now: float,
          interval: float, width: int = WIDTH, height: int = HEIGHT) -> List[str]:
    """The screen: header, column titles, services; cut to `width` columns (the last one left
    free: a write there scrolls some terminals) and to `height` lines, the last saying how
    many did not fit."""
    body = services(status, ip_vs, now)
    titles = _real_line("real", "fwd", "weight", "health", "act", "inact", "age",
                        "last check result")
    lines = header(status, ip_vs, stats, now, interval) + [titles] + body
    if not body:
        lines.append("  (no services)")
    if len(lines) > height:
        hidden = len(lines) - (height - 1)
        lines = lines[:height - 1] + [f"... {hidden} more lines: a taller window, or "
                                      f"lvslite status"]
    return [ln[:max(width - 1, 1)] for ln in lines]
