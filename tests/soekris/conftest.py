"""Fixtures of the Soekris boot tests: each cross-route card (firmware/cross, `make image
BOARD=net4801|net4501`) booted once per session under the board's emulated CPU model.

net4801: qemu-system-i386 -accel tcg -cpu pentium -m 128; net4501: -cpu 486 -m 64 (the
board table's qemu_cpu and qemu_mb, copied into the card's manifest). The card is a copy of
out/image/<board>/lvslite-<board>.img with the lab's config on its /cfg partition; the serial
console of each boot goes to LVSLITE_IMAGE_OUT/<board>/console.log (default
.cache/image/run/). Helpers come from tests/image (guestvm.py, imagelab.py): the same console
driver and table comparison as the Debian flavour's tests.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "image"))
sys.path.insert(0, str(HERE))

import imagelab  # noqa: E402
import soekrislab  # noqa: E402

BOARDS = ("net4801", "net4501")


def pytest_terminal_summary(terminalreporter):
    if soekrislab.REPORT.lines:
        terminalreporter.write_sep("-", "Soekris firmware (cross route, qemu TCG, board CPU)")
        for line in soekrislab.REPORT.lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def report() -> imagelab.Report:
    return soekrislab.REPORT


@pytest.fixture(scope="session", params=BOARDS)
def card(request, tmp_path_factory) -> imagelab.Card:
    board = request.param
    image = soekrislab.image_dir(board) / f"lvslite-{board}.img"
    c = imagelab.test_card(image, soekrislab.out_dir(board),
                           tmp_path_factory.mktemp(f"card-{board}"), soekrislab.config(),
                           f"build it with `make image BOARD={board}`, as root")
    m = c.manifest
    soekrislab.REPORT.add(
        f"{board}: image {m['bytes'] / 2**20:.1f} MiB (squashfs {m['squashfs_bytes'] / 2**20:.1f}"
        f" MiB, kernel {m['kernel']} {m['kernel_bytes'] / 2**20:.2f} MiB), qemu -cpu "
        f"{m['qemu_cpu']} -m {m['qemu_mb']}")
    return c


@pytest.fixture(scope="session")
def guest(card):
    board = card.manifest["board"]
    g = imagelab.boot(card, f"{board}: boot", soekrislab.out_dir(board), soekrislab.REPORT)
    try:
        g.table_seconds = soekrislab.wait_services(g)
    except Exception:
        g.power_cut()
        raise
    yield g
    g.power_cut()


@pytest.fixture(scope="session")
def lab(guest):
    return soekrislab.build_lab(guest)
