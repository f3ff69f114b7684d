"""`python -m bench seed`: the thread's expert figures next to what the models give."""
from __future__ import annotations

from bench.cmd.common import add_json, emit


def add_arguments(p) -> None:
    add_json(p)


def run(args) -> int:
    from bench.catalog import load_catalog
    from bench.report import seed_dict, seed_table
    from bench.seed import checks
    rows = checks(load_catalog())
    if args.json:
        emit([seed_dict(r) for r in rows])
    else:
        print(seed_table(rows))
    return 0
