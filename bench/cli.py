"""`python -m bench [COMMAND]`: the sizing bench's front door.

No command runs the main job (bench/mainjob.py). Each command lives in bench/cmd/<name>.py and
is imported only when it runs. Exit codes follow the project: 0 ok, 1 bad input (one line,
`bench: error: ...`, no traceback), 2 usage.
"""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from bench.errors import BenchError

COMMANDS = {
    "size": "size boxes for a workload (--rps, --kbps, --mode), or --sweep a range of req/s",
    "memory": "IPVS entries and bytes for a connection rate and hold time",
    "livelock": "forwarded vs offered packets/s, interrupt-driven and NAPI, shared IRQs",
    "flash": "CF/SD card life from a write rate (the agent's wear model)",
    "ha": "two-box pair: common-cause failures, MTTF, unavailability, risk cost",
    "seed": "the seed thread's figures vs the models",
    "boxes": "the box catalog, with sources",
}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Size Soekris-class LVS directors against a workload before buying them. "
                    "Without a command: size every catalog box for the seed's 300 req/s.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        sub.add_parser(name, help=help_text, description=help_text)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Subcommand arguments are added only for the command that runs (imports stay lazy).
    if argv and argv[0] in COMMANDS:
        module = importlib.import_module(f"bench.cmd.{argv[0]}")
        sub = argparse.ArgumentParser(prog=f"python -m bench {argv[0]}",
                                      description=COMMANDS[argv[0]])
        module.add_arguments(sub)
        args = sub.parse_args(argv[1:])
        runner = module.run
    else:
        args = parser().parse_args(argv)
        from bench import mainjob
        runner = lambda _args: mainjob.run()   # noqa: E731
    try:
        return runner(args)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0
