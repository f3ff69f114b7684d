"""`lvslite check [-c FILE]`: validate the config and say what is wrong, all of it at once.

Reads the file and nothing else: imports only lvslite.config (never the kernel backends),
opens nothing for writing. Exit 0 with one summary line on stdout, or 1 with one line per
problem on stderr: `lvslite: error: <JSON path>: <what is wrong> (<what is expected>)`.
"""
from __future__ import annotations


from lvslite import EXIT_INVALID, EXIT_OK, config_path, error


def add_arguments(parser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE", default=None,
                        help="config file ('-' = standard input; default: $LVSLITE_CONFIG "
                             "or /etc/lvslite.json)")


def run(args) -> int:
    from lvslite.config import ConfigError, load, summary

    path = config_path(args)
    try:
        config = load(path)
    except ConfigError as exc:
        error(exc)
        return EXIT_INVALID
    print(f"config OK: {summary(config)} ({'standard input' if path == '-' else path})")
    return EXIT_OK
