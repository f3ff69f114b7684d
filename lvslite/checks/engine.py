"""Runs every health check on one selector loop, each on its own interval and timeout.

Why one loop and no threads: checks are I/O waits, and a 266 MHz box cannot afford a thread
(or a process) per real. Why every check has its own deadline: ldirectord's users saw one
hung check stall all the others (docs/reference/control-planes.md#what-users-run-into). Here a probe never blocks
(probe.py), so a real that accepts and never answers costs a registered socket and a timer,
nothing else, and is failed at its own timeout while the other checks keep their schedule.

Scheduling: the first run of a check starts at the next step after `add`, so at start-up the
whole first round runs at once and in parallel. Later runs start every `interval` seconds
from the previous scheduled start (no drift); a run that outlasts its interval delays only
its own next run, which then starts as soon as it ends. Checks with the same identity (same
address and port probed, same spec; spec.identity) are run once and their result is handed to
every owner. Timers use time.monotonic().

Memory stays flat: the engine holds, per distinct check, one job, at most one running probe,
the last Result and at most three heap entries (next start, deadline, poll); results are
handed out and forgotten. Removing a check is O(1): its job is marked dead and its heap entries
are skipped when they come up, and the heap is rebuilt without them only once they outnumber
the live ones (amortised O(1) a removal; the heap never holds more dead entries than live).
"""
from __future__ import annotations

import heapq
import importlib
import itertools
import selectors
import time

from lvslite.checks.probe import POLL, Failed
from lvslite.checks.spec import Result, identity

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, Hashable, List, Optional, Tuple

    from lvslite.checks.spec import CheckSpec, Target

_START, _DEADLINE, _POLL = 0, 1, 2


class _Job:
    """One distinct check: its schedule, its running probe, its owners and last result."""
    __slots__ = ("target", "spec", "probe_fn", "owners", "due", "probe", "wait", "fd",
                 "events", "what", "started", "deadline", "deadline_queued", "last", "dead",
                 "queued")

    def __init__(self, target: Target, spec: CheckSpec, probe_fn) -> None:
        self.target = target
        self.spec = spec
        self.probe_fn = probe_fn
        self.owners: List[Hashable] = []
        self.due = 0.0          # scheduled start of the next run
        self.probe = None       # the running generator, or None between runs
        self.wait = 0           # waits yielded; stale poll timers carry an older number
        self.fd = -1            # fd registered with the selector, -1 = none
        self.events = 0
        self.what = "starting"  # what the probe waits for, for the timeout reason
        self.started = 0.0
        self.deadline = 0.0
        self.deadline_queued = False
        self.last: Optional[Result] = None
        self.dead = False       # removed: its heap entries are ignored
        self.queued = 0         # its entries in the heap


class Engine:
    """The scheduler. Call `step()` in the daemon's loop; nothing runs between steps."""

    def __init__(self) -> None:
        self._sel = selectors.DefaultSelector()
        self._jobs: Dict[Tuple[Target, CheckSpec], _Job] = {}
        self._owner: Dict[Hashable, Tuple[Target, CheckSpec]] = {}
        self._heap: list = []            # (when, seq, kind, job, wait number for _POLL)
        self._dead = 0                   # heap entries of removed jobs, not yet popped
        self._seq = itertools.count()
        self._out: List[Tuple[Hashable, Result]] = []

    # ------------------------------------------------------------------ the daemon's API

    def add(self, key: Hashable, target: Target, spec: CheckSpec) -> None:
        """Check `target` with `spec` for `key` (the daemon's name for a real of a service).

        Adding a key again with the same target and spec changes nothing (its schedule and
        last result are kept: a reload that does not touch a check does not restart it); with
        a different one it replaces the old check.
        """
        ident = identity(target, spec)
        old = self._owner.get(key)
        if old == ident:
            return
        probe_fn = _probe_fn(ident[1])
        if old is not None:
            self.remove(key)
        job = self._jobs.get(ident)
        if job is None:
            job = _Job(ident[0], ident[1], probe_fn)
            job.due = time.monotonic()
            self._jobs[ident] = job
            self._push(job.due, _START, job, 0)
        elif job.last is not None:
            self._out.append((key, job.last))   # a new owner learns the state at once
        job.owners.append(key)
        self._owner[key] = ident

    def remove(self, key: Hashable) -> None:
        """Stop checking for `key`; the check itself stops when its last owner goes."""
        ident = self._owner.pop(key, None)
        if ident is None:
            return
        if self._out:
            self._out = [kr for kr in self._out if kr[0] != key]
        job = self._jobs[ident]
        job.owners.remove(key)
        if job.owners:
            return
        del self._jobs[ident]
        job.dead = True
        job.last = None
        if job.probe is not None:
            self._unregister(job)
            self._close_probe(job)
        # Its heap entries stay until they come up (skipped then) or until the dead ones
        # outnumber the live ones: then one rebuild drops them all.
        self._dead += job.queued
        if 2 * self._dead > len(self._heap):
            self._heap = [entry for entry in self._heap if not entry[3].dead]
            heapq.heapify(self._heap)
            self._dead = 0

    def step(self, max_wait: float = 1.0) -> List[Tuple[Hashable, Result]]:
        """Wait at most `max_wait` seconds for I/O or a timer, run what is due, and return
        the results that came in, one (key, Result) per owner. Returns early when anything
        happened, including a watched fd becoming readable."""
        self._timers(time.monotonic())
        wait = 0.0 if self._out else max_wait
        if self._heap and wait > 0:
            wait = min(wait, max(0.0, self._heap[0][0] - time.monotonic()))
        for key, mask in self._sel.select(wait):
            job = key.data
            if job is not None and job.probe is not None and job.fd == key.fd:
                self._advance(job, mask)
        self._timers(time.monotonic())
        out, self._out = self._out, []
        return out

    def last(self, key: Hashable) -> Optional[Result]:
        """The latest result of key's check (possibly obtained for another owner)."""
        ident = self._owner.get(key)
        return self._jobs[ident].last if ident is not None else None

    def watch(self, fd: int) -> None:
        """Make step() return as soon as fd is readable (e.g. signal.set_wakeup_fd's pipe).
        The caller reads the fd; the engine only wakes up."""
        self._sel.register(fd, selectors.EVENT_READ, None)

    def unwatch(self, fd: int) -> None:
        self._sel.unregister(fd)

    def keys(self) -> List[Hashable]:
        return list(self._owner)

    def stats(self) -> Dict[str, int]:
        """Sizes of everything the engine holds, for the status file and the leak test."""
        return {"owners": len(self._owner), "checks": len(self._jobs),
                "running": sum(1 for j in self._jobs.values() if j.probe is not None),
                "timers": len(self._heap) - self._dead, "fds": len(self._sel.get_map())}

    def close(self) -> None:
        """Stop every check (sockets closed, children killed) and the selector."""
        for key in list(self._owner):
            self.remove(key)
        self._heap.clear()
        self._dead = 0
        self._sel.close()

    # ------------------------------------------------------------------ internals

    def _push(self, when: float, kind: int, job: _Job, tag: int) -> None:
        heapq.heappush(self._heap, (when, next(self._seq), kind, job, tag))
        job.queued += 1

    def _timers(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            _, _, kind, job, tag = heapq.heappop(heap)
            job.queued -= 1
            if job.dead:
                self._dead -= 1
                continue
            if kind == _START:
                if job.probe is None:
                    self._start(job, now)
            elif kind == _DEADLINE:
                # One deadline entry per job: it may belong to an earlier, finished run.
                job.deadline_queued = False
                if job.probe is None:
                    continue
                if job.deadline <= now:
                    self._timeout(job)
                else:
                    self._push(job.deadline, _DEADLINE, job, 0)
                    job.deadline_queued = True
            elif job.probe is not None and job.wait == tag:   # _POLL
                self._advance(job, 0)

    def _start(self, job: _Job, now: float) -> None:
        interval = job.spec.interval
        nxt = job.due + interval
        job.due = nxt if nxt > now else now + interval
        job.started = time.monotonic()   # `now` is stale after other starts in this pass
        job.what = "starting"
        try:
            job.probe = job.probe_fn(job.target, job.spec)
        except Exception as exc:   # a bug in a check module must not stop the loop
            job.probe = None
            self._finish(job, False, _crash(job, exc))
            return
        job.deadline = job.started + job.spec.timeout
        if not job.deadline_queued:
            self._push(job.deadline, _DEADLINE, job, 0)
            job.deadline_queued = True
        self._advance(job, None)

    def _advance(self, job: _Job, value) -> None:
        """Resume the probe with what it waited for; handle its next wait or its end."""
        try:
            fd, events, what = job.probe.send(value)
        except StopIteration as stop:
            self._unregister(job)
            self._finish(job, True, stop.value or "ok")
            return
        except Failed as failed:
            self._unregister(job)
            self._finish(job, False, failed.reason)
            return
        except Exception as exc:
            self._unregister(job)
            self._close_probe(job)
            self._finish(job, False, _crash(job, exc))
            return
        job.what = what
        job.wait += 1
        try:
            if fd is None:
                self._unregister(job)
                self._push(time.monotonic() + POLL, _POLL, job, job.wait)
            elif fd != job.fd:
                self._unregister(job)
                self._sel.register(fd, events, job)
                job.fd, job.events = fd, events
            elif events != job.events:
                self._sel.modify(fd, events, job)
                job.events = events
        except (OSError, ValueError, KeyError) as exc:
            self._unregister(job)
            self._close_probe(job)
            self._finish(job, False, _crash(job, exc))

    def _timeout(self, job: _Job) -> None:
        self._unregister(job)     # before the probe closes its fd
        self._close_probe(job)
        self._finish(job, False, f"timeout after {_secs(job.spec.timeout)} ({job.what})")

    def _finish(self, job: _Job, ok: bool, reason: str) -> None:
        now = time.monotonic()
        job.probe = None
        result = Result(ok, reason, now - job.started, now)
        job.last = result
        for owner in job.owners:
            self._out.append((owner, result))
        self._push(job.due, _START, job, 0)

    def _unregister(self, job: _Job) -> None:
        if job.fd >= 0:
            try:
                self._sel.unregister(job.fd)
            except (KeyError, ValueError, OSError):
                pass
            job.fd, job.events = -1, 0

    def _close_probe(self, job: _Job) -> None:
        probe, job.probe = job.probe, None
        if probe is not None:
            try:
                probe.close()   # runs the probe's `finally`: sockets closed, child killed
            except Exception as exc:
                _crash(job, exc)


def _probe_fn(spec: CheckSpec):
    """The probe of spec's module. A module that cannot be imported (a stripped image) makes
    a probe that fails every run with the reason, logged: the other checks run on."""
    try:
        return importlib.import_module(f"lvslite.checks.{spec.probe_module()}").probe
    except ImportError as exc:
        reason = str(exc)

        def cannot_run(target: Target, spec: CheckSpec):
            raise ImportError(reason)
        return cannot_run


def _crash(job: _Job, exc: BaseException) -> str:
    """A check module raised: say so in the result and in the log (never silently)."""
    import logging
    logging.getLogger("lvslite.checks").error(
        "check %s of %s crashed", job.spec.probe_module(), job.target, exc_info=exc)
    return f"check error: {type(exc).__name__}: {exc}"


def _secs(t: float) -> str:
    return f"{t:.1f}s" if round(t, 1) == t else f"{t:g}s"
