"""Is the kernel's IPVS table still the one lvslite left? A cheap witness instead of a dump.

Reconcile needs the live table, and a netlink dump of 1000 services x 4 reals is 1001 dump
requests and 5000 entries decoded in Python (~1 s under the emulator, ~0.55 s for ipvsadm's
C). The kernel's text view, /proc/net/ip_vs, is one read of the same table (~20 ms). So
after each run lvslite keeps in its state directory (tmpfs) the table the kernel was left
with and the text /proc/net/ip_vs showed right then, minus the connection counters; the next
run reads that text again and, when it is the same, takes the remembered table instead of
dumping. Any change made meanwhile, by hand or by another tool, changes the text and brings
the full dump back, so drift is still corrected.

What /proc/net/ip_vs does not show cannot be witnessed: scheduler flags (sh-fallback,
sh-port, mh-*; read only by the sh and mh schedulers) and one-packet scheduling of IPv6
services (it is shown for IPv4 and fwmark ones; it only matters for UDP). A config where
those matter (it wants a service using sh or mh, or an IPv6 UDP service) is always dumped.
Thresholds, persistence engines and tunnel settings are not part of lvslite's model at all.
The remembered table is written only after a run in which the kernel acknowledged every
operation, and is dropped otherwise.

The file is marshal data (built in: no import cost), a plain dict ServiceKey -> the service
as nested plain tuples, which compare equal to lvslite.model's values without being rebuilt.
"""
from __future__ import annotations

import marshal
import os
import re

from lvslite.atomic import write_atomically
from lvslite.ipvs import proc
from lvslite.ipvs.proc import witness
from lvslite.model import EDIT_REAL, VirtualService

FILE = "kernel.snapshot"
VERSION = 1
HIDDEN_SCHEDULERS = ("sh", "mh")     # schedulers that read flags /proc does not show
_SERVICE_LINE = re.compile(rb"\n[^ \n]")


def predict(seen: bytes, ops) -> bytes | None:
    """The witness the kernel shows once `ops` took effect, when they are all weight or
    forwarding edits of IPv4 reals (the daemon's failover and most reloads): their lines
    have a fixed format, so the one read of /proc/net/ip_vs after the change is saved. None
    for anything else (the caller reads the text again). A wrong prediction only costs a
    dump at the next run: it never matches a kernel that does not show exactly that text.

    Linear in the text and the ops: each touched service's block is found once and its
    destination lines indexed once (a search and a copy of the text per op made 4000
    edits of one service's reals cost seconds)."""
    by_service: dict = {}
    for op in ops:
        key, real = op.key, op.real
        if op.kind != EDIT_REAL or key.af != 4 or ":" in real.key.address:
            return None
        by_service.setdefault(key, []).append(real)
    where = _service_blocks(seen, by_service)
    if where is None:
        return None
    blocks = []     # (start, stop, new text of the block)
    for key, reals in by_service.items():
        start, stop = where[key]
        lines = seen[start:stop].split(b"\n")
        size = len(proc.dest_start(reals[0].key)) - 1     # all IPv4: one width
        at = {line[:size]: i for i, line in enumerate(lines) if line[:4] == b"  ->"}
        for real in reals:
            head = proc.dest_start(real.key)[1:]
            i = at.get(head)
            if i is None:
                return None
            lines[i] = head + proc.dest_columns(real.forward, real.weight)
        blocks.append((start, stop, b"\n".join(lines)))
    blocks.sort()
    parts, done = [], 0
    for start, stop, text in blocks:
        parts += (seen[done:start], text)
        done = stop
    parts.append(seen[done:])
    return b"".join(parts)


def _service_blocks(seen: bytes, keys) -> dict | None:
    """{key: (start, stop)} of each service's lines in the witness (from the newline before
    its own line to the one before the next service's); None if one is missing. A search
    per service for a few (a failover), one pass over the service lines for more."""
    heads = {proc.service_start(key): key for key in keys}
    starts = []     # (start, key or None) of every service line, in order
    if len(heads) <= 8:
        for head, key in heads.items():
            start = seen.find(head)
            if start < 0:
                return None
            starts.append((start, key))
    else:
        for match in _SERVICE_LINE.finditer(seen):
            start = match.start()
            eol = seen.find(b" ", seen.find(b" ", start + 1) + 2)
            starts.append((start, heads.get(seen[start:eol + 1])))
    found = {}
    for start, key in starts:
        if key is not None:
            following = _SERVICE_LINE.search(seen, start + 1)
            found[key] = (start, following.start() if following else len(seen))
    return found if len(found) == len(heads) else None


def witness_after(seen: bytes | None, ops) -> bytes | None:
    """The witness once `ops` took effect: `seen` itself when there were none, predicted
    when it can be, read again otherwise."""
    if not ops:
        return seen
    return (seen is not None and predict(seen, ops)) or witness()


def hidden_matters(table) -> bool:
    """Whether `table` (values VirtualService or plain tuples) holds a service whose state
    /proc/net/ip_vs does not fully show."""
    for svc in table.values():
        # svc[0] is the key (af, protocol, ...), svc[1] the scheduler
        if svc[1] in HIDDEN_SCHEDULERS or (svc[0][0] == 6 and svc[0][1] == "udp"):
            return True
    return False


def plain(svc: VirtualService) -> tuple:
    """A service as nested plain tuples (marshal refuses tuple subclasses)."""
    return (tuple(svc.key), svc.scheduler, svc.persistent, svc.netmask, svc.flags,
            tuple((tuple(r.key), r.weight, r.forward) for r in svc.reals))


def _path(directory: str) -> str:
    return os.path.join(directory, FILE)


def recall(directory: str, seen: bytes | None) -> dict | None:
    """The remembered table when the kernel still shows the text `seen`; None when the
    caller must dump the kernel. (The caller first checks hidden_matters(desired): only the
    services it wants are compared attribute by attribute; any other one is only kept or
    deleted, and its presence shows in the text.)"""
    if seen is None:
        return None
    try:
        with open(_path(directory), "rb") as fh:
            doc = marshal.loads(fh.read())
        if doc[0] != VERSION or doc[1] != seen or type(doc[2]) is not dict:
            return None
        return doc[2]
    except (OSError, EOFError, ValueError, TypeError, IndexError, KeyError):
        return None   # no snapshot, or not one this version wrote: dump


def after(kernel: dict, ops, remembered: bool) -> dict:
    """The table `kernel` becomes once `ops` took effect, as plain tuples. A `remembered`
    table (from recall) already is: only the services the ops touch are rebuilt."""
    from lvslite.reconcile import apply_ops
    if remembered:
        result = dict(kernel)
    else:
        result = {tuple(k): plain(v) for k, v in kernel.items()}
    touched = {op.key for op in ops}
    if touched:
        before = {k: VirtualService.of(kernel[k]) for k in touched if k in kernel}
        for key in touched:
            result.pop(key, None)
        for key, svc in apply_ops(before, ops).items():
            result[tuple(key)] = plain(svc)
    return result


def remember(directory: str, seen: bytes | None, table: dict) -> None:
    """Keep `table` as what the kernel holds while it shows `seen`; forget when unknown."""
    if seen is None:
        forget(directory)
        return
    path = _path(directory)
    try:
        write_atomically(path, marshal.dumps((VERSION, seen, table)),
                         f"{path}.{os.getpid()}.tmp", durable=False)
    except OSError:
        forget(directory)   # next run dumps: slower, never wrong


def forget(directory: str) -> None:
    try:
        os.unlink(_path(directory))
    except OSError:
        pass
