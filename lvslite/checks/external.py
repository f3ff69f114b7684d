"""`external`: run `command` with the real's address and port; exit status 0 = up.

The command gets them as its last two arguments (as ldirectord's checkcommand gets its rip
and rport) and in the environment as LVSLITE_REAL_ADDRESS / LVSLITE_REAL_PORT. No shell: a
string is the program itself, a list is program and arguments; the program is looked up in
PATH. Output goes to /dev/null, so a chatty script cannot flood a 19200-baud console.

Started with os.posix_spawnp, not subprocess: the C library spawns without copying the
daemon's page tables (vfork-style), which is what keeps the loop responsive on a 266 MHz box,
and `subprocess` is never imported. The child leads its own session; at the timeout the engine
closes the probe and the whole process group is killed (a `sh -c` wrapper does not leave its
children behind). Exit is waited for on a pidfd where the kernel has them (Linux >= 5.3),
else by polling every probe.POLL seconds. A killed child is reaped within REAP_WAIT in
practice; one that is not (stuck in the kernel) is kept in _unreaped and reaped by a later
run, never left a zombie for good.
"""
from __future__ import annotations

import os
import signal
import time

from lvslite.checks.probe import READ, Failed, describe

ENV_ADDRESS = "LVSLITE_REAL_ADDRESS"
ENV_PORT = "LVSLITE_REAL_PORT"
REAP_WAIT = 0.05      # seconds the loop may wait for a SIGKILLed child before moving on
_unreaped: list = []  # pids killed but not yet reaped; bounded by children stuck in the kernel
LOST = -1             # _wait: the child is gone but its status was not ours to read
_FILES = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
          (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
          (os.POSIX_SPAWN_DUP2, 1, 2)]
# Python ignores SIGPIPE (and SIGXFSZ); a child must get the defaults back, as subprocess does.
_SIGDEF = tuple(getattr(signal, n) for n in ("SIGPIPE", "SIGXFSZ") if hasattr(signal, n))


def probe(target, spec):
    _reap()
    argv = list(spec.command) + [target.address, str(target.port)]
    env = dict(os.environ)
    env[ENV_ADDRESS] = target.address
    env[ENV_PORT] = str(target.port)
    try:
        pid = os.posix_spawnp(argv[0], argv, env, file_actions=_FILES, setsid=True,
                              setsigdef=_SIGDEF)
    except OSError as exc:
        raise Failed(f"cannot run {argv[0]}: {describe(exc)}") from None
    status = None
    pidfd = _pidfd(pid)
    try:
        while True:
            status = _wait(pid)
            if status is not None:
                break
            yield (pidfd, READ, "command did not exit; killed") if pidfd >= 0 else \
                (None, 0, "command did not exit; killed")
    finally:
        if pidfd >= 0:
            os.close(pidfd)
        if status is None:
            _kill(pid)
    if status == LOST:
        raise Failed("exit status lost: something else reaped the command (SIGCHLD ignored?)")
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return "exit 0"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        raise Failed(f"killed by {name}")
    raise Failed(f"exit {code}")


def _wait(pid: int):
    """The child's wait status if it has exited (and is now reaped), else None."""
    try:
        done, status = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return LOST
    return status if done else None


def _pidfd(pid: int) -> int:
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return -1
    try:
        return opener(pid)
    except OSError:
        return -1


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass
    end = time.monotonic() + REAP_WAIT
    delay = 0.0005
    while _wait(pid) is None:
        if time.monotonic() >= end:
            _unreaped.append(pid)
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.01)


def _reap() -> None:
    if _unreaped:
        _unreaped[:] = [pid for pid in _unreaped if _wait(pid) is None]
