"""Renders model results: readable tables for a person, fixed-name dicts for --json.

Kept apart from the models so the numbers have one source and two faces; nothing here
computes anything a test would need to trust. Units are said in every header: MB = 10^6 B
(as the seed writes it), MiB = 2^20 B (as RAM is sold).
"""
from __future__ import annotations

import math
from typing import Dict, Iterable, Optional, Sequence

from bench.cmd.common import finite
from bench.memory import MIB
from bench.size import MARGINAL_MAX, OK_MAX, Sizing, SweepLine
from bench.traffic import Traffic, Workload


def num(x: Optional[float], digits: int = 0) -> str:
    if x is None:
        return "-"
    if isinstance(x, float) and math.isinf(x):
        return "unbounded"
    return f"{x:,.{digits}f}"


def figure(x: Optional[float]) -> str:
    """A model or seed figure: grouped digits when large, 3 significant digits when small."""
    if x is None:
        return "-"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def pct(x: float) -> str:
    return f"{x:.1%}" if x < 10 else ">999%"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], right: str = "") -> str:
    """Plain columns; `right` lists the header names to right-align."""
    rows = [list(map(str, r)) for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(headers)]

    def line(cells):
        out = []
        for i, c in enumerate(cells):
            out.append(c.rjust(widths[i]) if headers[i] in right else c.ljust(widths[i]))
        return "  ".join(out).rstrip()
    return "\n".join([line(headers), line(["-" * w for w in widths])] + [line(r) for r in rows])


# --------------------------------------------------------------------------- size

def workload_text(w: Workload, t: Traffic) -> str:
    pers = f"persistence {w.persistent:g} s" if w.persistent else "no persistence"
    kbps = f"{w.kbps:g} kB/s out" if w.kbps is not None else f"{w.response_bytes:g} B replies"
    return (f"Workload: {w.rps:g} req/s, {kbps}, LVS-{w.mode.upper()}, {pers}, "
            f"{w.keepalive:g} request(s) per connection\n"
            f"Through the director: {num(t.conns_per_s)} new conn/s, {num(t.pps_in)} pkt/s in, "
            f"{num(t.pps_out)} pkt/s out ({t.packets_per_conn_in:g} in + "
            f"{t.packets_per_conn_out:g} out per connection), {t.bps_in / 1e6:.2f} Mbit/s in, "
            f"{t.bps_out / 1e6:.2f} Mbit/s out"
            + (" (replies bypass the director)" if w.mode != "nat" else ""))


def size_table(rows: Sequence[Sizing], limits: Dict[str, tuple]) -> str:
    headers = ["box", "verdict", "limiting", "CPU", "RAM", "NIC", "IPVS MB", "entries",
               "RAM MiB", "capacity pps", "ok to req/s", "max req/s"]
    body = []
    for s in rows:
        ok, top = limits.get(s.box, (None, None))
        u = s.utilisation
        body.append([s.box, s.verdict, s.limiting, pct(u["cpu"]), pct(u["memory"]),
                     pct(u["nic"]), f"{s.memory_bytes / 1e6:.1f}", num(s.entries),
                     num(s.ram_bytes / MIB), num(s.capacity_pps), num(ok), num(top)])
    return table(headers, body, right="CPU RAM NIC IPVS MB entries RAM MiB capacity pps "
                                      "ok to req/s max req/s")


LEGEND = (f"verdict: ok if every utilisation <= {OK_MAX:.0%}, marginal <= {MARGINAL_MAX:.0%}, "
          f"else insufficient. RAM = (base system + IPVS) / (RAM - amemthresh).\n"
          "CPU counts one interrupt per packet (light load); capacity = forwarding under "
          "overload (NAPI). ok to / max = req/s\nat which the worst utilisation reaches 70% / "
          "100% with the same workload shape.")


def size_text(w: Workload, t: Traffic, rows: Sequence[Sizing], limits: Dict[str, tuple]) -> str:
    """The workload, the size table and its legend."""
    return "\n\n".join([workload_text(w, t), size_table(rows, limits), LEGEND])


def size_dict(s: Sizing, ok_rps: Optional[float] = None,
              max_rps: Optional[float] = None) -> dict:
    t = s.traffic
    return {
        "box": s.box, "verdict": s.verdict, "limiting": s.limiting,
        "cpu_utilization": s.utilisation["cpu"], "memory_bytes": s.memory_bytes,
        "pps_in": t.pps_in, "pps_out": t.pps_out,
        "memory_utilization": s.utilisation["memory"], "nic_utilization": s.utilisation["nic"],
        "conns_per_s": t.conns_per_s, "bits_in": t.bps_in, "bits_out": t.bps_out,
        "entries": s.entries, "templates": s.templates, "entry_bytes": s.entry_bytes,
        "base_bytes": s.base_bytes, "ram_bytes": s.ram_bytes, "margin_bytes": s.margin_bytes,
        "capacity_pps": s.capacity_pps, "irq_mlfrr_pps": s.irq_mlfrr_pps,
        "irq_livelock_pps": finite(s.irq_livelock_pps), "shared_handlers": s.shared_handlers,
        "napi": s.napi, "tab_bits": s.tab_bits, "mean_chain": s.mean_chain,
        "ok_up_to_rps": finite(ok_rps), "max_rps": finite(max_rps),
    }


# --------------------------------------------------------------------------- sweep

def sweep_table(lines: Sequence[SweepLine], rates: Sequence[float], seconds: float) -> str:
    body = []
    for ln in lines:
        body.append([ln.box, num(ln.marginal_from), num(ln.insufficient_from),
                     ln.limiting or "-"])
    head = (f"Swept {len(lines)} boxes x {len(rates)} workloads "
            f"({rates[0]:,.0f}..{rates[-1]:,.0f} req/s, log-spaced) in {seconds:.3f} s")
    return head + "\n" + table(["box", "marginal from req/s", "insufficient from req/s",
                                "limiting"], body,
                               right="marginal from req/s insufficient from req/s")


# --------------------------------------------------------------------------- seed

def seed_table(rows) -> str:
    out = ["Seed figures (LVS-HOWTO 3.5) vs the models:"]
    for r in rows:
        seed, model = figure(r.seed_value), figure(r.model_value)
        delta = "" if r.delta is None else f" ({r.delta:+.0%})"
        out.append(f"  * {r.claim}\n      seed {seed}, model {model} {r.unit}{delta}: {r.why}")
    return "\n".join(out)


def seed_dict(r) -> dict:
    return {"key": r.key, "claim": r.claim, "seed": r.seed_value, "model": r.model_value,
            "unit": r.unit, "delta": r.delta, "why": r.why}
