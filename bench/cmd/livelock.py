"""`python -m bench livelock`: forwarded output vs offered load, interrupt-driven and NAPI.

Costs come from the flags (microseconds) or from a catalog box (`--box`), whose costs are the
calibrated ones the sizing uses, with the box's own IRQ sharing.
"""
from __future__ import annotations

from dataclasses import replace

from bench.cmd.common import MAX_LIST, add_catalog, add_json, emit, finite, number, say
from bench.errors import BenchError
from bench.livelock import IrqCosts, curve

US = 1e-6


def add_arguments(p) -> None:
    p.add_argument("--ci", metavar="US", help="interrupt-level cost per packet (us)")
    p.add_argument("--cp", metavar="US", help="deferred cost per packet (us)")
    p.add_argument("--shared", metavar="N", help="handlers on the IRQ line (default 1)")
    p.add_argument("--check", metavar="US", help="per-handler status check on the line (us)")
    p.add_argument("--entry", metavar="US", help="per-interrupt entry/exit (us)")
    p.add_argument("--budget", metavar="B", help="NAPI packets per poll (default 64)")
    p.add_argument("--rates", metavar="LIST", help="offered rates, comma-separated pkt/s")
    p.add_argument("--box", metavar="NAME", help="take the costs of a catalog box")
    p.add_argument("--plot", metavar="PNG", help="write a chart")
    add_catalog(p)
    add_json(p)


def _costs(args) -> tuple:
    if args.box:
        if args.ci or args.cp:
            raise BenchError("--box", "given with --ci/--cp", "one or the other")
        from bench.catalog import load_catalog
        from bench.cpu import box_costs
        catalog = load_catalog(tuple(args.boxes))
        box = catalog.box(args.box)
        c = box_costs(box, catalog.calibration).irq
        if args.shared:
            c = replace(c, shared=number(args.shared, "--shared", integer=True))
        return c, f"{box.title}: {c.shared} handler(s) on the front NIC's line"
    if args.ci is None or args.cp is None:
        raise BenchError("--ci/--cp", "missing", "per-packet costs in us, e.g. --ci 10 --cp 30 "
                                                 "(or --box NAME)")
    shared = number(args.shared, "--shared", integer=True, default=1)
    check = number(args.check, "--check", default=None)
    entry = number(args.entry, "--entry", default=None)
    if shared > 1 and (check is None or entry is None):
        raise BenchError("--shared", f"is {shared} without --check and --entry",
                         "the interrupt cost is entry + N x check + ci: give both in us")
    c = IrqCosts(rx=number(args.ci, "--ci") * US, p=number(args.cp, "--cp") * US,
                 entry=(entry or 0.0) * US, check=(check or 0.0) * US, shared=shared,
                 budget=number(args.budget, "--budget", integer=True, default=64))
    return c, f"c_i = {c.ci / US:g} us, c_p = {c.p / US:g} us, {shared} handler(s)"


def _rates(text):
    if text is None:
        return None
    out = []
    parts = text.split(",")
    if len(parts) > MAX_LIST:
        raise BenchError("--rates", f"has {len(parts)} values", f"at most {MAX_LIST}")
    for part in parts:
        if part.strip():
            out.append(number(part.strip(), "--rates"))
    if not out:
        raise BenchError("--rates", f"is {text!r}", "comma-separated packets/s, e.g. 10000,50000")
    return out


def run(args) -> int:
    c, title = _costs(args)
    cv = curve(c, _rates(args.rates))
    if args.json:
        emit({"mlfrr": cv.mlfrr, "livelock_onset": finite(cv.livelock_onset),
              "napi_capacity": cv.napi_capacity, "ci_us": c.ci / US, "cp_us": c.p / US,
              "shared": c.shared,
              "points": [{"rate": r, "irq": i, "napi": n} for r, i, n in cv.points]})
    else:
        print(title)
        onset = "none" if cv.livelock_onset == float("inf") else f"{cv.livelock_onset:,.0f} pkt/s"
        print(f"interrupt-driven: MLFRR {cv.mlfrr:,.0f} pkt/s, livelock (output 0) from {onset}")
        print(f"NAPI: flat at {cv.napi_capacity:,.0f} pkt/s under overload")
        from bench.report import table
        print(table(["offered", "interrupt-driven", "NAPI"],
                    [[f"{r:,.0f}", f"{i:,.0f}", f"{n:,.0f}"] for r, i, n in cv.points],
                    right="offered interrupt-driven NAPI"))
    if args.plot:
        from bench.plot import livelock_chart
        say(f"chart: {livelock_chart(args.plot, cv, title)}", args.json)
    return 0
