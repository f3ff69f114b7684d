"""`lvslite check`: exit codes, output, the default path; and that it writes nothing anywhere
and loads nothing but the config layer (asserted from inside a fresh interpreter)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config_corpus import BAD_DIR, GOOD_DIR
from lvslite.config import jsonload

REPO = Path(__file__).resolve().parents[3]
ENV = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
ENV.pop("LVSLITE_CONFIG", None)


def lvslite(*args, env=None, stdin=None):
    return subprocess.run([sys.executable, "-m", "lvslite", *args], capture_output=True,
                          text=True, cwd=REPO, env=env or ENV, input=stdin)


def test_ok_prints_one_summary_line_and_exits_0():
    path = str(GOOD_DIR / "seed-ldirectord.json")
    proc = lvslite("check", "-c", path)
    assert (proc.returncode, proc.stderr) == (0, "")
    assert proc.stdout == f"config OK: 2 services, 4 reals ({path})\n"


def test_invalid_exits_1_one_line_per_problem():
    proc = lvslite("check", "--config", str(BAD_DIR / "scheduler-unknown.json"))
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr.splitlines() == [
        'lvslite: error: services[0].scheduler: unknown scheduler "wrrr" (did you mean "wrr"? '
        'expected one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh)',
        'lvslite: error: services[1].scheduler: unknown scheduler "WLC" (did you mean "wlc"? '
        'expected one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh)']


def test_config_from_environment_then_default(tmp_path):
    good = str(GOOD_DIR / "empty-services.json")
    proc = lvslite("check", env=dict(ENV, LVSLITE_CONFIG=good))
    assert proc.returncode == 0 and good in proc.stdout
    proc = lvslite("check", "-c", str(tmp_path / "none.json"), env=dict(ENV, LVSLITE_CONFIG=good))
    assert proc.returncode == 1 and "none.json: cannot read the config" in proc.stderr
    proc = lvslite("check")
    assert "/etc/lvslite.json" in proc.stdout + proc.stderr


def test_standard_input():
    proc = lvslite("check", "-c", "-", stdin='{"services": [{"virtual": "fwmark:1"}]}')
    assert proc.returncode == 0 and "1 service, 0 reals" in proc.stdout
    proc = lvslite("check", "-c", "-", stdin='{"services": [')
    assert proc.returncode == 1 and proc.stderr.startswith("lvslite: error: <stdin>:1:15:")


def test_usage_error_exits_2():
    assert lvslite("check", "--frobnicate").returncode == 2


# What `check` may load: the CLI, this command, the config package and the model. Anything
# else of lvslite (lvslite.ipvs*, reconcile, backends, daemon, wear's modules) is a failure,
# and so are the FORBIDDEN modules, which only the kernel path, the daemon or `wear` need.
# lvslite.wear (the package's __init__, which imports nothing) is loaded by lvslite/cli.py's
# command discovery: find_spec("lvslite.wear.cli") imports the parent package.
ALLOWED_LVSLITE = {"lvslite", "lvslite.cli", "lvslite.__main__", "lvslite.cmd", "lvslite.wear",
                   "lvslite.cmd.check", "lvslite.model", "lvslite.config",
                   "lvslite.config.addr", "lvslite.config.checks", "lvslite.config.errors",
                   "lvslite.config.fields", "lvslite.config.jsonload",
                   "lvslite.config.validate", "lvslite.checks", "lvslite.checks.spec",
                   "lvslite.files"}
FORBIDDEN = {"socket", "select", "selectors", "subprocess", "ctypes", "psutil", "logging",
             "signal", "struct"}
if not jsonload.PREFER_UJSON:  # off by design (see jsonload.py): then nothing loads ujson
    FORBIDDEN |= {"ujson", "decimal"}

# Runs `lvslite check` in this interpreter with an audit hook recording every open for
# writing and every call that changes the filesystem, then reports them with sys.modules.
PROBE = r"""
import json, os, sys
BLOCK_UJSON = sys.argv[1] == "block-ujson"
if BLOCK_UJSON:
    sys.modules["ujson"] = None          # import ujson -> ImportError
baseline = set(sys.modules)
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
MUTATE = ("os.mkdir", "os.rename", "os.remove", "os.rmdir", "os.symlink", "os.link",
          "os.truncate", "os.chmod", "os.chown", "os.utime", "os.chdir", "shutil.",
          "os.putenv", "os.unsetenv", "socket.", "subprocess.", "os.system", "os.exec",
          "os.fork", "os.posix_spawn", "os.kill", "ctypes.")
writes = []
def hook(event, args):
    if event == "open":
        mode, flags = args[1], args[2]
        if (isinstance(mode, str) and any(c in mode for c in "wax+")) or \
                (isinstance(flags, int) and flags & WRITE_FLAGS):
            writes.append([event, str(args[0]), str(mode), flags])
    elif event.startswith(MUTATE):
        writes.append([event, repr(args)[:200]])
sys.addaudithook(hook)
import io, contextlib
out, err = io.StringIO(), io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
    from lvslite.cli import main
    rc = main(["check", "-c", sys.argv[2]])
loaded = sorted(set(sys.modules) - baseline)
sys.__stdout__.write(json.dumps({"rc": rc, "out": out.getvalue(), "err": err.getvalue(),
                                 "writes": writes, "loaded": loaded}))
"""


def probe(path, block_ujson=False):
    proc = subprocess.run([sys.executable, "-c", PROBE, "block-ujson" if block_ujson else "-",
                           str(path)], capture_output=True, text=True, cwd=REPO, env=ENV)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("path", [GOOD_DIR / "mixed.json", BAD_DIR / "many-errors.json",
                                  BAD_DIR / "syntax-trailing-comma.json",
                                  BAD_DIR / "not-utf8-latin1.json"], ids=lambda p: p.name)
def test_check_writes_nothing_and_loads_only_the_config_layer(path):
    got = probe(path)
    assert got["rc"] == (0 if path.parent == GOOD_DIR else 1)
    assert got["writes"] == []
    lvs = {m for m in got["loaded"] if m == "lvslite" or m.startswith("lvslite.")}
    assert lvs <= ALLOWED_LVSLITE, lvs - ALLOWED_LVSLITE
    assert "lvslite.config.validate" in lvs           # the probe did run the check
    assert not FORBIDDEN & set(got["loaded"]), FORBIDDEN & set(got["loaded"])
    # same output when ujson cannot be imported at all: no path depends on it
    assert probe(path, block_ujson=True) == got


def test_probe_would_see_a_write(tmp_path):
    """The probe's hook is not blind: a config layer that wrote would be caught."""
    script = PROBE.replace('rc = main(["check", "-c", sys.argv[2]])',
                           'rc = main(["check", "-c", sys.argv[2]]); '
                           f'open({str(tmp_path / "x")!r}, "w").close(); '
                           'import socket')
    proc = subprocess.run([sys.executable, "-c", script, "-", str(GOOD_DIR / "mixed.json")],
                          capture_output=True, text=True, cwd=REPO, env=ENV)
    got = json.loads(proc.stdout)
    assert got["writes"] and "socket" in got["loaded"]
