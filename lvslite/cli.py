"""The `lvslite` command line (docs/config.md#exit-codes, docs/design.md#the-agents-data-flow).

Each subcommand lives in its own module exposing `add_arguments(parser)` and `run(args) -> int`.
Only the module of the command being run is imported, so `lvslite check` never loads the
netlink client and nothing loads psutil unless `wear` asks for it (the box is a 266 MHz CPU).
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import List, Optional

from lvslite import EXIT_USAGE

# name -> (module, one-line help). A module that does not exist yet is simply not offered.
COMMANDS = {
    "check": ("lvslite.cmd.check", "validate the config only; print every error"),
    "apply": ("lvslite.cmd.apply", "reconcile the kernel's IPVS table to the config once"),
    "export": ("lvslite.cmd.export", "print the live kernel table (ipvsadm -S -n or json)"),
    "run": ("lvslite.cmd.run", "the daemon: apply, health checks, failover, SIGHUP reload"),
    "status": ("lvslite.cmd.status", "services, reals, weights, health, connections"),
    "save": ("lvslite.cmd.save", "write the running config back to the /cfg partition"),
    "import": ("lvslite.cmd.importcfg", "convert an ldirectord, keepalived or ipvsadm config"),
    "doctor": ("lvslite.cmd.doctor", "check every layer of this director; print each fix"),
    "top": ("lvslite.cmd.top", "live view of services, reals, health, connections, rates"),
    "wear": ("lvslite.wear.cli", "CF write-rate sampling and lifetime estimate"),
}


def _available(module: str) -> bool:
    """Whether a command's module exists, without importing it or its parent package
    (find_spec would import lvslite.wear for every command); .pyc-only images count."""
    base = os.path.join(os.path.dirname(os.path.abspath(__file__)), *module.split(".")[1:])
    return any(os.path.exists(base + ext)
               for ext in (".py", ".pyc", "/__init__.py", "/__init__.pyc"))


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, sized without importing shutil (which pulls bz2, lzma and
    fnmatch in: +1.4 MB RSS for every command, help shown or not)."""

    def __init__(self, prog: str, **kw) -> None:
        if kw.get("width") is None:
            try:
                columns = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
            except (ValueError, OSError):
                columns = 80
            kw["width"] = max(columns, 40) - 2
        super().__init__(prog, **kw)


def build_parser(only: Optional[str] = None) -> argparse.ArgumentParser:
    """The parser; the arguments of `only` (the command being run) are loaded, others listed."""
    ap = argparse.ArgumentParser(prog="lvslite", description="embedded IPVS director agent",
                                 formatter_class=_Formatter)
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        if not _available(module):
            continue
        p = sub.add_parser(name, help=help_, description=help_, formatter_class=_Formatter)
        if name == only:
            mod = importlib.import_module(module)
            mod.add_arguments(p)
            p.set_defaults(func=mod.run)
    return ap


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    only = argv[0] if argv and argv[0] in COMMANDS else None
    ap = build_parser(only)
    args = ap.parse_args(argv)
    if not args.command:
        ap.print_help(sys.stderr)
        return EXIT_USAGE
    return args.func(args)
