"""`lvslite apply`: reconcile the kernel's IPVS table to the config once, all reals in.

Order matters and is the contract (docs/design.md#the-agents-data-flow): the whole config is validated before
anything touches the kernel (a config that fails changes nothing, exit 1); then lvslite.sync
does the rest. `--dry-run` reads the kernel, prints the ops as ipvsadm command lines and
writes nothing at all, not even state.

Exit codes: 0 applied (or nothing to do); 1 invalid config or unusable state directory;
2 usage; 3 the kernel refused or IPVS is unavailable.
"""
from __future__ import annotations

import sys

from lvslite import EXIT_INVALID, EXIT_KERNEL, EXIT_OK, config_path, error


def add_arguments(parser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE",
                        help="config file (default $LVSLITE_CONFIG or /etc/lvslite.json)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the operations as ipvsadm command lines; change nothing")
    parser.add_argument("--backend", choices=("netlink", "ipvsadm"), default="netlink",
                        help="how to talk to the kernel (default: netlink)")


def summary_line(ops) -> str:
    """The last line: what was done, one count per operation."""
    from lvslite.model import summary
    return "%d added, %d changed, %d removed" % summary(ops)


def run(args) -> int:
    from lvslite.config import ConfigError, load
    from lvslite.ipvs import IPVSError, open_backend
    from lvslite.model import apply_table
    from lvslite.state import StateError, ensure_dir
    from lvslite.sync import apply

    try:
        table = apply_table(load(config_path(args)))
    except ConfigError as exc:
        error(exc)
        return EXIT_INVALID
    dry_run = bool(getattr(args, "dry_run", False))
    backend = None
    try:
        if not dry_run:
            ensure_dir()
        backend = open_backend(getattr(args, "backend", None) or "netlink")
        ops = apply(table, backend, dry_run=dry_run)
    except StateError as exc:
        error(exc)
        return EXIT_INVALID
    except IPVSError as exc:
        if backend is not None:     # the kernel refused an operation: say what was done
            sys.stdout.write(summary_line(exc.done) + "\n")
        error(exc)
        return EXIT_KERNEL
    finally:
        if backend is not None:
            backend.close()
    sys.stdout.write(summary_line(ops) + "\n")
    return EXIT_OK
