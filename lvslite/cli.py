"""The `lvslite` command line (DESIGN.md §4.2). Each subcommand imports only what it needs."""
from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_KERNEL = 0, 1, 2, 3


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="lvslite", description="embedded IPVS director agent")
    ap.add_subparsers(dest="command", metavar="COMMAND")
    return ap


def main(argv: list[str] | None = None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    if not args.command:
        ap.print_help(sys.stderr)
        return EXIT_USAGE
    return args.func(args)
