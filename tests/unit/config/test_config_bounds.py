"""The bounds of the config that an adversarial tester found open: check timing, leading zeros
in ports, `-c ""`. Every bound is tried on both sides of its edge, from the constants the
validator uses (lvslite/checks/spec.py), so moving a bound moves the test with it."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lvslite.checks import spec
from lvslite.config import ConfigError, parse

REPO = Path(__file__).resolve().parents[3]


def config(check=None, virtual="10.0.0.100:80", real="10.0.0.10:80"):
    svc = {"virtual": virtual, "reals": [real]}
    if check is not None:
        svc["check"] = check
    return json.dumps({"services": [svc]})


def problems(text):
    with pytest.raises(ConfigError) as info:
        parse(text)
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize("key,low", [("interval", spec.MIN_INTERVAL),
                                     ("timeout", spec.MIN_TIMEOUT)])
def test_check_timing_has_a_floor(key, low):
    ok = parse(config({key: low})).services[0].check
    assert getattr(ok, key) == low
    for bad in (1e-9, low * 0.999, 0, -1):
        got = problems(config({key: bad}))
        assert len(got) == 1 and f"check.{key}:" in got[0] and "out of range" in got[0], got
        assert f"a number {low:g}..{spec.MAX_SECONDS:g} seconds" in got[0], got
    top = parse(config({key: spec.MAX_SECONDS})).services[0].check
    assert getattr(top, key) == spec.MAX_SECONDS
    assert problems(config({key: spec.MAX_SECONDS + 1}))


@pytest.mark.parametrize("key", ["rise", "fall"])
def test_rise_and_fall_keep_their_bounds(key):
    assert getattr(parse(config({key: spec.MAX_COUNT})).services[0].check, key) == \
        spec.MAX_COUNT
    assert problems(config({key: spec.MAX_COUNT + 1}))
    assert problems(config({key: 0}))


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "1e400", "1e308"])
def test_non_finite_and_huge_numbers_are_refused_everywhere(value):
    for key in ("interval", "timeout", "rise", "fall", "port"):
        text = '{"services": [{"virtual": "10.0.0.100:80", "check": {"%s": %s}}]}' % (key, value)
        got = problems(text)
        assert len(got) == 1 and f"check.{key}" in got[0], got
    for key in ("persistent", "depool_threshold"):
        text = '{"services": [{"virtual": "10.0.0.100:80", "%s": %s}]}' % (key, value)
        assert len(problems(text)) == 1
    text = '{"services": [{"virtual": "10.0.0.100:80", "reals": [{"address": ' \
           '"10.0.0.10:80", "weight": %s}]}]}' % value
    assert len(problems(text)) == 1


@pytest.mark.parametrize("virtual", ["10.0.0.100:080", "10.0.0.100:0080", "[2001:db8::1]:080"])
def test_ports_with_a_leading_zero_are_refused_like_octets(virtual):
    got = problems(config(virtual=virtual, real="10.0.0.10:80" if "[" not in virtual
                          else "[2001:db8::10]:80"))
    assert any("leading zero" in g for g in got), got
    assert problems(config(real="10.0.0.10:080"))


def test_fwmark_with_a_leading_zero_is_refused():
    got = problems(config(virtual="fwmark:01", real="10.0.0.10"))
    assert "leading zero" in got[0], got
    assert parse(config(virtual="fwmark:1", real="10.0.0.10:0")).services


def _cli(*args, env=None):
    e = dict(os.environ, PYTHONPATH=str(REPO))
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "lvslite", *args], capture_output=True,
                          text=True, env=e, timeout=30, cwd=REPO)


def test_empty_config_option_is_a_usage_error_not_the_default(tmp_path):
    good = tmp_path / "good.json"
    good.write_text('{"services": []}')
    p = _cli("check", "-c", "", env={"LVSLITE_CONFIG": str(good)})
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    assert "-c" in p.stderr and "empty" in p.stderr and "Traceback" not in p.stderr
    assert _cli("check", "-c", str(good)).returncode == 0
