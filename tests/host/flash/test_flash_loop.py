"""The flasher against real block devices: loop devices (needs root and losetup).

- A good write is read back and verified, and /proc/diskstats shows it reached the device.
- A corrupted read-back is detected and located. The corruption is injected through a test
  hook (firmware.flash.write.flash(before_verify=...), also taken by cli.main): between the
  write and the check, one byte of the loop device's *backing file* is changed. The device's
  own page cache still holds the written (good) data, so only a check that really reads the
  device (cache dropped, O_DIRECT) can see it.
- Every refusal (missing device, not a block device, partition, mounted, holding a mounted
  filesystem, smaller than the image, non-removable without --force, no confirmation) exits
  1, says why, and leaves the device byte-for-byte as it was (SHA-256 before and after) with
  no sector written (/proc/diskstats).

Removability: a loop device reports /sys/block/loopN/removable = 0 and is on no USB or MMC
bus, so it is a *fixed* disk to the flasher: refused without --force (tested here), written
with it. The removable path (removable=1, USB, MMC/SD) cannot be made on this host (no
scsi_debug, no USB gadget); tests/unit/image/test_image_flash_policy.py covers it on fake
sysfs trees with the same code. Backing files live in /dev/shm.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from support import need

REPO = Path(__file__).resolve().parents[3]
MiB = 1 << 20


def prerequisites() -> None:
    need(os.geteuid() == 0, "needs root (losetup, mount)")
    for tool in ("losetup", "sfdisk", "partx", "mkfs.ext2"):
        need(shutil.which(tool) is not None, f"needs {tool}")
    need(os.path.isdir("/dev/shm"), "needs /dev/shm for the loop backing files")


def sh(*cmd: str) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True)
    assert p.returncode == 0, f"{' '.join(cmd)}: {p.stderr}"
    return p.stdout


def sectors_written(dev: str) -> int:
    name = os.path.basename(dev)
    for line in Path("/proc/diskstats").read_text().splitlines():
        f = line.split()
        if f[2] == name:
            return int(f[9])
    raise AssertionError(f"{name} not in /proc/diskstats")


def digest(dev: str) -> str:
    h = hashlib.sha256()
    with open(dev, "rb") as fh:
        for b in iter(lambda: fh.read(MiB), b""):
            h.update(b)
    return h.hexdigest()


@contextlib.contextmanager
def loop(size: int, partitioned: bool = False):
    """(device, backing file); partitioned: an MBR with two partitions (loopNp1, loopNp2)."""
    prerequisites()
    fd, backing = tempfile.mkstemp(prefix="lvslite-flash-", suffix=".img", dir="/dev/shm")
    os.close(fd)
    os.truncate(backing, size)
    dev = None
    mounts: list = []
    nodes: list = []
    try:
        if partitioned:
            subprocess.run(["sfdisk", "-q", backing], input="label: dos\n,2MiB,83\n,,83\n",
                           text=True, check=True, capture_output=True)
        p = subprocess.run(["losetup", "-f", "--show"] + (["-P"] if partitioned else [])
                           + [backing], capture_output=True, text=True)
        need(p.returncode == 0, f"losetup failed: {p.stderr.strip()}")
        dev = p.stdout.strip()
        if partitioned:
            nodes += partition_nodes(dev)
        yield dev, backing, mounts
    finally:
        for n in nodes:
            os.unlink(n)
        for m in reversed(mounts):
            subprocess.run(["umount", m], capture_output=True)
            shutil.rmtree(m, ignore_errors=True)
        if dev:
            subprocess.run(["losetup", "-d", dev], capture_output=True)
        os.unlink(backing)


def partition_nodes(dev: str) -> list:
    """/dev nodes for the loop device's partitions where nothing (udev, devtmpfs) made them;
    the ones made here, to remove afterwards."""
    import stat
    name = os.path.basename(dev)
    if not list(Path(f"/sys/block/{name}").glob(f"{name}p*")):
        subprocess.run(["partx", "-a", dev], capture_output=True)  # losetup -P did not scan
    made = []
    for part in sorted(Path(f"/sys/block/{name}").glob(f"{name}p*")):
        node = f"/dev/{part.name}"
        if not os.path.exists(node):
            major, minor = map(int, (part / "dev").read_text().split(":"))
            os.mknod(node, 0o600 | stat.S_IFBLK, os.makedev(major, minor))
            made.append(node)
    assert made or Path(f"/dev/{name}p1").exists(), f"no partitions appeared on {dev}"
    return made


def mount(dev: str, mounts: list) -> str:
    sh("mkfs.ext2", "-q", dev)
    point = tempfile.mkdtemp(prefix="lvslite-flash-mnt-")
    mounts.append(point)
    sh("mount", dev, point)
    return point


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    """3 MiB and 123 bytes of random data: not a whole number of sectors on purpose."""
    p = tmp_path_factory.mktemp("flash") / "card.img"
    p.write_bytes(os.urandom(3 * MiB + 123))
    return p


def flash(*args: str, stdin=subprocess.DEVNULL):
    p = subprocess.run([sys.executable, "-m", "firmware.flash", *args], cwd=REPO,
                       stdin=stdin, capture_output=True, text=True, timeout=120)
    return p.returncode, p.stderr


def test_a_good_write_is_verified(image):
    with loop(8 * MiB) as (dev, backing, _):
        w0 = sectors_written(dev)
        rc, err = flash(str(image), dev, "--yes", "--force")
        assert rc == 0, err
        sha = hashlib.sha256(image.read_bytes()).hexdigest()
        assert f"ok: {image.stat().st_size} bytes written to {dev} and read back (O_DIRECT): " \
               f"sha256 {sha}" in err
        with open(dev, "rb") as fh:
            assert fh.read(image.stat().st_size) == image.read_bytes()
        written = sectors_written(dev) - w0
        print(f"{dev}: {written} sectors written for a {image.stat().st_size}-byte image")
        assert written >= -(-image.stat().st_size // 512)


def test_a_corrupted_read_back_is_detected_and_located(image, capsys):
    from firmware.flash import cli

    at = 2 * MiB + 777
    with loop(8 * MiB) as (dev, backing, _):
        def corrupt():
            fd = os.open(backing, os.O_RDWR)
            try:
                old = os.pread(fd, 1, at)
                os.pwrite(fd, bytes([old[0] ^ 0xFF]), at)
                os.fsync(fd)
            finally:
                os.close(fd)

        rc = cli.main([str(image), dev, "--yes", "--force"], before_verify=corrupt)
        err = capsys.readouterr().err
        assert rc == 3, err
        assert f"VERIFY FAILED: {dev} differs from the image: 1 chunk(s) of 1 MiB differ, " \
               f"the first at byte {at} (sector {at // 512})" in err


def test_the_same_hook_without_corruption_verifies(image, capsys):
    """Control for the test above: the hook alone does not make the check fail."""
    from firmware.flash import cli

    with loop(8 * MiB) as (dev, backing, _):
        assert cli.main([str(image), dev, "--yes", "--force"], before_verify=lambda: None) == 0


def refused(image: Path, dev: str, *extra: str, expect: str, stdin=subprocess.DEVNULL) -> str:
    before, w0 = digest(dev), sectors_written(dev)
    rc, err = flash(str(image), dev, *extra, stdin=stdin)
    assert rc == 1, err
    assert expect in err, err
    assert "nothing was written" in err or "was not written" in err, err
    assert digest(dev) == before, "the device changed"
    assert sectors_written(dev) == w0, "sectors were written to the device"
    return err


def test_refuses_a_missing_device(image):
    rc, err = flash(str(image), "/dev/lvslite-no-such-disk", "--yes", "--force")
    assert rc == 1 and "no such device" in err and "nothing was written" in err


def test_refuses_a_file_that_is_not_a_block_device(image, tmp_path):
    f = tmp_path / "not-a-disk"
    f.write_bytes(b"keep me" * 1000)
    rc, err = flash(str(image), str(f), "--yes", "--force")
    assert rc == 1 and "not a block device" in err
    assert f.read_bytes() == b"keep me" * 1000


def test_refuses_a_partition(image):
    with loop(16 * MiB, partitioned=True) as (dev, _, _m):
        refused(image, f"{dev}p2", "--yes", "--force",
                expect=f"is partition 2 of {dev}, not a whole disk")


def test_refuses_a_mounted_device(image):
    with loop(8 * MiB) as (dev, _, mounts):
        point = mount(dev, mounts)
        refused(image, dev, "--yes", "--force",
                expect=f"holds mounted filesystems (/dev/{os.path.basename(dev)} on {point})")


def test_refuses_a_disk_holding_a_mounted_filesystem(image):
    with loop(16 * MiB, partitioned=True) as (dev, _, mounts):
        point = mount(f"{dev}p1", mounts)
        err = refused(image, dev, "--yes", "--force", expect="holds mounted filesystems")
        assert f"/dev/{os.path.basename(dev)}p1 on {point}" in err


def test_refuses_a_device_smaller_than_the_image(image):
    with loop(2 * MiB) as (dev, _, _m):
        refused(image, dev, "--yes", "--force", expect="smaller than the image")


def test_refuses_a_fixed_disk_without_force(image):
    with loop(8 * MiB) as (dev, _, _m):
        refused(image, dev, "--yes", expect="does not look removable (removable=0")


def test_refuses_without_confirmation(image):
    with loop(8 * MiB) as (dev, _, _m):
        refused(image, dev, "--force", expect="confirmation needed")


def test_refuses_a_wrong_typed_confirmation(image, capsys):
    from firmware.flash import cli

    with loop(8 * MiB) as (dev, _, _m):
        before = digest(dev)
        assert cli.main([str(image), dev, "--force"], ask=lambda q: "sdz") == 1
        assert "was not written" in capsys.readouterr().err
        assert digest(dev) == before


def test_refuses_the_loop_device_whose_backing_file_is_the_image():
    """Writing an image onto the loop device that maps it would overwrite the image with
    itself while reading it: refused, by the backing file's identity (not its name)."""
    with loop(8 * MiB) as (dev, backing, _m):
        with open(backing, "r+b") as fh:            # an image in it, the size kept
            fh.write(os.urandom(4 * MiB))
        link = Path(tempfile.mkdtemp(prefix="lvslite-flash-link-")) / "card.img"
        link.symlink_to(backing)                   # another name for the same file
        try:
            for img in (backing, str(link)):
                before = digest(dev)
                rc, err = flash(img, dev, "--yes", "--force")
                assert rc == 1, err
                assert "backing file" in err and "nothing was written" in err, err
                assert digest(dev) == before
        finally:
            link.unlink()
            link.parent.rmdir()


def test_refuses_a_block_device_or_a_fifo_as_the_image(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with loop(8 * MiB) as (source, _b, _m), loop(8 * MiB) as (dev, _b2, _m2):
        for img, words in ((source, "a block device"), (str(fifo), "a FIFO"),
                           ("/dev/zero", "a character device")):
            before = digest(dev)
            rc, err = flash(img, dev, "--yes", "--force")
            assert rc == 1 and words in err and "regular file" in err, err
            assert "empty" not in err and digest(dev) == before
