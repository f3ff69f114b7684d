"""Decide what to change: diff(desired, kernel, owned) -> the minimal ordered list of ops.

The one place that decides what the kernel table should become (docs/design.md#the-agents-data-flow, keepalived's
ipwrapper.c). Pure: it never reads the kernel or the state directory; the caller hands it a
fresh kernel dump (so drift made by hand is corrected), or the table lvslite.snapshot proved
unchanged (its values are plain tuples, equal to the model's), and the set of services
lvslite created.

Rules:
- a configured service is made to match the config exactly (adopted if someone else made it);
- a service lvslite created (owned) and no longer configured is deleted, reals and all, with a
  single operation;
- any other service (foreign: made by hand or by another tool) is never touched;
- an attribute change is an edit (a scheduler or persistence change keeps the service and its
  connections; a weight or forwarding change keeps the real), never a delete plus an add;
- a service is added before its reals; nothing is emitted for what already matches, so the
  same config applied twice performs zero operations;
- deletions of services come first, then each configured service in the config's order,
  its reals by address (a stable, readable order for --dry-run).
"""
from __future__ import annotations


from lvslite.model import (ADD_REAL, ADD_SERVICE, DEL_REAL, DEL_SERVICE, EDIT_REAL,
                           EDIT_SERVICE, USER_FLAGS, Op, Real, RealKey, ServiceKey, Table,
                           VirtualService, host_prefix)

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import AbstractSet, Iterable, Tuple


def service_attrs(svc: VirtualService) -> Tuple:
    """What an edit can change, normalised so that equal kernel states compare equal: the
    persistence granularity means nothing without persistence."""
    host = host_prefix(svc.key.af)
    netmask = min(svc.netmask, host) if svc.persistent else host
    return (svc.scheduler, svc.persistent, netmask, svc.flags & USER_FLAGS)


def real_attrs(real: Real) -> Tuple:
    return (real.weight, real.forward)


def diff(desired: Table, kernel: Table, owned: AbstractSet[ServiceKey]) -> list[Op]:
    ops: list[Op] = []
    for key in sorted(k for k in kernel if k in owned and k not in desired):
        ops.append(Op(DEL_SERVICE, VirtualService.of(kernel[key])))
    for key, want in desired.items():       # in the config's order
        have = kernel.get(key)
        if have is not None and have == want:     # the common case of a re-apply
            continue
        if have is not None:
            have = VirtualService.of(have)
        want_reals = sorted(want.reals, key=lambda r: r.key)
        if have is None:
            ops.append(Op(ADD_SERVICE, want))
            ops.extend(Op(ADD_REAL, want, r) for r in want_reals)
            continue
        if service_attrs(want) != service_attrs(have):
            ops.append(Op(EDIT_SERVICE, want))
        have_map = have.real_map()
        wanted = {r.key for r in want_reals}
        for rkey in sorted(have_map):
            if rkey not in wanted:
                ops.append(Op(DEL_REAL, want, have_map[rkey]))
        for real in want_reals:
            old = have_map.get(real.key)
            if old is None:
                ops.append(Op(ADD_REAL, want, real))
            elif real_attrs(old) != real_attrs(real):
                ops.append(Op(EDIT_REAL, want, real))
    return ops


def owned_before(owned: Iterable[ServiceKey], kernel: AbstractSet[ServiceKey],
                 desired: Iterable[ServiceKey]) -> set[ServiceKey]:
    """The services lvslite owns while it changes a kernel whose keys are `kernel` towards
    `desired`, recorded before the first write: every configured service (adopted whether
    lvslite made it or not, since it makes it match the config) and every owned one still
    there (it may be about to be deleted). A run killed half way thus leaves the next run
    owning everything it may have created."""
    result = {k for k in owned if k in kernel}
    result.update(desired)
    return result


def owned_after(owned: Iterable[ServiceKey], kernel: AbstractSet[ServiceKey],
                done: Iterable[Op]) -> set[ServiceKey]:
    """The services lvslite owns once `done` (the ops that took effect) ran on a kernel whose
    keys were `kernel`: an owned key that vanished meanwhile (deleted by hand) is forgotten,
    so a later foreign service with the same address is not mistaken for ours."""
    result = {k for k in owned if k in kernel}
    for op in done:
        if op.kind == ADD_SERVICE:
            result.add(op.key)
        elif op.kind == DEL_SERVICE:
            result.discard(op.key)
    return result


class SimulationError(ValueError):
    """An op the kernel would refuse (EEXIST, ESRCH, ENOENT) in the pure simulator."""


def apply_ops(table: Table, ops: Iterable[Op]) -> Table:
    """What the kernel table becomes after `ops`, computed without a kernel: the reference
    the property tests hold reconcile to, with the kernel's refusals as SimulationError.

    Linear in the ops: each touched service's reals are a dict while the ops run and are
    sorted back into a tuple once at the end (rebuilding the service per op made one service
    with 4000 reals cost 4000 sorts of 4000)."""
    out: dict[ServiceKey, VirtualService] = dict(table)
    work: dict = {}     # key -> [service attributes, {RealKey: Real}] of every touched one
    for op in ops:
        key, kind = op.key, op.kind
        if kind == ADD_SERVICE:
            if key in out:
                raise SimulationError(f"{key}: service exists (EEXIST)")
            out[key] = op.service
            work[key] = [op.service, {}]
            continue
        if key not in out:
            raise SimulationError(f"{key}: no such service (ESRCH) for {kind}")
        if kind == DEL_SERVICE:
            del out[key]
            work.pop(key, None)
            continue
        entry = work.get(key)
        if entry is None:
            entry = work[key] = [out[key], out[key].real_map()]
        if kind == EDIT_SERVICE:
            entry[0] = op.service
            continue
        reals: dict[RealKey, Real] = entry[1]
        real = op.real
        if kind == ADD_REAL:
            if real.key in reals:
                raise SimulationError(f"{key}: real {real.key} exists (EEXIST)")
            reals[real.key] = real
        elif kind == EDIT_REAL:
            if real.key not in reals:
                raise SimulationError(f"{key}: no real {real.key} (ENOENT)")
            reals[real.key] = real
        elif kind == DEL_REAL:
            if real.key not in reals:
                raise SimulationError(f"{key}: no real {real.key} (ENOENT)")
            del reals[real.key]
    for key, (svc, reals) in work.items():
        out[key] = _with_reals(svc, reals.values())
    return out


def _with_reals(svc: VirtualService, reals: Iterable[Real]) -> VirtualService:
    return VirtualService(svc.key, svc.scheduler, svc.persistent, svc.netmask, svc.flags,
                          tuple(sorted(reals, key=lambda r: r.key)))
