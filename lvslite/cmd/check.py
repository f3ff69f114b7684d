"""`lvslite check [-c FILE]`: validate the config and say what is wrong, all of it at once.

Reads the file and nothing else: imports only lvslite.config (never the kernel backends),
opens nothing for writing. Exit 0 with one summary line on stdout, or 1 with one line per
problem on stderr: `lvslite: error: <JSON path>: <what is wrong> (<what is expected>)`.
"""
from __future__ import annotations

import sys

EXIT_OK, EXIT_INVALID = 0, 1  # DESIGN.md §4.2


def add_arguments(parser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE", default=None,
                        help="config file ('-' = standard input; default: $LVSLITE_CONFIG "
                             "or /etc/lvslite.json)")


def run(args) -> int:
    from lvslite.config import ConfigError, default_path, load, summary

    path = args.config or default_path()
    try:
        config = load(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"lvslite: error: {problem}", file=sys.stderr)
        return EXIT_INVALID
    print(f"config OK: {summary(config)} ({'standard input' if path == '-' else path})")
    return EXIT_OK
