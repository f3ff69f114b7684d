"""`lvslite export`: print the live kernel table, as `ipvsadm -S -n` prints it or as a config.

`--format ipvsadm` is line for line what `ipvsadm -S -n` prints; `--format json` is a config
that `lvslite apply` turns back into the same table (what the config cannot express is said
on stderr as a warning). Reads the kernel only; writes nothing. Exit 3 when IPVS cannot be
read.
"""
from __future__ import annotations

import sys

from lvslite import EXIT_KERNEL, EXIT_OK, error


def add_arguments(parser) -> None:
    parser.add_argument("--format", choices=("ipvsadm", "json"), default="ipvsadm",
                        help="ipvsadm: exactly `ipvsadm -S -n`; json: a config for apply")
    parser.add_argument("--backend", choices=("netlink", "ipvsadm"), default="netlink",
                        help="how to read the kernel (default: netlink)")


def run(args) -> int:
    from lvslite.ipvs import IPVSError, open_backend

    as_json = args.format == "json"
    try:
        backend = open_backend(args.backend)
        try:
            got = backend.dump() if as_json else backend.save_text()
        finally:
            backend.close()
    except IPVSError as exc:
        error(exc)
        return EXIT_KERNEL
    if as_json:
        from lvslite.ipvs.export import to_json
        got, warnings = to_json(got)
        for w in warnings:
            sys.stderr.write(f"lvslite: warning: {w}\n")
    sys.stdout.write(got)
    return EXIT_OK
