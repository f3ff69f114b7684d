"""Bytes `lvslite top` sends per refresh to an 80x24 vt100 terminal: the budget is 1 kB, so a
19200-baud serial console (about 1920 bytes/s) keeps up even at one refresh a second
(docs/operate.md#lvslite-top). Prints numbers, asserts nothing.

top runs in a child on the slave side of a pty (pty.fork) and this process counts the bytes
read from the master. The inputs are the seed's two services (tests/fixtures/configs/
seed-ldirectord.json: 10.0.0.100:80 and :443, two reals each): the status file and
/proc/net/ip_vs and ip_vs_stats texts of tests/fixtures/top, which this process rewrites
between refreshes as a busy director would change them: every real's connection counters
and the rates move each time, the daemon's status is rewritten each second (check ages),
and now and then a real fails or comes back. The child reads them through lvslite.ipvs.proc's
paths, pointed at the files (this host has no IPVS).

    .venv/bin/python tests/bench/top_bytes.py [--refreshes 20] [--interval 0.5]
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import random
import select
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIX = REPO / "tests" / "fixtures" / "top"
sys.path.insert(0, str(REPO))


def seed_files(work: Path, step: int, rng: random.Random) -> None:
    """The status file and /proc texts after `step` refreshes of a busy director."""
    doc = json.loads((FIX / "status.json").read_text())
    doc["time"] = time.time()
    down = (step // 8) % 2 == 1           # 10.0.0.10:80 fails for 8 refreshes, then returns
    lines = ["IP Virtual Server version 1.2.1 (size=4096)",
             "Prot LocalAddress:Port Scheduler Flags",
             "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn"]
    for svc in doc["services"]:
        port = int(svc["virtual"].rsplit(":", 1)[1])
        lines.append(f"TCP  0A000064:{port:04X} wrr persistent 450000 FFFFFFFF")
        for r in svc["reals"]:
            r["checked_ago_s"] = rng.uniform(0, 2)
            failed = down and r["address"] == "10.0.0.10:80"
            r["health"] = "down" if failed else "up"
            r["reason"] = "connection refused" if failed else "HTTP 200, body matched"
            r["effective_weight"] = None if failed else 1
            if failed:
                continue
            host = r["address"].split(":")[0]
            hexed = "".join(f"{int(o):02X}" for o in host.split("."))
            lines.append(f"  -> {hexed}:{port:04X}      Route   1      "
                         f"{rng.randint(0, 40):<10} {rng.randint(50, 400):<10}")
    (work / "ip_vs").write_text("\n".join(lines) + "\n")
    conns = 500 + step * 37
    (work / "ip_vs_stats").write_text(
        "   Total Incoming Outgoing         Incoming         Outgoing\n"
        "   Conns  Packets  Packets            Bytes            Bytes\n"
        f"{conns:8X} {conns * 12:8X} {0:8X} {conns * 4000:16X} {0:16X}\n\n"
        " Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n"
        f"{rng.randint(250, 350):8X} {rng.randint(3000, 4000):8X} {0:8X} "
        f"{rng.randint(140000, 160000):16X} {0:16X}\n")
    tmp = work / "status.json.tmp"
    tmp.write_text(json.dumps(doc))
    tmp.rename(work / "status.json")


def child(work: Path, interval: float) -> None:
    fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    os.environ.update(TERM="vt100", LVSLITE_STATE_DIR=str(work))
    from lvslite.ipvs import proc
    proc.PROC, proc.STATS = str(work / "ip_vs"), str(work / "ip_vs_stats")
    from lvslite.cli import main
    os._exit(main(["top", "-i", f"{interval:g}"]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--refreshes", type=int, default=20)
    ap.add_argument("--interval", type=float, default=0.5)
    args = ap.parse_args()
    rng = random.Random(7)
    work = Path(tempfile.mkdtemp(prefix="top-bytes-"))
    seed_files(work, 0, rng)
    pid, master = pty.fork()
    if pid == 0:
        child(work, args.interval)
    bursts = []               # bytes of each refresh: output separated by quiet
    current = 0
    quiet = args.interval / 3
    step = 0
    deadline = time.monotonic() + 30 + args.refreshes * args.interval * 3
    while len(bursts) < args.refreshes + 1 and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], quiet)
        if ready:
            try:
                current += len(os.read(master, 65536))
            except OSError:
                break
            continue
        if current:            # a refresh ended: change the inputs for the next one
            bursts.append(current)
            current = 0
            step += 1
            seed_files(work, step, rng)
    os.write(master, b"q")
    os.waitpid(pid, 0)
    os.close(master)
    if len(bursts) < 2:
        print(f"top sent {bursts} bytes: fewer than two refreshes seen")
        return 1
    first, rest = bursts[0], bursts[1:]
    print(f"lvslite top, seed config (2 services x 2 reals), 80x24 vt100, "
          f"{len(rest)} refreshes every {args.interval:g} s with every counter moving:")
    print(f"  first screen (start-up, full paint): {first} bytes")
    print(f"  per refresh: mean {sum(rest) / len(rest):.0f} bytes, max {max(rest)}, "
          f"min {min(rest)} (budget 1024)")
    print(f"  at 19200 baud (1920 bytes/s) the worst refresh takes {max(rest) / 1920:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
