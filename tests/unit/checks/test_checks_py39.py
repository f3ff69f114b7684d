"""The checks run on Python 3.9 with the standard library alone, and import only what the
configured check types need: no `ssl` without an https check, never `subprocess`, and neither
`dataclasses` nor `typing`. (The full
suite also passes under 3.9; this keeps a 3.9 run in every test session.)"""
import json
import subprocess
import sys

import pytest

from support import need, python39

from checks_util import ROOT


# Runs one check of each cheap type against a listener it opens itself, then reports which
# heavy modules got imported. argv: the check types to add.
SCRIPT = r"""
import json, socket, sys
sys.path.insert(0, %(root)r)
from lvslite.checks.engine import Engine
from lvslite.checks.spec import CheckSpec, Target
lsn = socket.socket(); lsn.bind(("127.0.0.1", 0)); lsn.listen(8)
t = Target("127.0.0.1", lsn.getsockname()[1])
specs = {"connect": CheckSpec(),
         "http": CheckSpec(type="negotiate", service="http", timeout=0.3),
         "https": CheckSpec(type="negotiate", service="https", timeout=0.3),
         "tcp": CheckSpec(type="negotiate", service="tcp", request="x", receive="y",
                          timeout=0.3),
         "external": CheckSpec(type="external", command=("true",)),
         "none": CheckSpec(type="none")}
e = Engine()
for name in sys.argv[1:]:
    e.add(name, t, specs[name])
got = {}
while len(got) < len(sys.argv) - 1:
    for k, r in e.step(1.0):
        got[k] = [r.ok, r.reason]
e.close()
print(json.dumps({"results": got, **{m: m in sys.modules for m in
                                     ("ssl", "subprocess", "dataclasses", "typing")}}))
"""


def run(exe, *types):
    p = subprocess.run([exe, "-I", "-S", "-c", SCRIPT % {"root": str(ROOT)}, *types],
                       capture_output=True, text=True, cwd="/", timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("which", ["isolated", "python3.9"])
def test_every_cheap_type_runs_on_the_standard_library_alone(which):
    exe = sys.executable if which == "isolated" else python39()
    need(exe is not None, "no python3.9 on this machine (tests/unit/test_py39.py still checks "
                          "the 3.9 grammar)")
    out = run(exe, "connect", "http", "tcp", "external", "none")
    assert out["results"] == {
        "connect": [True, "connected"],
        "http": [False, "timeout after 0.3s (waiting for the reply)"],
        "tcp": [False, "timeout after 0.3s (waiting for the reply)"],
        "external": [True, "exit 0"],
        "none": [True, "not checked (type none)"]}
    assert out["ssl"] is False and out["subprocess"] is False
    # what every daemon would carry for nothing (over a megabyte of RSS together)
    assert out["dataclasses"] is False and out["typing"] is False
    out = run(exe, "https")   # ssl is imported only for https
    assert out["results"] == {"https": [False, "timeout after 0.3s (TLS handshake)"]}
    assert out["ssl"] is True
