"""Make the kernel behind a backend hold a table, once: the one place where the snapshot, the
owned state, reconcile and a backend meet. `lvslite apply` runs it with the config's table,
the daemon with the effective table after every change of health or config.

Order matters and is the contract: the kernel's table (a fresh dump, or the snapshot
lvslite.snapshot proves still true), the diff, the ops, then the state files. A dry run reads
the kernel, prints the ops as ipvsadm command lines and writes nothing at all, not even state.
"""
from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import TextIO


def apply(table, backend, *, dry_run: bool = False, directory: str | None = None,
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
