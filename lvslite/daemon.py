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
                 load=None, clock=time.time) -> None:
        from lvslite.sync import apply
        if load is None:
            from lvslite.config import load
        self.config_path = config_path
        self.backend = backend
        self.state_dir = state_dir
        self._load = load
        self._apply = apply
        self._clock = clock
        self.engine = Engine()
        self.config = Config()
        self.plan: Dict[Key, Tuple[Target, CheckSpec]] = {}
        self.health: Dict[Key, Health] = {}
        self.last_at: Dict[Key, float] = {}      # wall time of the last result per real
        self.held: Dict[ServiceKey, List[RealKey]] = {}
        self.table: Table = {}                    # the effective table last reconciled
        self.dirty = True
        self.flags = {"hup": False, "term": False}
        self.wakeup_fd = -1                       # read end of signal.set_wakeup_fd's pipe
        self.retry_at = 0.0                       # after a kernel refusal, try again then
        self.cycles = 0
        self.ops_total = 0
        self.started = clock()
        self.pid_path = ""                        # written by open(), removed by close()

    @classmethod
    def open(cls, config_path: str, backend: str = "netlink") -> Daemon:
        """A daemon ready to serve, in start-up order: the config validated completely
        (ConfigError, nothing touched), the state directory (StateError), the
        kernel (IPVSError), then the pid file. close() undoes the last two."""
        from lvslite.ipvs import open_backend
        from lvslite.state import PID_FILE, ensure_dir

        daemon = cls(config_path, None, state_dir="")
        daemon.load_config()
        daemon.state_dir = ensure_dir()
        daemon.backend = open_backend(backend)
        daemon.pid_path = os.path.join(daemon.state_dir, PID_FILE)
        with open(daemon.pid_path, "w") as fh:
            fh.write(f"{os.getpid()}\n")
        return daemon

    def close(self) -> None:
        self.engine.close()
        self.backend.close()
        if self.pid_path:
            try:
                os.unlink(self.pid_path)
            except OSError:
                pass

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
        ops = self._apply(table, self.backend, directory=self.state_dir)
        for op in ops:
            log.info("kernel: %s", op)
        self.ops_total += len(ops)
        self.dirty = False

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
            os.getpid(), now, self.started, self.config_path, self.cycles, self.ops_total,
            max((s.interval for _, s in self.plan.values()), default=0), services)

    def write_status(self) -> None:
        statusfile.write(self.state_dir, self.status())


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
