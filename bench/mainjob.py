"""The project's main job (`python -m bench`, `make bench`): the seed's question, answered.

Sizes every catalog box for the reference workload (300 HTTP req/s, 150 kB/s out, LVS-DR, no
persistence: the seed thread's), sweeps the catalog over 1000 request rates to show where each
box stops being enough, sets the thread's own figures against the models, and writes a chart to
out/bench/size.png (out/ is ignored by git).
"""
from __future__ import annotations

import time
from pathlib import Path

REFERENCE = dict(rps=300.0, kbps=150.0, mode="dr")
CHART = Path("out") / "bench" / "size.png"
SWEEP = (10.0, 1e6, 1000)


def run(chart: Path = CHART) -> int:
    from bench import report
    from bench.catalog import load_catalog
    from bench.seed import checks
    from bench.size import log_points, prepare, rps_limits, size_prepared, sweep
    from bench.traffic import Workload, traffic

    catalog = load_catalog()
    w = Workload(**REFERENCE)
    t = traffic(w)
    prepared = [prepare(b, catalog) for b in catalog.boxes.values()]
    rows = [size_prepared(p, w, t) for p in prepared]
    limits = {p.box.name: rps_limits(p, w) for p in prepared}
    rates = log_points(*SWEEP)
    start = time.perf_counter()
    lines = sweep(prepared, w, rates)
    seconds = time.perf_counter() - start

    print("lvslite bench: how much traffic should these boxes handle? (seed, LVS-HOWTO 3.5)")
    print(report.size_text(w, t, rows, limits))
    print()
    print(report.sweep_table(lines, rates, seconds))
    print()
    print(report.seed_table(checks(catalog)))
    print()
    print("Not sized here: CF wear (python -m bench flash) and the pair's reliability "
          "(python -m bench ha).\nEvery figure's source: python -m bench boxes NAME; "
          "unverified catalog figures are marked there.")
    from bench.plot import size_chart
    path = size_chart(str(chart), rows, "300 req/s, 150 kB/s, LVS-DR: utilisation per box",
                      lines, rates, mark=w.rps)
    print(f"chart: {path}")
    return 0
