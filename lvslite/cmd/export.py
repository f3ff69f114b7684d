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
    from lvslite.ipvs.export import to_ipvsadm, to_json

    try:
        backend = open_backend(getattr(args, "backend", None) or "netlink")
        try:
            table = backend.dump()
            order = getattr(backend, "dest_order", None)
        finally:
            backend.close()
    except IPVSError as exc:
        error(exc)
        return EXIT_KERNEL
    if getattr(args, "format", "ipvsadm") == "json":
        text, warnings = to_json(table)
        for w in warnings:
            sys.stderr.write(f"lvslite: warning: {w}\n")
        sys.stdout.write(text)
    else:
        # the ipvsadm backend read the table as `ipvsadm -S -n` text: that is the answer
        text = getattr(backend, "save_text", None)
        sys.stdout.write(text if text is not None else to_ipvsadm(table, order))
    return EXIT_OK
