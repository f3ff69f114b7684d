"""lvslite wear must run on Python 3.9 with the standard library alone (issue 5).

Static: every module parses with the 3.9 grammar and defers annotations (so `X | None` in a
signature is never evaluated). Runtime: the report runs in an isolated interpreter without
site-packages (no psutil), and under a real python3.9 when this machine has one.
"""
import ast
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FIX = ROOT / "tests" / "fixtures" / "wear"
MODULES = sorted((ROOT / "lvslite" / "wear").glob("*.py"))

RUN = ("import sys; sys.path.insert(0, %r); from lvslite.cli import main; "
       "rc = main(['wear', 'report', %r, '--json', '--card', 'slc', '--capacity', '1G']); "
       "assert 'psutil' not in sys.modules; sys.exit(rc)")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_parses_with_the_3_9_grammar_and_defers_annotations(path):
    src = path.read_text()
    tree = ast.parse(src, feature_version=(3, 9))
    assert not any(type(n).__name__.startswith("Match") for n in ast.walk(tree))
    if path.name != "__init__.py":
        assert "from __future__ import annotations" in src


def python39():
    """A working 3.9 interpreter (a pyenv shim on PATH may exist without one)."""
    candidates = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.9*/bin/python3.9")))
    candidates += [shutil.which("python3.9")] if shutil.which("python3.9") else []
    for exe in candidates:
        p = subprocess.run([exe, "-c", "import sys; assert sys.version_info[:2] == (3, 9)"],
                           capture_output=True)
        if p.returncode == 0:
            return exe
    return None


@pytest.mark.parametrize("which", ["isolated", "python3.9"])
def test_report_runs_on_the_standard_library_alone(which):
    exe = sys.executable if which == "isolated" else python39()
    if exe is None:
        pytest.skip("no python3.9 on this machine (the static check above still ran)")
    p = subprocess.run([exe, "-I", "-S", "-c", RUN % (str(ROOT), str(FIX / "reboot.log"))],
                       capture_output=True, text=True, cwd="/")
    assert p.returncode == 0, p.stderr
    devs = {d["device"]: d for d in json.loads(p.stdout)["devices"]}
    assert devs["hda"]["sectors_written"] == 1200
