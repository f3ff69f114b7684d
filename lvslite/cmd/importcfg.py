"""`lvslite import FILE --from ldirectord|keepalived|ipvsadm [-o OUT]`: another load
balancer's configuration as a lvslite config.

Prints the config (or writes it to OUT, atomically), after checking it with the same validator
as `lvslite check`. What the source says that lvslite cannot is listed on stderr as
`FILE:LINE: what; what was done instead`. Exit 0 with a config, 1 when nothing usable came out
(no service, a file that cannot be read, malformed input), 2 for bad usage. The conversion
itself lives in lvslite.migrate.
"""
from __future__ import annotations

import os
import sys

from lvslite import EXIT_INVALID, EXIT_OK, error


def add_arguments(parser) -> None:
    from lvslite.migrate import FORMATS
    parser.add_argument("file", metavar="FILE",
                        help="the configuration to import ('-' = standard input)")
    parser.add_argument("--from", dest="source_format", choices=FORMATS, required=True,
                        help="its format: ldirectord.cf, keepalived.conf, or ipvsadm -S output")
    parser.add_argument("-o", "--output", metavar="OUT", default=None,
                        help="write the config to OUT (atomically) instead of printing it")


def run(args) -> int:
    from lvslite.config import ConfigError, parse, summary
    from lvslite.migrate import Failed, convert, render

    try:
        doc, notes = convert(args.file, args.source_format)
    except Failed as exc:
        for note in exc.notes:
            sys.stderr.write(f"{note}\n")
        return EXIT_INVALID
    for note in notes:
        sys.stderr.write(f"{note}\n")
    text = render(doc)
    try:
        config = parse(text, "<imported config>")
    except ConfigError as exc:
        error("the imported config does not validate, which is a bug of `lvslite import`:")
        error(exc)
        return EXIT_INVALID
    if args.output:
        from lvslite.atomic import write_atomically
        try:
            write_atomically(args.output, text.encode("utf-8"),
                             f"{args.output}.tmp.{os.getpid()}")
        except OSError as exc:
            error(f"cannot write {args.output}: {exc.strerror or exc}")
            return EXIT_INVALID
    else:
        sys.stdout.write(text)
    warnings = f", {len(notes)} warning{'s' if len(notes) != 1 else ''}" if notes else ""
    sys.stderr.write(f"lvslite: imported {summary(config)} from {args.file}{warnings}\n")
    return EXIT_OK
