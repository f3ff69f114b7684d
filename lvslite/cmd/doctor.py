"""`lvslite doctor [-c FILE]`: one line per finding, layer by layer, with the fix
(docs/operate.md#lvslite-doctor). Exit 0 when nothing is wrong, 1 when something is broken,
4 when there are warnings only. The checks live in lvslite.doctor.
"""
from __future__ import annotations

import sys


def add_arguments(parser) -> None:
    from lvslite.doctor import PROBE_TIMEOUT_S
    parser.add_argument("-c", "--config", metavar="FILE",
                        help="the config (default $LVSLITE_CONFIG, else /etc/lvslite.json)")
    parser.add_argument("--no-probe", action="store_true",
                        help="do not connect to the reals (route and neighbour checks only)")
    parser.add_argument("--timeout", type=float, default=PROBE_TIMEOUT_S, metavar="S",
                        help=f"seconds each connect probe may take (default {PROBE_TIMEOUT_S:g})")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="print only warnings and errors")


def run(args) -> int:
    from lvslite import config_path
    from lvslite.doctor import OK, INFO, diagnose, exit_code
    findings = diagnose(config_path(args), do_probe=not args.no_probe,
                        timeout=max(args.timeout, 0.01))
    for f in findings:
        if not (args.quiet and f.level in (OK, INFO)):
            sys.stdout.write(f.line() + "\n")
    return exit_code(findings)
