"""`python -m bench size`: size catalog boxes for a workload, or sweep a range of req/s.

The sweep prepares each box once and evaluates every workload point with plain arithmetic, so
the whole catalog over 1000 points takes a fraction of a second; its time is printed, never
asserted. A progress bar (tqdm) appears only when stderr is a terminal.
"""
from __future__ import annotations

import sys
import time

from bench.catalog import ERAS, load_catalog
from bench.cmd.common import add_catalog, add_json, emit, number, say
from bench.errors import BenchError
from bench.memory import DEFAULT_TAB_BITS
from bench.size import Options, log_points, prepare, rps_limits, size_prepared, sweep
from bench.traffic import MODES, Workload, traffic


def add_arguments(p) -> None:
    who = p.add_mutually_exclusive_group()
    who.add_argument("--box", action="append", default=[], metavar="NAME",
                     help="a catalog box (may be repeated)")
    who.add_argument("--all", action="store_true", help="every catalog box (the default)")
    p.add_argument("--rps", metavar="R", help="HTTP requests per second")
    p.add_argument("--kbps", metavar="K", help="response kB/s in total (1 kB = 1000 B); "
                                                "default 500 B per response")
    p.add_argument("--mode", default="dr", choices=MODES, help="forwarding: dr, nat or tun")
    p.add_argument("--persistent", metavar="S", help="persistence timeout in s (default none)")
    p.add_argument("--keepalive", metavar="N", help="requests per TCP connection (default 1)")
    p.add_argument("--request-bytes", metavar="B", help="request size (default 350)")
    p.add_argument("--conn-seconds", metavar="S",
                   help="how long a connection stays open before it closes (default 1)")
    p.add_argument("--kernel", choices=ERAS,
                   help="connection-entry size of another kernel era (default: the box's)")
    p.add_argument("--entry-bytes", metavar="B", help="a flat per-entry size instead")
    p.add_argument("--tab-bits", metavar="N", help=f"IP_VS_TAB_BITS (default {DEFAULT_TAB_BITS})")
    p.add_argument("--plot", metavar="PNG", help="write a chart")
    p.add_argument("--sweep", action="store_true",
                   help="sweep req/s and show where each box goes from ok to insufficient")
    p.add_argument("--from", dest="lo", metavar="R", help="sweep start req/s (default 10)")
    p.add_argument("--to", dest="hi", metavar="R", help="sweep end req/s (default 1000000)")
    p.add_argument("--points", metavar="N", help="sweep points (default 1000)")
    add_catalog(p)
    add_json(p)


def workload(args, rps: float) -> Workload:
    return Workload(rps=rps, kbps=number(args.kbps, "--kbps"), mode=args.mode,
                    keepalive=number(args.keepalive, "--keepalive", default=1.0),
                    persistent=number(args.persistent, "--persistent", default=0.0),
                    request_bytes=number(args.request_bytes, "--request-bytes", default=350.0),
                    conn_seconds=number(args.conn_seconds, "--conn-seconds", default=1.0))


def options(args) -> Options:
    return Options(kernel=args.kernel,
                   entry_bytes=number(args.entry_bytes, "--entry-bytes"),
                   tab_bits=number(args.tab_bits, "--tab-bits", integer=True,
                                   default=DEFAULT_TAB_BITS))


def run(args) -> int:
    catalog = load_catalog(tuple(args.boxes))
    boxes = [catalog.box(n) for n in args.box] if args.box else list(catalog.boxes.values())
    opts = options(args)
    prepared = [prepare(b, catalog, opts) for b in boxes]
    if args.sweep:
        return _sweep(args, prepared)
    if args.rps is None:
        raise BenchError("--rps", "missing", "requests per second, e.g. --rps 300 "
                                             "(or --sweep)")
    w = workload(args, number(args.rps, "--rps"))
    t = traffic(w)
    rows = [size_prepared(p, w, t) for p in prepared]
    limits = {p.box.name: rps_limits(p, w) for p in prepared}
    from bench import report
    if args.json:
        emit([report.size_dict(s, *limits[s.box]) for s in rows])
    else:
        print(report.size_text(w, t, rows, limits))
    if args.plot:
        from bench.plot import size_chart
        path = size_chart(args.plot, rows, f"{w.rps:g} req/s, LVS-{w.mode.upper()}")
        say(f"chart: {path}", args.json)
    return 0


def _progress(total: int):
    if not sys.stderr.isatty():
        return None, None
    try:
        from tqdm import tqdm
    except ImportError:
        return None, None
    bar = tqdm(total=total, desc="sweep", unit="box", file=sys.stderr, leave=False)
    return bar.update, bar


def _sweep(args, prepared) -> int:
    lo = number(args.lo, "--from", default=10.0)
    hi = number(args.hi, "--to", default=1e6)
    n = number(args.points, "--points", integer=True, default=1000)
    if hi < lo:
        raise BenchError("--to", f"is {hi:g}, below --from {lo:g}", "a range low..high")
    rates = log_points(lo, hi, n)
    shape = workload(args, number(args.rps, "--rps", default=0.0))
    update, bar = _progress(len(prepared))
    start = time.perf_counter()
    lines = sweep(prepared, shape, rates, update)
    seconds = time.perf_counter() - start
    if bar is not None:
        bar.close()
    from bench import report
    if args.json:
        emit({"seconds": seconds, "rates": list(rates),
              "boxes": [{"box": ln.box, "marginal_from_rps": ln.marginal_from,
                         "insufficient_from_rps": ln.insufficient_from,
                         "limiting": ln.limiting or None,
                         "verdicts": list(ln.verdicts)} for ln in lines]})
        say(f"swept {len(lines)} boxes x {len(rates)} workloads in {seconds:.3f} s", True)
    else:
        print(report.sweep_table(lines, rates, seconds))
    if args.plot:
        from bench.plot import sweep_chart
        say(f"chart: {sweep_chart(args.plot, lines, rates)}", args.json)
    return 0
