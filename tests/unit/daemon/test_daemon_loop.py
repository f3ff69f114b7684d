"""The daemon loop on the host: real checks against loopback listeners, a kernel table kept in
memory (the real kernel is exercised in tests/vm/test_daemon.py). Shows the loop's wiring:
results -> health -> effective table -> reconcile ops -> status file."""
import json
import socket

import pytest

from lvslite import reconcile
from lvslite.checks.spec import CheckSpec
from lvslite.daemon import Daemon
from lvslite.model import Config, Real, RealKey, ServiceConfig, ServiceKey, VirtualService

VKEY = ServiceKey(4, "tcp", "10.0.1.100", 80)


class MemoryKernel:
    """A backend whose 'kernel' is a dict: dump() and apply(ops) as the real ones."""

    def __init__(self):
        self.table = {}
        self.applied = []

    def dump(self):
        return dict(self.table)

    def apply(self, ops):
        self.table = reconcile.apply_ops(self.table, ops)
        self.applied.extend(ops)

    def close(self):
        pass


def listener():
    """A loopback server that accepts and closes every connection, in a thread, until its
    socket is closed (then connections are refused, as from a dead real)."""
    import threading
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)

    def serve():
        while True:
            try:
                conn, _ = s.accept()
            except OSError:
                return
            conn.close()
    threading.Thread(target=serve, daemon=True).start()
    return s


@pytest.fixture
def setup(tmp_path):
    servers = [listener(), listener()]
    reals = tuple(sorted((Real(RealKey("127.0.0.1", s.getsockname()[1]), forward="masq")
                          for s in servers), key=lambda r: r.key))
    check = CheckSpec("connect", interval=0.1, timeout=0.5)
    cfg = Config((ServiceConfig(VirtualService(VKEY, "rr", reals=reals),
                                fallback=Real(RealKey("127.0.0.2", 80), forward="masq"),
                                check=check, path="services[0]"),))
    kernel = MemoryKernel()
    d = Daemon("test.json", kernel, state_dir=str(tmp_path), load=lambda path: cfg)
    d.load_config()
    yield d, kernel, servers, reals
    d.engine.close()
    for s in servers:
        close(s)


def close(s):
    """Close a listener so that new connections are refused at once (shutdown wakes the
    thread blocked in accept)."""
    try:
        s.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    s.close()


def run_until(d, pred, cycles=400):
    for _ in range(cycles):
        d.run(max_cycles=d.cycles + 1)
        if pred():
            return True
    return False


def in_kernel(kernel):
    svc = kernel.table.get(VKEY)
    return [(r.key.port, r.weight) for r in svc.reals] if svc else None


def test_reals_enter_leave_and_fallback_follows(setup, tmp_path):
    d, kernel, servers, reals = setup
    ports = [r.key.port for r in reals]
    assert run_until(d, lambda: in_kernel(kernel) == [(p, 1) for p in ports]), in_kernel(kernel)
    # one real dies: it leaves the table, the other stays
    dead = next(s for s in servers if s.getsockname()[1] == ports[0])
    close(dead)
    assert run_until(d, lambda: in_kernel(kernel) == [(ports[1], 1)]), in_kernel(kernel)
    status = json.loads((tmp_path / "status.json").read_text())
    rs = {r["address"]: r for r in status["services"][0]["reals"]}
    assert rs[f"127.0.0.1:{ports[0]}"]["health"] == "down"
    assert "refused" in rs[f"127.0.0.1:{ports[0]}"]["reason"]
    # the other dies too: the fallback comes in
    close(servers[1 - servers.index(dead)])
    assert run_until(d, lambda: in_kernel(kernel) == [(80, 1)]), in_kernel(kernel)
    assert kernel.table[VKEY].reals[0].key.address == "127.0.0.2"


def test_a_change_of_nothing_costs_no_operation(setup):
    d, kernel, servers, reals = setup
    assert run_until(d, lambda: in_kernel(kernel) is not None and len(kernel.table[VKEY].reals) == 2)
    before = len(kernel.applied)
    d.run(max_cycles=d.cycles + 30)
    assert len(kernel.applied) == before


def test_memory_and_fds_stay_flat_over_10000_cycles(setup, monkeypatch):
    """Every cycle runs checks and a full reconcile (dump, diff, state) against the memory
    kernel; growth between cycle 1,000 and 10,000 must be noise, not a leak per cycle."""
    import gc
    import os
    import tracemalloc

    import lvslite.daemon as daemon_mod
    d, kernel, servers, reals = setup
    monkeypatch.setattr(daemon_mod, "RESYNC_S", 0.0)
    for key, (target, spec) in list(d.plan.items()):   # check as often as the loop turns
        d.plan[key] = (target, spec.replace(interval=0.001))
        d.engine.add(key, target, d.plan[key][1])
    d.run(max_cycles=1000)

    def fds():
        """Open fds, less the sockets of checks in flight at this instant."""
        return len(os.listdir("/proc/self/fd")) - d.engine.stats()["running"]
    gc.collect()
    tracemalloc.start()
    base_mem, base_fds = tracemalloc.get_traced_memory()[0], fds()
    d.run(max_cycles=10000)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base_mem
    tracemalloc.stop()
    print(f"cycles 1,000-10,000: {grown} bytes traced growth, fds {base_fds} -> {fds()}, "
          f"{d.ops_total} kernel ops")
    assert fds() == base_fds
    assert grown < 9000 * 8, grown   # a leak of one small object per cycle would exceed this
