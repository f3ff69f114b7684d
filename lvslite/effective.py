"""From the config and the reals' health to the table the kernel should hold.

Pure: the daemon feeds it the health of every real and hands the result to reconcile. The
rules are docs/config.md#what-the-daemon-does-with-all-this:
- a real is in while it is up; a real never checked yet ("unknown") is not in, so a dead
  server never receives traffic at start-up;
- `quiescent: true` keeps a failed (or unknown) real in the table at weight 0, so its
  established connections finish; `false` removes it;
- `fallback` is in the table exactly while no real of the service is in (weight > 0);
- `depool_threshold` never lets failures leave fewer than that fraction of the reals in: the
  failed reals it holds in are reported so the daemon can log it loudly.
"""
from __future__ import annotations

import math

from lvslite.checks.state import UP
from lvslite.model import Config, Real, RealKey, ServiceConfig, ServiceKey, Table

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Mapping, Tuple
    HealthMap = Mapping[Tuple[ServiceKey, RealKey], str]  # "up" | "down" | "unknown"


def held_in(sc: ServiceConfig, health: HealthMap) -> List[RealKey]:
    """The failed reals that depool_threshold keeps in (in config order), if any."""
    reals = sc.service.reals
    if not reals or sc.depool_threshold <= 0:
        return []
    need = math.ceil(sc.depool_threshold * len(reals) - 1e-9)
    up = [r.key for r in reals if health.get((sc.service.key, r.key)) == UP]
    if len(up) >= need:
        return []
    failed = [r.key for r in reals if r.key not in up]
    return failed[:need - len(up)]


def service_table(sc: ServiceConfig, health: HealthMap) -> Tuple[Tuple[Real, ...], List[RealKey]]:
    """The reals of one service as they should be in the kernel, and the ones held in."""
    key = sc.service.key
    held = held_in(sc, health)
    reals: List[Real] = []
    for real in sc.service.reals:
        if health.get((key, real.key)) == UP or real.key in held:
            reals.append(real)
        elif sc.quiescent:
            reals.append(real.replace(weight=0))
    if sc.fallback is not None and not any(r.weight > 0 for r in reals):
        if sc.fallback.key not in {r.key for r in reals}:
            reals.append(sc.fallback)
    reals.sort(key=lambda r: r.key)
    return tuple(reals), held


def effective_table(config: Config, health: HealthMap) -> Tuple[Table, Dict[ServiceKey, List[RealKey]]]:
    """The whole desired table, and per service the failed reals depool_threshold holds in."""
    table: Table = {}
    held: Dict[ServiceKey, List[RealKey]] = {}
    for sc in config.services:
        reals, h = service_table(sc, health)
        table[sc.service.key] = sc.service.replace(reals=reals)
        if h:
            held[sc.service.key] = h
    return table, held
