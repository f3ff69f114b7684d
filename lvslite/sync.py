"""Make the kernel behind a backend hold a table, once: the one place where the snapshot, the
owned state, reconcile and a backend meet. `lvslite apply` runs it with the config's table,
the daemon with the effective table after every change of health or config.

Order matters and is the contract: the kernel's table (a fresh dump, or the snapshot
lvslite.snapshot proves still true), the diff, the intent (the owned set grown by every
configured service, written and room checked before the first kernel write), the ops, then
the owned set shrunk by what was removed, and the snapshot (docs/design.md#ownership). A dry
run reads the kernel, prints the ops as ipvsadm command lines and writes nothing at all, not
even state.
"""
from __future__ import annotations

import sys

from lvslite.state import StateError

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import TextIO


class NotRecorded(StateError):
    """The kernel was changed (`done`) but the owned set could not be written afterwards;
    `failure` is the kernel's refusal of that same run, if there was one."""

    def __init__(self, message: str, done: list, failure: Exception | None) -> None:
        super().__init__(message)
        self.done, self.failure = done, failure


def apply(table, backend, *, dry_run: bool = False, directory: str | None = None,
          out: TextIO | None = None, ledger=None) -> list:
    """Reconcile the kernel behind `backend` to `table` once; the ops it took.

    `ledger` (lvslite.state.Ledger) holds the owned set; by default a strict one read from
    the state directory, whose failure to record the intent raises StateError before the
    kernel is touched and whose failure afterwards raises NotRecorded. When the kernel
    refuses half way, IPVSError is re-raised (`done` set) once the state is written. With
    dry_run the ops are printed as ipvsadm command lines and nothing is written. The kernel
    is dumped unless lvslite.snapshot shows it is still the table the last run left.
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
    if ledger is None:
        ledger = state.Ledger(folder)
    ops = reconcile.diff(table, kernel, ledger.keys)
    if dry_run:
        from lvslite.ipvs.ops import command_line
        (out or sys.stdout).write("".join(command_line(op) + "\n" for op in ops))
        return ops
    ledger.record(reconcile.owned_before(ledger.keys, kernel.keys(), table.keys()),
                  room=bool(ops))
    failure = None
    try:
        backend.apply(ops)
        done = ops
    except IPVSError as exc:
        failure, done = exc, exc.done
    try:
        ledger.record(reconcile.owned_after(ledger.keys, kernel.keys(), done))
    except StateError as exc:
        snapshot.forget(folder)
        raise NotRecorded(str(exc), done, failure) from None
    if failure is not None or hidden:
        snapshot.forget(folder)
    elif ops or not remembered:
        snapshot.remember(folder, snapshot.witness_after(seen, ops),
                          snapshot.after(kernel, ops, remembered))
    if failure is not None:
        raise failure
    return ops
