"""Calibration of the bench's memory model against a real kernel (docs/reference/models.md#size-of-one-connection-entry).

Opens N real TCP connections through an LVS-DR service in the guest (Debian 6.1 x86-64,
booted with slab_nomerge so ip_vs_conn has a slab cache of its own) and measures what one
connection entry costs: the pages the ip_vs_conn cache grew by, divided by the entries IPVS
reports. The catalog's per-entry figure for a modern x86-64 kernel (bench/boxes.json:
sizeof 288 B, slab-rounded, packed whole into 4 KiB pages) must agree within 10%.
Then the clients close, and the entries must stay ~120 s in a closing state: the hold time
the model's Little's law adds after close.
"""
from __future__ import annotations

import re
import socket
import time
from collections import Counter
from pathlib import Path

from lab import netns, sh, wait_for

from bench.catalog import load_catalog
from bench.memory import CLOSE_HOLD_S, entry_size

VIP = "10.0.1.100"
N = 600                    # 50 full slab pages of 12: per-CPU partial slabs stay a small error
SLAB = Path("/sys/kernel/slab/ip_vs_conn")
PAGE = 4096


def slab() -> dict:
    """The cache's sysfs counters (first field: the total over all nodes)."""
    out = {}
    for name in ("object_size", "slab_size", "objs_per_slab", "order", "slabs", "objects"):
        out[name] = int((SLAB / name).read_text().split()[0])
    return out


def entries(lab) -> list:
    """Rows of /proc/net/ip_vs_conn in the director's namespace: (state, expires seconds)."""
    rows = lab.run(lab.director, "cat /proc/net/ip_vs_conn").splitlines()[1:]
    return [(r.split()[7], int(r.split()[8])) for r in rows if r.strip()]


def test_entry_bytes_match_the_catalog(lab, capsys):
    assert SLAB.is_dir(), "no /sys/kernel/slab/ip_vs_conn (is ip_vs loaded, slab_nomerge set?)"
    lab.add_vip(VIP)
    lab.vip_on_reals(VIP)
    lab.ipvsadm(f"-A -t {VIP}:80 -s rr")
    for addr in lab.reals.values():
        lab.ipvsadm(f"-a -t {VIP}:80 -r {addr}:80 -g -w 1")
    assert wait_for(lambda: lab.get(VIP, count=2), timeout=10), "DR service does not answer"
    before, base = slab(), len(entries(lab))   # the probes' entries (FIN_WAIT) are counted

    socks = []
    start = time.monotonic()
    try:
        with netns(lab.client):
            for _ in range(N):
                socks.append(socket.create_connection((VIP, 80), timeout=10))
        opened = time.monotonic() - start
        assert wait_for(lambda: sum(s == "ESTABLISHED" for s, _ in entries(lab)) >= N,
                        timeout=20), f"not all {N} entries ESTABLISHED: {entries(lab)[:5]}"
        after = slab()
        held = len(entries(lab)) - base
    finally:
        for s in socks:
            s.close()

    pages = (after["slabs"] - before["slabs"]) << after["order"]
    measured = pages * PAGE / held
    catalog = load_catalog()
    era = catalog.kernels["modern-x86_64"]
    model = entry_size(era, 64, PAGE)          # x86-64: X86_L1_CACHE_SHIFT = 6
    dmesg = sh("dmesg", check=False)
    table = re.search(r"Connection hash table configured \(size=(\d+), memory=(\d+)Kbytes\)",
                      dmesg)

    # closed by the client: the entries stay for the closing state's timeout (FIN_WAIT on the
    # input-only table; TIME_WAIT once the director also sees the reals' FIN, as here where
    # the reals route through it): 120 s either way, the hold the model adds after close
    closing = ("FIN_WAIT", "TIME_WAIT")
    assert wait_for(lambda: sum(s in closing for s, _ in entries(lab)) >= N, timeout=20), \
        f"entries did not move to FIN_WAIT/TIME_WAIT: {entries(lab)[:5]}"
    states = Counter(s for s, _ in entries(lab))
    fin = [e for s, e in entries(lab) if s in closing]

    with capsys.disabled():
        print(f"\n[calibration] kernel {sh('uname -r').strip()}: {held} IPVS entries held "
              f"(opened in {opened:.1f} s)")
        print(f"[calibration] ip_vs_conn: object_size {after['object_size']} B, slab_size "
              f"{after['slab_size']} B, {after['objs_per_slab']} per slab of order "
              f"{after['order']}; slabs {before['slabs']} -> {after['slabs']}, objects "
              f"{before['objects']} -> {after['objects']}")
        print(f"[calibration] measured {measured:.1f} B/entry ({pages} pages / {held} entries); "
              f"catalog modern-x86_64: sizeof {model.struct_bytes} B -> object "
              f"{model.object_bytes} B -> {model.per_entry_bytes:.1f} B/entry; difference "
              f"{model.per_entry_bytes / measured - 1:+.1%}")
        if table:
            print(f"[calibration] hash table: kernel says size={table.group(1)}, "
                  f"memory={table.group(2)} KiB; catalog 2^12 x {era.bucket_bytes} B = "
                  f"{4096 * era.bucket_bytes // 1024} KiB")
        print(f"[calibration] after close: {dict(states)}, expiring in "
              f"{min(fin)}..{max(fin)} s (model hold {CLOSE_HOLD_S['dr']:.0f} s)")

    # SLUB counts a CPU's active slab as full, so only the total is a bound, not the delta
    assert after["objects"] >= held + base
    assert abs(model.per_entry_bytes / measured - 1) <= 0.10
    assert abs(model.object_bytes / after["slab_size"] - 1) <= 0.10
    assert abs(model.struct_bytes / after["object_size"] - 1) <= 0.10
    if table:
        assert int(table.group(2)) * 1024 == int(table.group(1)) * era.bucket_bytes
    assert CLOSE_HOLD_S["dr"] - 30 <= min(fin) <= max(fin) <= CLOSE_HOLD_S["dr"]
