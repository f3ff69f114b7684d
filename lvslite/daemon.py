"""`lvslite run`: the daemon loop. Checks in, weights out.

One selector loop (the check engine's) drives everything: check results update each real's
health (checks/state.py); a change of health makes the effective table (effective.py), which
is reconciled against the kernel's table (lvslite.sync, as `lvslite apply` does: a dump, or the
snapshot /proc/net/ip_vs shows is still true). Nothing else
talks to the kernel, and the only files written are in the state directory (tmpfs).

Signals only set flags; the loop acts on them between steps, so a reload never races a
reconcile. SIGHUP re-reads the config: an invalid one is logged and the old one kept; a valid
one keeps the health of every real whose check did not change, so an unaffected service sees
no operation at all. SIGTERM/SIGINT leave the kernel table as it is: traffic keeps flowing
while init restarts the daemon.

The daemon holds the state directory's lock for its whole life (lvslite.state.take_lock), so
no `apply` and no second daemon programs the table under it, and it keeps its owned set in
memory: when the state directory turns read-only or full it says so once, goes on checking
and failing over, and writes its files again as soon as it can. Ages come from the monotonic
clock; the wall clock is only shown.
"""
from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import time

from lvslite import status as statusfile
from lvslite.checks.engine import Engine
from lvslite.checks.spec import CheckSpec, Target
from lvslite.checks.state import INITIAL, Health, update
from lvslite.effective import effective_table
from lvslite.model import Config, RealKey, ServiceKey, Table

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, Hashable, List, Optional, Tuple
    Key = Tuple[ServiceKey, RealKey]  # one real of one service

log = logging.getLogger("lvslite")

RESYNC_S = 60.0        # re-read the kernel this often even without a change: hand-made drift
STATUS_EVERY_S = 1.0   # the status file's rewrite period (tmpfs)
RETRY_S = 5.0          # after the kernel refused an operation
STATE_RETRY_MAX_S = 60.0   # back-off ceiling for writing owned.json again
# Set at start so connections do not stick to a removed or quiesced real (docs/config.md#what-the-daemon-does-with-all-this;
# docs/reference/control-planes.md#what-users-run-into: keepalived and ldirectord users trip over both).
SYSCTLS = {"net/ipv4/vs/expire_nodest_conn": "1",
           "net/ipv4/vs/expire_quiescent_template": "1"}


def check_plan(config: Config) -> Dict[Key, Tuple[Target, CheckSpec]]:
    """Every real's check: what to probe and how (the config's spec; None = the default)."""
    plan: Dict[Key, Tuple[Target, CheckSpec]] = {}
    for sc in config.services:
        spec = sc.check if sc.check is not None else CheckSpec()
        for real in sc.service.reals:
            port = spec.port if spec.port is not None else real.key.port
            plan[(sc.service.key, real.key)] = (Target(real.key.address, port), spec)
    return plan


def set_sysctls(values: Dict[str, str]) -> List[str]:
    """Write the IPVS sysctls; the ones that could not be set, as messages (not fatal)."""
    problems = []
    for name, value in values.items():
        try:
            with open(f"/proc/sys/{name}", "w") as fh:
                fh.write(value)
        except OSError as exc:
            problems.append(f"cannot set {name.replace('/', '.')}={value}: {exc.strerror}")
    return problems


class Daemon:
    def __init__(self, config_path: str, backend, *, state_dir: str,
                 load=None, clock=time.monotonic) -> None:
        from lvslite.sync import apply
        if load is None:
            from lvslite.config import load
        self.config_path = config_path
        self.backend = backend
        self.state_dir = state_dir
        self._load = load
        self._apply = apply
        self._clock = clock                       # ages; time.time() is for display only
        self.engine = Engine()
        self.config = Config()
        self.plan: Dict[Key, Tuple[Target, CheckSpec]] = {}
        self.health: Dict[Key, Health] = {}
        self.last_at: Dict[Key, float] = {}      # clock() of the last result per real
        self.held: Dict[ServiceKey, List[RealKey]] = {}
        self.table: Table = {}                    # the effective table last reconciled
        self.dirty = True
        self.flags = {"hup": False, "term": False}
        self.wakeup_fd = -1                       # read end of signal.set_wakeup_fd's pipe
        self.retry_at = 0.0                       # after a kernel refusal, try again then
        self.cycles = 0
        self.ops_total = 0
        self.started = time.time()
        self.pid_path = ""                        # written by open(), removed by close()
        self.lock = -1                            # the state directory's lock, from open()
        self.ledger = None                        # the owned set (lvslite.state.Ledger)
        self.state_retry_at = 0.0                 # when to try writing owned.json again
        self.state_retry_s = STATUS_EVERY_S
        self.status_error = ""                    # why status.json could not be written

    @classmethod
    def open(cls, config_path: str, backend: str = "netlink") -> Daemon:
        """A daemon ready to serve, in start-up order: the config validated completely
        (ConfigError, nothing touched), the state directory and its lock (StateError;
        LockBusy when another lvslite holds it: then nothing else is touched, not even the
        pid file), the kernel (IPVSError), then the pid file. close() undoes the last
        three."""
        from lvslite.ipvs import open_backend
        from lvslite.state import PID_FILE, StateError, ensure_dir, take_lock

        daemon = cls(config_path, None, state_dir="")
        daemon.load_config()
        daemon.state_dir = ensure_dir()
        daemon.lock = take_lock("run", daemon.state_dir)
        try:
            daemon.backend = open_backend(backend)
            path = os.path.join(daemon.state_dir, PID_FILE)
            try:
                with open(path, "w") as fh:
                    fh.write(f"{os.getpid()}\n")
            except OSError as exc:
                raise StateError(f"{path}: cannot write the pid file: {exc.strerror}")
            daemon.pid_path = path
        except BaseException:
            daemon.close()
            raise
        return daemon

    def close(self) -> None:
        """Stop the checks, close the kernel, remove the pid file if it is this process's,
        and release the lock last (so no second daemon starts before the pid file is gone)."""
        self.engine.close()
        if self.backend is not None:
            self.backend.close()
        if self.pid_path:
            try:
                with open(self.pid_path) as fh:
                    mine = fh.read().strip() == str(os.getpid())
                if mine:
                    os.unlink(self.pid_path)
            except OSError:
                pass
            self.pid_path = ""
        if self.lock >= 0:
            os.close(self.lock)
            self.lock = -1

    def serve(self, *, sysctls: bool = True) -> None:
        """Run until SIGTERM/SIGINT with the signals installed, then close(); with
        `sysctls`, SYSCTLS are set first (a failure is a warning)."""
        try:
            if sysctls:
                for problem in set_sysctls(SYSCTLS):
                    log.warning("%s", problem)
            install_signals(self)
            log.info("started: %s, %d services, %d reals checked", self.config_path,
                     len(self.config.services), len(self.plan))
            self.run()
            log.info("stopping on signal; the kernel table is left as it is")
        finally:
            self.close()

    # ------------------------------------------------------------------ configuration
    def load_config(self) -> None:
        """Load (or reload) the config; raises ConfigError and changes nothing.

        The cyclic garbage collector is off while the config is read and planned (tens of
        thousands of small objects at 4000 reals: it would otherwise run several times in the
        middle of a reload and stall the checks), and what survives is then frozen out of its
        reach: the config lives until the next reload, and its values hold no cycles."""
        gc.disable()
        try:
            self._install(self._load(self.config_path))
        finally:
            gc.enable()
        gc.collect(1)       # the young garbage of the reload, before it is frozen with the rest
        gc.freeze()

    def _install(self, config: Config) -> None:
        plan = check_plan(config)
        for key in [k for k in self.plan if k not in plan]:
            self.engine.remove(key)
        for key, (target, spec) in plan.items():
            if self.plan.get(key) != (target, spec):
                self.engine.add(key, target, spec)   # new or changed: health starts over
                self.health[key] = INITIAL
                self.last_at.pop(key, None)
        for key in [k for k in self.health if k not in plan]:
            del self.health[key]
            self.last_at.pop(key, None)
        self.config, self.plan = config, plan
        self.dirty = True

    def reload(self) -> bool:
        from lvslite.config import ConfigError
        try:
            self.load_config()
        except ConfigError as exc:
            for line in str(exc).splitlines():
                log.error("reload refused, still running the previous config: %s", line)
            return False
        log.info("reloaded %s: %d services", self.config_path, len(self.config.services))
        return True

    # ------------------------------------------------------------------ one turn of the loop
    def on_result(self, key: Hashable, result) -> None:
        if key not in self.plan:
            return
        spec = self.plan[key][1]
        before = self.health.get(key, INITIAL)
        after, changed = update(before, result, spec.rise, spec.fall)
        self.health[key] = after
        self.last_at[key] = self._clock()
        if changed:
            service, real = key
            log.warning("%s %s: %s (%s)", real, after.state, result.reason, service)
            self.dirty = True

    def reconcile(self) -> None:
        """Make the kernel hold the effective table. A refusal is logged and retried a few
        seconds later: the daemon must outlive a kernel hiccup (a module not loaded yet)."""
        from lvslite.ipvs import IPVSError
        try:
            self._reconcile()
        except IPVSError as exc:
            log.error("kernel refused, retrying in %.0fs: %s", RETRY_S, exc)
            self.retry_at = time.monotonic() + RETRY_S

    def _reconcile(self) -> None:
        states = {k: h.state for k, h in self.health.items()}
        table, held = effective_table(self.config, states)
        self.table = table
        for skey, reals in held.items():
            if reals != self.held.get(skey):
                log.error("%s: depool_threshold keeps failing real(s) %s in the table",
                          skey, ", ".join(str(r) for r in reals))
        self.held = held
        if self.ledger is None:
            from lvslite.state import Ledger
            self.ledger = Ledger(self.state_dir, strict=False)
        failing = self.ledger.error
        try:
            ops = self._apply(table, self.backend, directory=self.state_dir,
                              ledger=self.ledger)
        finally:
            self._state_news(failing)
        for op in ops:
            log.info("kernel: %s", op)
        self.ops_total += len(ops)
        self.dirty = False

    def _state_news(self, failing) -> None:
        """Say once that owned.json cannot be written (the set is kept in memory), and once
        that it can again."""
        error = self.ledger.error
        if error is not None and failing is None:
            log.error("state directory not writable, keeping the owned services in memory "
                      "and retrying (checks and failover go on): %s", error)
            self.state_retry_s = STATUS_EVERY_S
            self.state_retry_at = time.monotonic() + self.state_retry_s
        elif error is None and failing is not None:
            log.warning("state directory writable again: owned services recorded")

    def retry_state(self, now: float) -> None:
        """Write owned.json again after a failure, backing off up to STATE_RETRY_MAX_S."""
        if self.ledger is None or self.ledger.error is None or now < self.state_retry_at:
            return
        failing = self.ledger.error
        self.ledger.flush()
        self._state_news(failing)
        if self.ledger.error is not None:
            self.state_retry_s = min(self.state_retry_s * 2, STATE_RETRY_MAX_S)
            self.state_retry_at = now + self.state_retry_s

    def run(self, *, max_cycles: Optional[int] = None) -> int:
        """The loop; returns when SIGTERM/SIGINT arrives (or after max_cycles, for tests)."""
        last_sync = last_status = 0.0
        while not self.flags["term"]:
            for key, result in self.engine.step(max_wait=0.5):
                self.on_result(key, result)
            if self.wakeup_fd >= 0:
                try:
                    os.read(self.wakeup_fd, 512)
                except BlockingIOError:
                    pass
            if self.flags["hup"]:
                self.flags["hup"] = False
                self.reload()
            now = time.monotonic()
            if (self.dirty and now >= self.retry_at) or now - last_sync >= RESYNC_S:
                self.reconcile()
                last_sync = now
            self.retry_state(now)
            if now - last_status >= STATUS_EVERY_S:
                self.write_status()
                last_status = now
            self.cycles += 1
            if max_cycles is not None and self.cycles >= max_cycles:
                break
        self.write_status()
        return 0

    # ------------------------------------------------------------------ status
    def status(self) -> dict:
        """What `lvslite status` shows, minus the kernel's connection counters."""
        now = self._clock()
        services = []
        for sc in self.config.services:
            skey = sc.service.key
            svc = self.table.get(skey)
            inkernel = {r.key: r.weight for r in svc.reals} if svc else {}
            reals = []
            for real in sc.service.reals:
                h = self.health.get((skey, real.key), INITIAL)
                at = self.last_at.get((skey, real.key))
                reals.append(statusfile.real_entry(
                    str(real.key), real.weight, inkernel.get(real.key), h.state, h.reason,
                    None if at is None else round(now - at, 1)))
            fb = sc.fallback
            services.append(statusfile.service_entry(
                str(skey), sc.service.scheduler, reals,
                str(fb.key) if fb is not None else None,
                fb is not None and fb.key in inkernel))
        return statusfile.document(
            os.getpid(), time.time(), self.started, self.config_path, self.cycles,
            self.ops_total, max((s.interval for _, s in self.plan.values()), default=0),
            services, mono=time.monotonic())

    def write_status(self) -> None:
        """Rewrite status.json; a failure is said once (and its end once), never fatal:
        `lvslite status` notices the file's age and says why it may be."""
        try:
            statusfile.write(self.state_dir, self.status())
        except OSError as exc:
            if not self.status_error:
                log.error("cannot write %s (state directory not writable? checks and "
                          "failover go on): %s", statusfile.STATUS_FILE, exc.strerror)
            self.status_error = exc.strerror or str(exc)
            return
        if self.status_error:
            log.warning("%s written again", statusfile.STATUS_FILE)
            self.status_error = ""


def setup_logging(where: str) -> None:
    """Log to syslog (/dev/log) for "syslog", or "auto" when there is one; else stderr."""
    logger = logging.getLogger("lvslite")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    if where == "syslog" or (where == "auto" and os.path.exists("/dev/log")):
        from logging.handlers import SysLogHandler
        handler = SysLogHandler(address="/dev/log", facility=SysLogHandler.LOG_DAEMON)
        handler.setFormatter(logging.Formatter(f"lvslite[{os.getpid()}]: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s lvslite: %(message)s",
                                               "%H:%M:%S"))
    logger.handlers[:] = [handler]


def install_signals(daemon: Daemon) -> None:
    def hup(signum, frame):
        daemon.flags["hup"] = True

    def term(signum, frame):
        daemon.flags["term"] = True

    signal.signal(signal.SIGHUP, hup)
    signal.signal(signal.SIGTERM, term)
    signal.signal(signal.SIGINT, term)
    # wake the selector at once instead of at the end of its wait
    r, w = os.pipe()
    os.set_blocking(r, False)
    os.set_blocking(w, False)
    signal.set_wakeup_fd(w)
    daemon.wakeup_fd = r
    daemon.engine.watch(r)
