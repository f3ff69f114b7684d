"""Sizing: one box against one workload -> a verdict and the resource that limits it.

Each resource gets a utilisation (CPU, RAM, the front NIC's wire); the largest decides:
  ok            <= 0.7   (a policy, not a source: at 70% busy an M/M/1 queue already waits
                          2.3 service times, and bursts and the health checks need the rest)
  marginal      <= 1.0
  insufficient  >  1.0   (the box cannot carry the load at all)
A box is prepared once (costs, entry size, base memory), so sweeping thousands of workloads
costs only the arithmetic. Pure functions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Dict, Optional, Sequence, Tuple

from bench.catalog import Box, Catalog
from bench.cpu import BoxCosts, box_costs, utilisation
from bench.livelock import livelock_onset, mlfrr
from bench.memory import (CLOSE_HOLD_S, DEFAULT_TAB_BITS, EntrySize, entry_size, fit,
                          ipvs_memory)
from bench.traffic import Traffic, Workload, traffic

OK_MAX = 0.7
MARGINAL_MAX = 1.0
RESOURCES = ("cpu", "memory", "nic")


@dataclass(frozen=True)
class Options:
    kernel: Optional[str] = None          # era override: modern, 2.6, 2.4, kconfig, thread
    entry_bytes: Optional[float] = None   # flat per-entry override
    tab_bits: int = DEFAULT_TAB_BITS


@dataclass(frozen=True)
class Prepared:
    box: Box
    costs: BoxCosts
    entry: EntrySize
    entry_bytes: float
    word_bits: int
    catalog: Catalog
    options: Options


def prepare(box: Box, catalog: Catalog, options: Options = Options()) -> Prepared:
    era = catalog.era(box, options.kernel)
    entry = entry_size(era, box.cpu.cache_line, catalog.base.page_bytes)
    eb = options.entry_bytes if options.entry_bytes is not None else entry.per_entry_bytes
    word = 64 if box.cpu.arch == "x86_64" else 32
    return Prepared(box=box, costs=box_costs(box, catalog.calibration), entry=entry,
                    entry_bytes=eb, word_bits=word, catalog=catalog, options=options)


@dataclass(frozen=True)
class Sizing:
    box: str
    title: str
    verdict: str
    limiting: str
    utilisation: Dict[str, float]
    traffic: Traffic
    entries: float
    templates: float
    entry_bytes: float
    memory_bytes: float          # IPVS: entries + templates + hash table
    base_bytes: float
    ram_bytes: float
    margin_bytes: float          # above IPVS's amemthresh line
    capacity_pps: float
    irq_mlfrr_pps: float         # if the driver were interrupt-driven, with this line sharing
    irq_livelock_pps: float
    shared_handlers: int
    napi: bool
    tab_bits: int
    mean_chain: float


def verdict(u: float) -> str:
    if u <= OK_MAX:
        return "ok"
    if u <= MARGINAL_MAX:
        return "marginal"
    return "insufficient"


def size_prepared(p: Prepared, w: Workload, t: Optional[Traffic] = None) -> Sizing:
    t = t or traffic(w)
    box = p.box
    hold = w.conn_seconds + CLOSE_HOLD_S[w.mode]
    mem = ipvs_memory(t.conns_per_s, hold, persistent_s=w.persistent, entry_bytes=p.entry_bytes,
                      bucket_bytes=p.entry.bucket_bytes, tab_bits=p.options.tab_bits)
    f = fit(p.catalog.base, box.ram_mb, p.word_bits, mem.bytes)
    # One NIC (a one-armed director) carries both halves of NAT traffic in each direction.
    if len(box.nics) == 1:
        wire = t.wire_in_bps + t.wire_out_bps
    else:
        wire = max(t.wire_in_bps, t.wire_out_bps)
    u = {"cpu": utilisation(p.costs, t.forwarded_pps, t.conns_per_s),
         "memory": f.utilisation,
         "nic": wire / (box.front.mbps * 1e6)}
    limiting = max(RESOURCES, key=lambda k: u[k])
    return Sizing(box=box.name, title=box.title, verdict=verdict(u[limiting]), limiting=limiting,
                  utilisation=u, traffic=t, entries=mem.entries, templates=mem.templates,
                  entry_bytes=p.entry_bytes, memory_bytes=mem.bytes, base_bytes=f.base_bytes,
                  ram_bytes=f.ram_bytes, margin_bytes=f.margin_bytes,
                  capacity_pps=p.costs.capacity_pps,
                  irq_mlfrr_pps=mlfrr(p.costs.irq) * p.costs.cores,
                  irq_livelock_pps=livelock_onset(p.costs.irq) * p.costs.cores,
                  shared_handlers=box.shared_handlers, napi=p.costs.napi,
                  tab_bits=mem.tab_bits, mean_chain=mem.mean_chain)


def size(box: Box, catalog: Catalog, w: Workload, options: Options = Options()) -> Sizing:
    return size_prepared(prepare(box, catalog, options), w)


def at_rps(w: Workload, rps: float) -> Workload:
    """The same workload shape at another request rate (bytes per response kept)."""
    kbps = None if w.kbps is None else rps * w.response_bytes / 1000.0
    return replace(w, rps=rps, kbps=kbps if w.rps else None)


def max_rps(p: Prepared, w: Workload, limit: float = MARGINAL_MAX) -> float:
    """Largest req/s whose worst utilisation stays <= limit (bisection; inf if never reached)."""
    def worst(r: float) -> float:
        return max(size_prepared(p, at_rps(w, r)).utilisation.values())
    if worst(0.0) > limit:
        return 0.0
    lo, hi = 0.0, 1.0
    while worst(hi) <= limit:
        lo, hi = hi, hi * 2
        if hi > 1e12:
            return math.inf
    for _ in range(60):
        mid = (lo + hi) / 2
        if worst(mid) <= limit:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-6 * hi:
            break
    return lo


def rps_limits(p: Prepared, w: Workload) -> Tuple[float, float]:
    """The req/s at which the worst utilisation reaches OK_MAX and MARGINAL_MAX."""
    return max_rps(p, w, OK_MAX), max_rps(p, w)


@dataclass(frozen=True)
class SweepLine:
    box: str
    verdicts: Tuple[str, ...]
    worst: Tuple[float, ...]
    marginal_from: Optional[float]       # first swept req/s that is not ok
    insufficient_from: Optional[float]
    limiting: str                        # at the first insufficient point ('' if none)


def log_points(lo: float, hi: float, n: int) -> Tuple[float, ...]:
    if n == 1:
        return (lo,)
    step = (math.log10(hi) - math.log10(lo)) / (n - 1)
    return tuple(10 ** (math.log10(lo) + i * step) for i in range(n))


def sweep(prepared: Sequence[Prepared], w: Workload, rates: Sequence[float],
          progress=None) -> Tuple[SweepLine, ...]:
    """Every box over every rate. `progress(n)` is called after each box (a bar, or None)."""
    traffics = []
    for r in rates:
        wr = at_rps(w, r)
        traffics.append((wr, traffic(wr)))
    lines = []
    for p in prepared:
        verdicts, worst, limiting = [], [], ""
        for wr, t in traffics:
            s = size_prepared(p, wr, t)
            verdicts.append(s.verdict)
            worst.append(s.utilisation[s.limiting])
            if not limiting and s.verdict == "insufficient":
                limiting = s.limiting
        if progress:
            progress(1)
        lines.append(SweepLine(box=p.box.name, verdicts=tuple(verdicts), worst=tuple(worst),
                               marginal_from=_first(rates, verdicts, ("marginal", "insufficient")),
                               insufficient_from=_first(rates, verdicts, ("insufficient",)),
                               limiting=limiting))
    return tuple(lines)


def _first(rates: Sequence[float], verdicts: Sequence[str], among: Tuple[str, ...]):
    """The first rate whose verdict is one of `among` (None if there is none)."""
    return next((r for r, v in zip(rates, verdicts) if v in among), None)
