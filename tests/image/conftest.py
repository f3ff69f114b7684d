"""Fixtures of the image tests: the built card image, one booted guest per session, the lab.

These tests run on the host and boot out/image/lvslite-i386.img (built by `make image`)
under qemu-system-i386 -accel tcg with 128 MB, the image as the IDE disk, the serial console
captured to LVSLITE_IMAGE_OUT/console.log (default .cache/image/run/). The session boots the
image once; the save test boots it a second time from the same disk file (a reboot).
Numbers worth reading (boot time, free memory, written sectors) are printed at the end.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import need  # noqa: E402

import guestvm  # noqa: E402
import imagelab  # noqa: E402


@pytest.fixture(scope="session")
def report() -> imagelab.Report:
    return imagelab.REPORT


def pytest_terminal_summary(terminalreporter):
    if imagelab.REPORT.lines:
        terminalreporter.write_sep("-", "firmware image (i386, qemu TCG, 128 MB)")
        for line in imagelab.REPORT.lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def card(tmp_path_factory) -> imagelab.Card:
    """A copy of the built image with the test config on its /cfg partition, written the
    way an administrator would with a card reader (mtools on the FAT partition)."""
    why = guestvm.available()
    need(why is None, why or "")
    image = imagelab.IMAGE_DIR / "lvslite-i386.img"
    manifest = imagelab.IMAGE_DIR / "manifest.json"
    need(image.exists() and manifest.exists(),
         f"no {image} (build it with `make image`, as root, with Debian's archive)")
    need(shutil.which("mcopy") is not None, "mcopy not installed (apt-get install mtools)")
    imagelab.OUT.mkdir(parents=True, exist_ok=True)
    (imagelab.OUT / "console.log").unlink(missing_ok=True)      # this session's boots only
    path = tmp_path_factory.mktemp("card") / image.name
    shutil.copyfile(image, path)
    c = imagelab.Card(path, json.loads(manifest.read_text()))
    cfg = path.parent / "lvslite.json"
    cfg.write_text(json.dumps(imagelab.config(), indent=2) + "\n")
    off = c.partition("cfg")["start"]
    subprocess.run(["mcopy", "-o", "-i", f"{path}@@{off}", str(cfg), "::/lvslite.json"],
                   check=True, env=dict(os.environ, MTOOLS_SKIP_CHECK="1"))
    imagelab.REPORT.add(
        f"image {image.name}: {c.manifest['bytes'] / 2**20:.1f} MiB ({c.manifest['bytes']} "
        f"bytes; squashfs root {c.manifest['squashfs_bytes'] / 2**20:.1f} MiB), kernel "
        f"{c.manifest['kernel']}")
    return c


@pytest.fixture(scope="session")
def guest(card):
    g = imagelab.boot(card, "boot 1")
    yield g
    g.power_cut()


@pytest.fixture(scope="session")
def lab(guest):
    return imagelab.build_lab(guest)
