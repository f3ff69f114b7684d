"""What `lvslite wear` must refuse or say plainly, found by an adversarial tester: a sample
log with NaN, infinite, repeated or impossible timestamps, negative or impossible counters,
unbounded options, a missing --out folder, and writers named from all-device totals."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lvslite.wear import diskstats as ds
from lvslite.wear import writers as w

ROOT = Path(__file__).resolve().parents[3]
LINE = "   8       0 sda 100 0 2000 0 {w} 0 {s} 0 0 0 0\n"


def run_cli(*args):
    e = dict(os.environ, TZ="UTC", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "lvslite", "wear", *args],
                          capture_output=True, text=True, env=e, cwd=str(ROOT), timeout=30)


def log(*blocks):
    return "".join(f"@ {t}\n" + LINE.format(w=n, s=s) for t, n, s in blocks)


def refused(tmp_path, text, *words):
    p = tmp_path / "w.log"
    p.write_text(text)
    with pytest.raises(ds.WearLogError) as info:
        ds.parse_log(text, str(p))
    for word in words:
        assert word in str(info.value), info.value
    proc = run_cli("report", str(p), "--capacity", "128M")
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert proc.stderr.startswith("lvslite: error: ") and "Traceback" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1, proc.stderr
    return str(info.value)


@pytest.mark.parametrize("stamp", ["nan", "NaN", "inf", "-inf", "1e308", "-5", "1e20"])
def test_impossible_timestamps_are_refused(tmp_path, stamp):
    refused(tmp_path, log((1000, 50, 1000), (stamp, 60, 2000)), ":3:", "timestamp")


def test_two_samples_at_the_same_time_are_refused_not_called_no_writes(tmp_path):
    msg = refused(tmp_path, log((1000, 50, 1000), (1000, 60, 2000)), ":3:", "same time")
    assert "1000.000" in msg


@pytest.mark.parametrize("field", ["-1000", "-0", "18446744073709551616", "1.5", "0x10"])
def test_negative_or_impossible_counters_are_refused(tmp_path, field):
    text = "@ 1000\n" + LINE.format(w=50, s=1000) + "@ 1060\n" + LINE.format(w=60, s=field)
    refused(tmp_path, text, ":4:", "counter")


def test_a_counter_reset_is_reported_with_the_time_it_dropped(tmp_path):
    text = log((1000, 50, 1000), (1060, 60, 2000), (1120, 5, 100), (1180, 6, 300))
    p = tmp_path / "w.log"
    p.write_text(text)
    proc = run_cli("report", str(p), "--capacity", "128M")
    assert proc.returncode == 0, proc.stderr
    assert "1 counter reset(s)" in proc.stdout and "60.0 s not counted" in proc.stdout
    assert "reboot or the device re-created" in proc.stdout
    doc = json.loads(run_cli("report", str(p), "--capacity", "128M", "--json").stdout)
    dev, = doc["devices"]
    assert dev["resets"] == 1 and dev["dropped_s"] == 60.0 and dev["window_s"] == 120.0
    assert dev["sectors_written"] == 1000 + 200


@pytest.mark.parametrize("args", [
    ["sample", "--interval", "nan"], ["sample", "--interval", "inf"],
    ["sample", "--interval", "1e308"], ["sample", "--interval", "0.001"],
    ["sample", "--max-bytes", "inf"], ["sample", "--max-bytes", "1e308"],
    ["sample", "--max-bytes", "100Ti"], ["sample", "--count", "1e308"],
    ["watch", "--device", "x", "--interval", "nan"], ["watch", "--device", "x", "--duration", "inf"],
    ["watch", "--device", "x", "--duration", "1e308"],
    ["watch", "--device", "x", "--interval", "0.1", "--duration", "86400"],
    ["report", "--endurance", "1e308"], ["report", "--endurance", "nan"],
    ["report", "--capacity", "inf"], ["report", "--capacity", "1e308"],
    ["report", "--waf", "1e308"], ["report", "--hot-interval", "1e308"],
    ["report", "--free-fraction", "nan"], ["report", "--temp", "nan"],
])
def test_every_option_is_finite_and_bounded(args, tmp_path):
    proc = run_cli(*args)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and args[-2] in proc.stderr, proc.stderr


def test_sample_refuses_a_missing_out_folder(tmp_path):
    src = tmp_path / "diskstats"
    src.write_text(LINE.format(w=1, s=8))
    out = tmp_path / "no" / "such" / "wear.log"
    proc = run_cli("sample", "--count", "1", "--source", str(src), "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    assert "no such folder" in proc.stderr and str(out.parent) in proc.stderr
    assert not (tmp_path / "no").exists()


def test_writers_are_attributed_to_the_devices_they_have_files_open_on():
    a0 = w.Proc(10, 1, "syslogd", 1000, ((8, 1),))
    a1 = w.Proc(10, 1, "syslogd", 9000, ((8, 1),))
    b0 = w.Proc(20, 5, "make", 0, ((253, 0),))
    b1 = w.Proc(20, 5, "make", 10 ** 9, ((253, 0),))     # a build on another disk
    snaps = [w.ProcSnapshot(0, {(10, 1): a0, (20, 5): b0}),
             w.ProcSnapshot(60, {(10, 1): a1, (20, 5): b1})]
    card = w.top_writers(snaps, devices={(8, 0), (8, 1)})
    assert [(x.name, x.write_bytes) for x in card] == [("syslogd", 8000)]
    assert [x.name for x in w.top_writers(snaps, devices={(253, 0)})] == ["make"]
    assert [x.name for x in w.top_writers(snaps)] == ["make", "syslogd"]


def test_side_log_keeps_the_devices():
    procs = {(7, 3): w.Proc(7, 3, "name with spaces", 4096, ((8, 1), (7, 0)))}
    back = w.parse_snapshots(w.format_snapshot(1.5, procs))
    assert back[0].procs[(7, 3)] == procs[(7, 3)]
    old = w.parse_snapshots("@ 1.5\n7 3 4096 old name\n")     # a log from before: no devices
    assert old[0].procs[(7, 3)].name == "old name" and old[0].procs[(7, 3)].devices is None


def test_the_report_says_what_the_writer_figures_are(tmp_path):
    p = tmp_path / "w.log"
    p.write_text(log((1000, 50, 1000), (1060, 60, 2000)))
    (tmp_path / "w.log.procs").write_text(
        "@ 1000\n10 1 1000 8:0 syslogd\n20 5 0 253:0 make\n"
        "@ 1060\n10 1 9000 8:0 syslogd\n20 5 1000000000 253:0 make\n")
    proc = run_cli("report", str(p), "--capacity", "128M")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "syslogd" in out and "make" not in out, out
    assert "with files open on sda" in out and "all devices" in out
