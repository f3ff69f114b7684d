"""Every number the bench takes on its command line is finite and bounded: NaN, infinities,
1e308 and the largest value each flag allows (alone, or all at once) end in exit 1 or a
result, never a traceback or a hang. The flags are found from the parsers, so a new numeric
flag is tested without being listed here."""
import argparse
import importlib
import io
from contextlib import redirect_stderr, redirect_stdout

import pytest

from bench.cli import COMMANDS, main
from bench.cmd.common import LIMITS, MAX_LIST

# What a command needs to run at all; the flag under test is appended (argparse: last wins).
BASE = {"size": ["--rps", "300"], "memory": ["--rate", "2000", "--hold", "60"],
        "livelock": ["--ci", "10", "--cp", "30"], "flash": ["--rate", "2300", "--capacity",
                                                          "128MB"],
        "ha": ["--mttf-hours", "50000", "--mttr-hours", "24", "--beta", "0.1"],
        "seed": [], "boxes": []}
NOT_NUMBERS = {"--box", "--plot", "--boxes", "--card", "--kernel", "--arch", "--mode",
               "--wear-leveling", "--capacity", "--rates"}


def numeric_flags():
    out = []
    for cmd in COMMANDS:
        p = argparse.ArgumentParser()
        importlib.import_module(f"bench.cmd.{cmd}").add_arguments(p)
        for a in p._actions:
            flag = a.option_strings[-1] if a.option_strings else ""
            if flag.startswith("--") and a.metavar and flag not in NOT_NUMBERS:
                out.append((cmd, flag))
    return out


FLAGS = numeric_flags()


def run(argv):
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


def test_every_numeric_flag_has_a_limit():
    assert len(FLAGS) >= 25
    missing = sorted({flag for _, flag in FLAGS} - set(LIMITS))
    assert not missing, f"no entry in bench.cmd.common.LIMITS for {missing}"


@pytest.mark.parametrize("cmd,flag", FLAGS, ids=[f"{c}{f}" for c, f in FLAGS])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e308", "-1e308", "1e-308"])
def test_non_finite_and_huge_values_are_refused(cmd, flag, value):
    extra = ["--sweep"] if flag in ("--from", "--to", "--points") else []
    rc, out, err = run([cmd, *BASE[cmd], *extra, f"{flag}={value}"])
    if value == "1e-308":                  # tiny but in range for some flags: a result
        assert rc in (0, 1), (rc, err)
    else:
        assert rc == 1 and flag in err, (rc, out[-300:], err)


@pytest.mark.parametrize("cmd", [c for c in COMMANDS if any(c == k for k, _ in FLAGS)])
@pytest.mark.parametrize("edge", [0, 1])
def test_every_flag_at_its_limits_at_once_gives_a_result(cmd, edge):
    argv = [cmd, *BASE[cmd]]
    for c, flag in FLAGS:
        if c == cmd and flag not in ("--from", "--to", "--points"):
            argv.append(f"{flag}={LIMITS[flag][edge]!r}")
    for json_out in ([], ["--json"]):
        rc, out, err = run(argv + json_out)
        assert rc in (0, 1), (rc, err)
        assert "Traceback" not in err
        if rc == 1:
            assert err.startswith("bench: error: ") and len(err.splitlines()) == 1, err


def test_sweep_points_are_bounded():
    lo, hi = LIMITS["--points"]
    rc, _, err = run(["size", "--sweep", f"--points={hi + 1}"])
    assert rc == 1 and "--points" in err
    rc, _, err = run(["size", "--sweep", f"--points={hi}", "--from=1", "--to=2"])
    assert rc == 0, err


def test_rates_list_is_finite_and_bounded():
    for bad in ("nan", "1e308", "1,inf", ",".join(["1000"] * (MAX_LIST + 1))):
        rc, _, err = run(["livelock", *BASE["livelock"], "--rates", bad])
        assert rc == 1 and "--rates" in err, (bad, err)


@pytest.mark.parametrize("text", ["9" * 400, "1e308", "nan", "inf", "99999TiB", "0"])
def test_flash_capacity_is_bounded(text):
    rc, _, err = run(["flash", "--rate", "2300", "--capacity", text])
    assert rc == 1 and "--capacity" in err, (rc, err)


@pytest.mark.parametrize("figure", ["NaN", "Infinity", "-Infinity", "1e308"])
def test_a_box_file_with_a_non_finite_or_huge_figure_is_refused(tmp_path, figure):
    box = ('{"boxes": [{"name": "x", "cpu": {"model": "m", "mhz": %s, "cores": 1, "arch": '
           '"i386", "cache_line": 16, "cycle_ratio": 1}, "ram_mb": 128, "nics": [{"chip": "c", '
           '"driver": "d", "napi": true, "mbps": 100, "irq": 1}]}]}') % figure
    path = tmp_path / "boxes.json"
    path.write_text(box)
    rc, _, err = run(["size", "--rps", "300", "--boxes", str(path)])
    assert rc == 1 and str(path) in err and figure.lstrip("-") in err.replace("1e+308", "1e308"), err
