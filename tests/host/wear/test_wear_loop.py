"""`lvslite wear` against real kernel counters on a loop device (needs root and losetup).

1. A writer process writes a known number of bytes with O_DIRECT at a known pace while
   `wear watch` runs: the report must show exactly those bytes, the pace within 5%, and the
   writer first among the writers.
2. `wear sample` and `wear watch` write nothing to any block device: their own block output
   (the kernel's per-process write accounting, ru_oublock) is zero, and a loop device holding
   their cwd, HOME and TMPDIR sees no written sectors. A control run that puts the log on that
   loop device shows both measures do catch writes.

/proc/diskstats counts loop writes exactly; its counters can persist across detach, so only
deltas are used. Backing files live in /dev/shm so the tests themselves do not touch the disk.
"""
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from support import need

REPO = Path(__file__).resolve().parents[3]
WRITER = Path(__file__).resolve().parent / "odirect_writer.py"


def prerequisites():
    need(os.geteuid() == 0, "needs root (losetup, mount)")
    need(shutil.which("losetup") is not None, "needs losetup (util-linux)")
    need(os.path.isdir("/dev/shm"), "needs /dev/shm for the loop backing files")
    need(os.path.exists("/proc/diskstats"), "needs /proc/diskstats")


def sectors_written():
    """name -> sectors written, for every block device in /proc/diskstats."""
    out = {}
    for line in Path("/proc/diskstats").read_text().splitlines():
        f = line.split()
        out[f[2]] = int(f[9])
    return out


@contextlib.contextmanager
def loop_device(size_mb=32):
    fd, backing = tempfile.mkstemp(prefix="lvslite-wear-", suffix=".img", dir="/dev/shm")
    os.close(fd)
    os.truncate(backing, size_mb << 20)
    dev = None
    try:
        p = subprocess.run(["losetup", "-f", "--show", backing], capture_output=True, text=True)
        need(p.returncode == 0, f"losetup failed: {p.stderr.strip()}")
        dev = p.stdout.strip()
        yield dev
    finally:
        if dev:
            subprocess.run(["losetup", "-d", dev], check=False)
        os.unlink(backing)


@contextlib.contextmanager
def mounted(source, fstype, opts=None):
    d = tempfile.mkdtemp(prefix="lvslite-wear-mnt-")
    cmd = ["mount", "-t", fstype] + (["-o", opts] if opts else []) + [source, d]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0 and opts:              # an older driver without the option
        p = subprocess.run(["mount", "-t", fstype, source, d], capture_output=True, text=True)
    try:
        need(p.returncode == 0, f"mount {fstype} failed: {p.stderr.strip()}")
        yield Path(d)
    finally:
        if p.returncode == 0:
            subprocess.run(["umount", d], check=False)
        os.rmdir(d)


def test_watch_measures_an_odirect_writer_exactly(monkeypatch, capsys):
    prerequisites()
    from lvslite.cli import main
    from lvslite.wear import sample

    chunk, chunks, period = 256 << 10, 32, 0.125       # 8 MiB at 2 MiB/s over 4 s
    total, rate = chunk * chunks, chunk / period
    duration = chunks * period                          # last sample one period after the last write
    with loop_device() as dev:
        name = os.path.basename(dev)
        writer = subprocess.Popen([sys.executable, str(WRITER), dev, str(chunk), str(chunks),
                                   str(period)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        try:
            assert writer.stdout.readline().strip() == "ready"
            real_watch = sample.run_watch

            def watch_that_starts_the_writer(*a, on_sample=None, **kw):
                started = []

                def hook(snap):
                    if not started:                 # right after the first sample
                        writer.stdin.write("go\n")
                        writer.stdin.flush()
                        started.append(snap.t)
                    if on_sample:
                        on_sample(snap)
                return real_watch(*a, on_sample=hook, **kw)

            monkeypatch.setattr(sample, "run_watch", watch_that_starts_the_writer)
            before = sectors_written()[name]
            rc = main(["wear", "watch", "--device", name, "--interval", str(period),
                       "--duration", str(duration), "--json"])
            after = sectors_written()[name]
            done = writer.stdout.readline().split()
        finally:
            writer.stdin.close()
            writer.wait(timeout=10)
    out = capsys.readouterr().out
    assert rc == 0
    doc = json.loads(out)
    dev_report, = doc["devices"]
    print(f"\nwriter: {done}; kernel delta {(after - before) * 512} B; report: "
          f"{dev_report['bytes_written']} B in {dev_report['window_s']:.3f} s = "
          f"{dev_report['write_rate_Bps']:.0f} B/s (writer pace {rate:.0f} B/s); "
          f"writers {dev_report['writers'][:3]}")
    assert done[:2] == ["done", str(total)]
    assert (after - before) * 512 == total             # the kernel saw it all, in the window
    assert dev_report["bytes_written"] == total
    assert dev_report["write_rate_Bps"] == pytest.approx(rate, rel=0.05)
    top = dev_report["writers"][0]
    assert (top["name"], top["pid"]) == ("wearwriter", writer.pid)
    assert top["write_bytes"] == total


def run_measured(args, cwd, log_dir):
    """Runs `lvslite wear ARGS` and returns (exit code, its block output in 512-byte units)."""
    env = dict(os.environ, HOME=str(cwd), TMPDIR=str(cwd), PYTHONPATH=str(REPO))
    # The console script, as on the box: `python -m` would also scan the cwd for modules.
    script = Path(sys.executable).parent / "lvslite"
    cmd = [str(script)] if script.exists() else [sys.executable, "-m", "lvslite"]
    with open(log_dir / "stdout", "w") as out:
        p = subprocess.Popen(cmd + ["wear", *args], cwd=str(cwd),
                             env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    return p.returncode, usage.ru_oublock


def test_sample_and_watch_write_nothing_to_any_block_device():
    prerequisites()
    need(shutil.which("mkfs.ext2") is not None, "needs mkfs.ext2 (e2fsprogs)")
    with loop_device() as dev, mounted("lvslite-wear-test", "tmpfs", "size=8m") as ram:
        name = os.path.basename(dev)
        subprocess.run(["mkfs.ext2", "-q", "-F", dev], check=True, capture_output=True)
        # noinit_itable: the ext4 driver (which mounts ext2 on Debian) would otherwise zero
        # inode tables in a background thread after the mount and write the group
        # descriptors at a random moment, which is not ours to measure.
        with mounted(dev, "ext2", "noinit_itable") as disk:
            # Settle relatime: ext2's 1-second timestamps leave a fresh directory's atime
            # equal to its mtime, so the first reads within a second would rewrite it.
            time.sleep(1.1)
            os.listdir(disk)
            sample_args = ["sample", "--interval", "0.1", "--count", "10",
                           "--out", str(ram / "wear.log")]
            watch_args = ["watch", "--device", name, "--interval", "0.1", "--duration", "1"]
            # Warm up: the first import may write bytecode caches next to the sources
            # (on the box the root is read-only and ships compiled).
            run_measured(["sample", "--count", "1", "--interval", "0.1", "--out",
                          str(ram / "warm.log")], disk, ram)
            os.sync()
            before = sectors_written()
            rc_s, out_s = run_measured(sample_args, disk, ram)
            rc_w, out_w = run_measured(watch_args, disk, ram)
            os.sync()
            time.sleep(0.2)
            after = sectors_written()
            # Control: the same sampler with its log on the loop device's filesystem.
            rc_c, out_c = run_measured(sample_args[:-1] + [str(disk / "wear.log")], disk, ram)
            os.sync()
            control = sectors_written()
        assert (ram / "wear.log").read_text().count("@ ") == 10

    deltas = {d: after[d] - before.get(d, after[d]) for d in sorted(after)}
    print("\nsectors written during `wear sample` + `wear watch`, every block device:")
    for d, v in deltas.items():
        print(f"  {d:<12} {before.get(d, '-')!s:>12} -> {after[d]:<12} delta {v}")
    print(f"block output of the processes (512-B units): sample {out_s}, watch {out_w}; "
          f"control (log on {name}): {out_c}, {name} +{control[name] - after[name]} sectors")
    assert (rc_s, rc_w, rc_c) == (0, 0, 0)
    assert out_s == 0 and out_w == 0
    assert deltas[name] == 0
    assert out_c > 0 and control[name] > after[name]   # the measures do see writes


def test_writers_of_another_device_are_not_named(monkeypatch, capsys):
    """A process writing a lot to one loop device is not named as a writer of another: the
    figures of /proc/PID/io are totals over all devices, so `wear` names for a device only
    the processes with a file open on it."""
    prerequisites()
    from lvslite.cli import main
    from lvslite.wear import sample

    chunk, period = 256 << 10, 0.125
    with loop_device() as busy, loop_device() as card:
        procs = {}
        for dev, chunks in ((busy, 24), (card, 4)):        # 6 MiB elsewhere, 1 MiB on the card
            procs[dev] = subprocess.Popen([sys.executable, str(WRITER), dev, str(chunk),
                                           str(chunks), str(period)], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, text=True)
        try:
            for p in procs.values():
                assert p.stdout.readline().strip() == "ready"
            real_watch = sample.run_watch

            def watch_that_starts_the_writers(*a, on_sample=None, **kw):
                started = []

                def hook(snap):
                    if not started:
                        for p in procs.values():
                            p.stdin.write("go\n")
                            p.stdin.flush()
                        started.append(snap.t)
                return real_watch(*a, on_sample=hook, **kw)

            monkeypatch.setattr(sample, "run_watch", watch_that_starts_the_writers)
            rc = main(["wear", "watch", "--device", os.path.basename(card), "--interval",
                       "0.25", "--duration", "3.5", "--json"])
            for p in procs.values():
                assert p.stdout.readline().split()[0] == "done"
        finally:
            for p in procs.values():
                p.stdin.close()
                p.wait(timeout=10)
    assert rc == 0
    report, = json.loads(capsys.readouterr().out)["devices"]
    print(f"\nwriters of {card}: {report['writers']}; busy writer pid {procs[busy].pid}")
    pids = [x["pid"] for x in report["writers"]]
    assert report["bytes_written"] == 4 * chunk
    assert pids[:1] == [procs[card].pid] and procs[busy].pid not in pids
