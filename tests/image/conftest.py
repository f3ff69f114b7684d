"""Fixtures of the image tests: the built card image, one booted guest per session, the lab.

These tests run on the host and boot out/image/lvslite-i386.img (built by `make image`)
under qemu-system-i386 -accel tcg with 128 MB, the image as the IDE disk, the serial console
captured to LVSLITE_IMAGE_OUT/console.log (default .cache/image/run/). The session boots the
image once; the save test boots it a second time from the same disk file (a reboot).
Numbers worth reading (boot time, free memory, written sectors) are printed at the end.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

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
    image = imagelab.IMAGE_DIR / "lvslite-i386.img"
    c = imagelab.test_card(image, imagelab.OUT, tmp_path_factory.mktemp("card"),
                           imagelab.config(), "build it with `make image`, as root, with "
                           "Debian's archive")
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
