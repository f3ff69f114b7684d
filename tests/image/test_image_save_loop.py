"""`lvslite save` on the host against a real block device (needs root, losetup, mkfs.ext2).

The emulator test (test_image_boot.py) saves to the card's FAT /cfg; this one runs the same
command on a loop device with ext2 (the host kernel here has no vfat) to check the edges the
guest cannot show cheaply: the mount really goes back to read-only, the temp file is gone,
an unchanged config writes nothing, and the sectors it reports are the device's own.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from support import need

REPO = Path(__file__).resolve().parents[2]


def sectors(name: str) -> int:
    for line in Path("/proc/diskstats").read_text().splitlines():
        f = line.split()
        if f[2] == name:
            return int(f[9])
    raise AssertionError(name)


def options(point: str) -> list:
    for line in Path("/proc/self/mounts").read_text().splitlines():
        f = line.split()
        if f[1] == point:
            return f[3].split(",")
    raise AssertionError(f"{point} not mounted")


@pytest.fixture
def cfg_partition():
    need(os.geteuid() == 0, "needs root (losetup, mount)")
    need(shutil.which("losetup") is not None and shutil.which("mkfs.ext2") is not None,
         "needs losetup and mkfs.ext2")
    fd, backing = tempfile.mkstemp(prefix="lvslite-save-", suffix=".img", dir="/dev/shm")
    os.close(fd)
    os.truncate(backing, 4 << 20)
    point = tempfile.mkdtemp(prefix="lvslite-cfg-")
    dev = None
    mounted = False
    try:
        dev = subprocess.run(["losetup", "-f", "--show", backing], capture_output=True,
                             text=True, check=True).stdout.strip()
        subprocess.run(["mkfs.ext2", "-q", dev], check=True)
        subprocess.run(["mount", "-o", "ro", dev, point], check=True)
        mounted = True
        yield dev, point
    finally:
        if mounted:
            subprocess.run(["umount", point])
        if dev:
            subprocess.run(["losetup", "-d", dev])
        os.rmdir(point)
        os.unlink(backing)


def save(config: Path, point: str):
    p = subprocess.run([sys.executable, "-m", "lvslite", "save", "-c", str(config), "--cfg",
                        point, "--json"], cwd=REPO, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def test_save_writes_remounts_read_only_and_reports_the_sectors(cfg_partition, tmp_path):
    dev, point = cfg_partition
    name = os.path.basename(dev)
    conf = tmp_path / "lvslite.json"
    conf.write_text(json.dumps({"services": [{"virtual": "10.0.0.100:80",
                                              "reals": ["10.0.0.10:80"]}]}) + "\n")
    assert "ro" in options(point)
    w0 = sectors(name)
    rc, out, err = save(conf, point)
    assert rc == 0, err
    report = json.loads(out)
    w1 = sectors(name)
    print(f"save: reported {report['sectors']}, diskstats {name} +{w1 - w0}")
    assert report["saved"] and report["sectors"][name] > 0
    assert report["sectors"][name] <= w1 - w0
    assert Path(point, "lvslite.json").read_bytes() == conf.read_bytes()
    assert sorted(os.listdir(point)) == ["lost+found", "lvslite.json"]   # no temp file left
    assert "ro" in options(point)

    rc, out, err = save(conf, point)                      # the same config again
    assert rc == 0 and json.loads(out)["saved"] is False
    assert sectors(name) == w1                            # not a sector
    assert "ro" in options(point)


def test_an_invalid_config_leaves_the_partition_untouched(cfg_partition, tmp_path):
    dev, point = cfg_partition
    conf = tmp_path / "bad.json"
    conf.write_text('{"services": [{"virtual": "10.0.0.100:80", "reals": ["nowhere"]}]}')
    w0 = sectors(os.path.basename(dev))
    rc, out, err = save(conf, point)
    assert rc == 1 and "not saved, the card is untouched" in err
    assert sectors(os.path.basename(dev)) == w0
    assert os.listdir(point) == ["lost+found"]
