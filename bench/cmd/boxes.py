"""`python -m bench boxes`: the catalog as the models see it, with sources and what is unverified."""
from __future__ import annotations

from dataclasses import asdict

from bench.cmd.common import add_catalog, add_json, emit


def add_arguments(p) -> None:
    p.add_argument("names", nargs="*", metavar="NAME", help="boxes to show (default all)")
    add_catalog(p)
    add_json(p)


def run(args) -> int:
    from bench.catalog import load_catalog
    from bench.report import table
    catalog = load_catalog(tuple(args.boxes))
    boxes = [catalog.box(n) for n in args.names] if args.names else list(catalog.boxes.values())
    if args.json:
        emit([asdict(b) for b in boxes])
        return 0
    rows = []
    for b in boxes:
        nic = b.front
        rows.append([b.name, f"{b.cpu.model}, {b.cpu.mhz:g} MHz x{b.cpu.cores}",
                     f"{b.ram_mb:g}", f"{len(b.nics)} x {nic.chip} ({nic.driver}, "
                     f"{'NAPI' if nic.napi else 'IRQ'})", str(b.shared_handlers), b.console])
    print(table(["box", "CPU", "RAM MiB", "NICs", "on IRQ", "console"], rows))
    if args.names:
        for b in boxes:
            print(f"\n{b.title}: caches {b.cpu.l1}; L2 {b.cpu.l2}; storage {b.storage}; "
                  f"power {b.power_w if b.power_w is not None else 'unknown'} W")
            for key, src in b.sources.items():
                print(f"  {key}: {src}")
            print(f"  unverified: {', '.join(b.unverified) or 'nothing'}")
    else:
        print("\n`python -m bench boxes NAME` shows every figure's source and what is unverified.")
    return 0
