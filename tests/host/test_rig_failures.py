"""The rig must turn every way a guest run can go wrong into a failed outer run (docs/reference/emulator.md#how-the-rig-boots):
a guest test that fails, a guest that hangs, a guest that cannot boot, a missing prerequisite,
and a run in which no guest test ran at all. Each case runs pytest in a subprocess, as CI would,
with the emulator tests required."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support import need

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "vm"))
import rig  # noqa: E402

SELFTEST = "tests/vm/selftest/test_broken.py"


def outer(*args, **env) -> subprocess.CompletedProcess:
    full = dict(os.environ, LVSLITE_REQUIRE_VM="1", LVSLITE_RIG_SELFTEST="1",
                LVSLITE_VM_OUT=str(rig.CACHE / "run-selftest"))
    full.update(env)
    full.pop("PYTEST_CURRENT_TEST", None)
    cmd = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rfEs",
           "-o", "addopts=", *args]
    return subprocess.run(cmd, cwd=REPO, env=full, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def ready():
    try:
        rig.check_ready()
    except rig.RigError as exc:
        need(False, str(exc))


def test_failing_guest_test_fails_the_run(ready):
    run = outer(f"{SELFTEST}::test_passes_in_guest", f"{SELFTEST}::test_fails_in_guest")
    assert run.returncode == 1, run.stdout
    assert "1 failed, 1 passed" in run.stdout, run.stdout
    assert "[in the guest]" in run.stdout and "not-the-guest" in run.stdout


def test_hung_guest_is_killed_and_reported(ready):
    run = outer(f"{SELFTEST}::test_hangs_in_guest", LVSLITE_RIG_SELFTEST_HANG="1",
                LVSLITE_VM_TIMEOUT="45")
    assert run.returncode == 1, run.stdout
    assert "guest hung: killed after" in run.stdout, run.stdout
    assert "last lines:" in run.stdout  # the console log is shown


def test_unbootable_guest_fails_the_run(ready):
    run = outer(f"{SELFTEST}::test_passes_in_guest", LVSLITE_VM_APPEND="rdinit=/nonexistent")
    assert run.returncode == 1, run.stdout
    assert "guest did not finish its command" in run.stdout, run.stdout
    assert "Kernel panic" in run.stdout


def test_missing_prerequisite_fails_when_required(tmp_path):
    run = outer(f"{SELFTEST}::test_passes_in_guest", LVSLITE_VM_CACHE=str(tmp_path))
    assert run.returncode == 1, run.stdout
    assert "emulator prerequisite missing (required here)" in run.stdout, run.stdout


def test_missing_prerequisite_skips_when_not_required(tmp_path):
    run = outer(f"{SELFTEST}::test_passes_in_guest", LVSLITE_VM_CACHE=str(tmp_path),
                LVSLITE_REQUIRE_VM="0", CI="")
    assert run.returncode == 0, run.stdout
    assert "1 skipped" in run.stdout and "emulator not available" in run.stdout


def test_no_guest_test_at_all_fails_when_required():
    run = outer("tests/unit/test_cli.py")
    assert run.returncode == 1, run.stdout
    assert "no test ran inside the emulator guest" in run.stdout
