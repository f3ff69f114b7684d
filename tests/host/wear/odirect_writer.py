"""Helper process for the wear host tests: writes a known amount at a known pace with O_DIRECT.

Usage: odirect_writer.py DEVICE CHUNK_BYTES CHUNKS PERIOD_S
Names itself 'wearwriter' (so `wear` must find it among the writers), says 'ready', waits
for a line on stdin, writes chunk k at start + k*PERIOD_S (catching up if late), says
'done <bytes> <late_s>' and stays alive, the device still open, until stdin closes (its
/proc/PID/io and its open file must still be there when the watch ends). The buffer comes
from mmap, so it is page aligned as O_DIRECT needs.
"""
import mmap
import os
import sys
import time


def main() -> int:
    dev, chunk, chunks, period = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    with open("/proc/self/comm", "w") as fh:
        fh.write("wearwriter")
    buf = mmap.mmap(-1, chunk)
    buf.write(b"\xa5" * chunk)
    fd = os.open(dev, os.O_WRONLY | os.O_DIRECT)
    print("ready", flush=True)
    sys.stdin.readline()
    start = time.monotonic()
    written, late = 0, 0.0
    for k in range(chunks):
        delay = start + k * period - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        else:
            late = max(late, -delay)
        os.lseek(fd, k * chunk, os.SEEK_SET)
        n = os.write(fd, buf)
        if n != chunk:
            print(f"short write {n}", flush=True)
            return 1
        written += n
    print(f"done {written} {late:.4f} {time.monotonic() - start:.4f}", flush=True)
    sys.stdin.read()
    os.close(fd)        # open until the end, as a daemon keeps its log: `wear` sees it open
    return 0


if __name__ == "__main__":
    sys.exit(main())
