"""Fixtures for tests that run inside the emulator guest (see tests/conftest.py and rig.py)."""
import os

import pytest

from lab import new_lab, sh


@pytest.fixture
def lab():
    """A fresh client/director/two-real network; the director's IPVS table starts empty."""
    if os.environ.get("LVSLITE_IN_GUEST") != "1":
        pytest.fail("the lab fixture only runs inside the emulator guest")
    lab = new_lab()
    try:
        yield lab
    finally:
        lab.destroy()


@pytest.fixture(scope="session", autouse=True)
def guest_kernel():
    """Say which kernel the guest tests ran on (shows in the outer run's output)."""
    print(f"guest kernel: {sh('uname -r').strip()}")
