"""lvslite wear must run on Python 3.9 with the standard library alone (docs/design.md#rules).

Static: tests/unit/test_py39.py (the 3.9 grammar, for every lvslite module).
Runtime: the report runs in an isolated interpreter without
site-packages (no psutil), and under a real python3.9 when this machine has one.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from support import need, python39

ROOT = Path(__file__).resolve().parents[3]
FIX = ROOT / "tests" / "fixtures" / "wear"

# Neither psutil (optional) nor dataclasses or typing (over a megabyte of RSS on the box).
RUN = ("import sys; sys.path.insert(0, %r); from lvslite.cli import main; "
       "rc = main(['wear', 'report', %r, '--json', '--card', 'slc', '--capacity', '1G']); "
       "heavy = {'psutil', 'dataclasses', 'typing'} & set(sys.modules); "
       "assert not heavy, heavy; sys.exit(rc)")


@pytest.mark.parametrize("which", ["isolated", "python3.9"])
def test_report_runs_on_the_standard_library_alone(which):
    exe = sys.executable if which == "isolated" else python39()
    need(exe is not None, "no python3.9 on this machine (tests/unit/test_py39.py still checks "
                          "the 3.9 grammar)")
    p = subprocess.run([exe, "-I", "-S", "-c", RUN % (str(ROOT), str(FIX / "reboot.log"))],
                       capture_output=True, text=True, cwd="/")
    assert p.returncode == 0, p.stderr
    devs = {d["device"]: d for d in json.loads(p.stdout)["devices"]}
    assert devs["hda"]["sectors_written"] == 1200
