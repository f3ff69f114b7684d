"""`lvslite apply`: reconcile the kernel's IPVS table to the config once, all reals in.

Order matters and is the contract (docs/design.md#the-agents-data-flow): the whole config is
validated before anything touches the kernel (a config that fails changes nothing, exit 1);
then the state directory's lock (docs/design.md#one-writer-at-a-time: held by another apply
or by the daemon, exit 5, or wait with --wait); then lvslite.sync does the rest. `--dry-run`
reads the kernel, prints the ops as ipvsadm command lines, takes no lock and writes nothing
at all, not even state.

Exit codes: 0 applied (or nothing to do); 1 invalid config or unusable state directory,
nothing applied; 2 usage; 3 the kernel refused or IPVS is unavailable; 4 the kernel was
changed but could not be recorded (run apply again); 5 another lvslite holds the lock.
"""
from __future__ import annotations

import sys

from lvslite import (EXIT_BUSY, EXIT_INVALID, EXIT_KERNEL, EXIT_OK, EXIT_UNRECORDED,
                     config_path, error)


def add_arguments(parser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE",
                        help="config file (default $LVSLITE_CONFIG or /etc/lvslite.json)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the operations as ipvsadm command lines; change nothing")
    parser.add_argument("--backend", choices=("netlink", "ipvsadm"), default="netlink",
                        help="how to talk to the kernel (default: netlink)")
    parser.add_argument("--wait", nargs="?", type=seconds, const=-1.0, default=0.0,
                        metavar="SECONDS",
                        help="when another lvslite holds the lock, wait for it (at most "
                             "SECONDS; without a number, as long as it takes) instead of "
                             "failing at once with exit 5")


def seconds(text: str) -> float:
    import argparse
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value < 1e9:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (0 or more)")
    return value


def summary_line(ops) -> str:
    """The last line: what was done, one count per operation."""
    from lvslite.model import summary
    return "%d added, %d changed, %d removed" % summary(ops)


def run(args) -> int:
    from lvslite.config import ConfigError, load
    from lvslite.ipvs import IPVSError, open_backend
    from lvslite.model import apply_table
    from lvslite.state import LockBusy, StateError, take_lock
    from lvslite.sync import NotRecorded, apply

    try:
        table = apply_table(load(config_path(args)))
    except ConfigError as exc:
        error(exc)
        return EXIT_INVALID
    dry_run = bool(getattr(args, "dry_run", False))
    wait = getattr(args, "wait", 0.0)
    backend = lock = None
    try:
        if not dry_run:
            lock = take_lock("apply", wait=None if wait is not None and wait < 0 else wait)
        backend = open_backend(getattr(args, "backend", None) or "netlink")
        ops = apply(table, backend, dry_run=dry_run)
    except LockBusy as exc:
        error(exc)
        return EXIT_BUSY
    except NotRecorded as exc:
        sys.stdout.write(summary_line(exc.done) + "\n")
        if exc.failure is not None:
            error(exc.failure)
        error(f"the kernel was changed but lvslite could not record it: {exc}\n"
              "run apply again once the state directory is writable")
        return EXIT_UNRECORDED
    except StateError as exc:
        error(f"{exc}\nnothing was applied")
        return EXIT_INVALID
    except IPVSError as exc:
        if backend is not None:     # the kernel refused an operation: say what was done
            sys.stdout.write(summary_line(exc.done) + "\n")
        error(exc)
        return EXIT_KERNEL
    finally:
        if backend is not None:
            backend.close()
        if lock is not None:
            import os
            os.close(lock)
    sys.stdout.write(summary_line(ops) + "\n")
    return EXIT_OK
