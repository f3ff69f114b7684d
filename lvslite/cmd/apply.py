"""`lvslite apply`: reconcile the kernel's IPVS table to the config once, all reals in.

Order matters and is the contract (DESIGN.md §3): the whole config is validated before
anything touches the kernel (a config that fails changes nothing, exit 1); then a fresh
kernel dump, the diff, the ops, and the state file. `--dry-run` reads the kernel, prints the
ops as ipvsadm command lines and writes nothing at all, not even state.

Exit codes: 0 applied (or nothing to do); 1 invalid config or unusable state directory;
2 usage; 3 the kernel refused or IPVS is unavailable.
"""
from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import TextIO

DEFAULT_CONFIG = "/etc/lvslite.json"
EXIT_OK, EXIT_INVALID, EXIT_KERNEL = 0, 1, 3


def add_arguments(parser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE",
                        help=f"config file (default $LVSLITE_CONFIG or {DEFAULT_CONFIG})")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the operations as ipvsadm command lines; change nothing")
    parser.add_argument("--backend", choices=("netlink", "ipvsadm"), default="netlink",
                        help="how to talk to the kernel (default: netlink)")


def config_path(args) -> str:
    return getattr(args, "config", None) or os.environ.get("LVSLITE_CONFIG") or DEFAULT_CONFIG


def error(message: str) -> None:
    for line in str(message).splitlines() or [""]:
        if not line.startswith("lvslite: "):
            line = f"lvslite: error: {line}"
        sys.stderr.write(line + "\n")


def execute(table, backend, *, dry_run: bool = False, directory: str | None = None,
            out: TextIO | None = None) -> list:
    """Reconcile the kernel behind `backend` to `table` once; the ops it took.

    With a real backend the state file is updated with what took effect even when the
    kernel refuses half way (IPVSError is re-raised with `done` set); with dry_run the ops
    are printed and nothing is written. The kernel is dumped unless lvslite.snapshot shows
    it is still the table the last run left (then that table is used: no dump).
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
        from lvslite.ipvs.dryrun import DryRun
        DryRun(backend, out).apply(ops)
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
    if failure is not None:
        snapshot.forget(folder)
        raise failure
    if ops or not remembered:
        if hidden:
            snapshot.forget(folder)
        else:
            now_seen = seen
            if ops:
                now_seen = (seen is not None and snapshot.predict(seen, ops)) or \
                    snapshot.witness()
            snapshot.remember(folder, now_seen, snapshot.after(kernel, ops, remembered))
    return ops


def run(args) -> int:
    from lvslite.ipvs import IPVSError, open_backend
    from lvslite.ipvs.ops import summary_line
    from lvslite.model import apply_table
    from lvslite.state import StateError, ensure_dir

    path = config_path(args)
    try:
        from lvslite.config import ConfigError, load
    except ImportError as exc:  # the config layer is a separate part of the tree
        error(f"{path}: cannot validate: the config module is missing ({exc})")
        return EXIT_INVALID
    try:
        config = load(path)
    except ConfigError as exc:
        error(str(exc))
        return EXIT_INVALID
    table = apply_table(config)

    dry_run = bool(getattr(args, "dry_run", False))
    try:
        if not dry_run:
            ensure_dir()
        backend = open_backend(getattr(args, "backend", None) or "netlink")
    except StateError as exc:
        error(str(exc))
        return EXIT_INVALID
    except IPVSError as exc:
        error(str(exc))
        return EXIT_KERNEL
    try:
        ops = execute(table, backend, dry_run=dry_run)
    except IPVSError as exc:
        sys.stdout.write(summary_line(exc.done) + "\n")
        error(str(exc))
        return EXIT_KERNEL
    except StateError as exc:
        error(str(exc))
        return EXIT_INVALID
    finally:
        backend.close()
    sys.stdout.write(summary_line(ops) + "\n")
    return EXIT_OK
