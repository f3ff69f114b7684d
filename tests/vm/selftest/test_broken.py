import os
import time


def test_passes_in_guest():
    assert os.environ.get("LVSLITE_IN_GUEST") == "1"


def test_fails_in_guest():
    assert open("/proc/sys/kernel/hostname").read().strip() == "not-the-guest"


def test_hangs_in_guest():
    if os.environ.get("LVSLITE_RIG_SELFTEST_HANG") == "1":
        time.sleep(100000)
