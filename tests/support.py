"""Shared by every test folder: the one rule for prerequisites.

A missing prerequisite (root, a loop device, a tool) skips with its reason on a developer's
machine, and fails where the run must be complete (LVSLITE_REQUIRE_VM=1 or CI=true).
"""
import os

import pytest


def required() -> bool:
    return os.environ.get("LVSLITE_REQUIRE_VM") == "1" or os.environ.get("CI") == "true"


def need(ok: bool, reason: str) -> None:
    if ok:
        return
    if required():
        pytest.fail(f"prerequisite missing, and required here: {reason}")
    pytest.skip(reason)


def python39():
    """A working Python 3.9 interpreter (the agent's oldest), or None; a pyenv shim on PATH
    may exist without one, so each candidate is tried."""
    import glob
    import shutil
    import subprocess
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9")))
    if shutil.which("python3.9"):
        candidates.append(shutil.which("python3.9"))
    for exe in candidates:
        p = subprocess.run([exe, "-c", "import sys; assert sys.version_info[:2] == (3, 9)"],
                           capture_output=True)
        if p.returncode == 0:
            return exe
    return None


def tracked_files():
    """The repository's tracked files (relative path strings) that exist in the work tree;
    git is a prerequisite, so a missing one fails in CI instead of skipping the check."""
    import subprocess
    from pathlib import Path
    repo = Path(__file__).resolve().parents[1]
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=repo, capture_output=True,
                             check=True).stdout.decode()
    except (OSError, subprocess.CalledProcessError) as exc:
        need(False, f"not a git checkout, no list of tracked files ({exc})")
    return [p for p in out.split("\0") if p and (repo / p).is_file()]
