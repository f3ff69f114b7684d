"""`lvslite apply`: reconcile the kernel's IPVS table to the config once, all reals in.

Order matters and is the contract (DESIGN.md §3): the whole config is validated before
anything touches the kernel (a config that fails changes nothing, exit 1); then the kernel's
table (a fresh dump, or the snapshot lvslite.snapshot proves still true), the diff, the ops,
and the state files. `--dry-run` reads the kernel, prints the ops as ipvsadm command lines
and writes nothing at all, not even state.

Exit codes: 0 applied (or nothing to do); 1 invalid config or unusable state directory;
2 usage; 3 the kernel refused or IPVS is unavailable.
"""
from __future__ import annotations

import sys

from lvslite import EXIT_INVALID, EXIT_KERNEL, EXIT_OK, config_path, error

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import TextIO


def add_arguments(parser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE",
                        help="config file (default $LVSLITE_CONFIG or /etc/lvslite.json)")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the operations as ipvsadm command lines; change nothing")
    parser.add_argument("--backend", choices=("netlink", "ipvsadm"), default="netlink",
                        help="how to talk to the kernel (default: netlink)")


def execute(table, backend, *, dry_run: bool = False, directory: str | None = None,
            out: TextIO | None = None) -> list:
    """Reconcile the kernel behind `backend` to `table` once; the ops it took.

    With a real backend the state file is updated with what took effect even when the
    kernel refuses half way (IPVSError is re-raised with `done` set); with dry_run the ops
    are printed as ipvsadm command lines and nothing is written. The kernel is dumped unless
    lvslite.snapshot shows it is still the table the last run left.
    """
    from lvslite import reconcile, snapshot, state
    from lvslite.ipvs import IPVSError

    folder = directory or state.state_dir()
    hidden = snapshot.hidden_matters(table)
    seen = snapshot.witness()
    kernel = None if hidden else snapshot.recall(folder, seen)
    remembered = kernel is not None
    if kernel is None:
        kernel = backend.dump()
    owned = state.load_owned(directory)
    ops = reconcile.diff(table, kernel, owned)
    if dry_run:
        from lvslite.ipvs.ops import command_line
        (out or sys.stdout).write("".join(command_line(op) + "\n" for op in ops))
        return ops
    failure = None
    try:
        backend.apply(ops)
        done = ops
    except IPVSError as exc:
        failure, done = exc, exc.done
    now_owned = reconcile.owned_after(owned, kernel.keys(), done)
    if now_owned != owned or not owned:
        state.save_owned(now_owned, directory)
    if failure is not None or hidden:
        snapshot.forget(folder)
    elif ops or not remembered:
        snapshot.remember(folder, snapshot.witness_after(seen, ops),
                          snapshot.after(kernel, ops, remembered))
    if failure is not None:
        raise failure
    return ops


def run(args) -> int:
    from lvslite.config import ConfigError, load
    from lvslite.ipvs import IPVSError, open_backend
    from lvslite.ipvs.ops import summary_line
    from lvslite.model import apply_table
    from lvslite.state import StateError, ensure_dir

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
        ops = execute(table, backend, dry_run=dry_run)
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
