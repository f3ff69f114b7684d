"""`lvslite wear` end to end without root: sampling a fake counter file, bounded logs,
report/watch output and the error contract (exit 1, one line, no traceback)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lvslite.cli import main
from lvslite.wear import diskstats as ds
from lvslite.wear import sample

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "wear"
ROOT = Path(__file__).resolve().parents[3]
LINE = "   8       0 sdq 10 0 80 5 {w} 0 {s} 9 0 12 14\n"


def test_sample_appends_blocks_in_the_fixed_format(tmp_path):
    src = tmp_path / "diskstats"
    src.write_text(LINE.format(w=1, s=8))
    out = tmp_path / "run" / "wear.log"
    out.parent.mkdir()
    assert main(["wear", "sample", "--interval", "0.1", "--count", "3", "--source", str(src),
                 "--out", str(out)]) == 0
    text = out.read_text()
    assert text.count("@ ") == 3 and text.startswith("@ ")
    assert text.count(LINE.format(w=1, s=8)) == 3          # verbatim
    assert len(ds.parse_log(text)) == 3


def test_log_is_bounded_and_keeps_the_newest_whole_blocks(tmp_path):
    out = tmp_path / "w.log"
    for i in range(200):
        sample.append(str(out), ds.format_block(float(i), LINE.format(w=i, s=i * 8)), 2000)
        assert out.stat().st_size <= 2000
    snaps = ds.parse_log(out.read_text())
    assert snaps[-1].t == 199.0 and len(snaps) >= 10
    assert [s.t for s in snaps] == sorted(s.t for s in snaps)
    assert out.read_text().startswith("@ ")


def test_ticks_do_not_drift():
    now = [0.0]
    slept = []

    def sleep(d):
        slept.append(d)
        now[0] += d + 0.3              # every wake-up is late

    ks = list(sample.ticks(1.0, 4, clock=lambda: now[0], sleep=sleep))
    assert ks == [0, 1, 2, 3]
    assert now[0] == pytest.approx(3.3)   # lateness does not accumulate


def test_ram_warning_names_the_device():
    mounts = "/dev/vda1 / ext4 rw 0 0\ntmpfs /run tmpfs rw 0 0\n"
    assert sample.mount_of("/run/lvslite/x", mounts)[1] == "tmpfs"
    assert sample.mount_of("/var/log/x", mounts) == ("/", "ext4", "/dev/vda1")
    assert sample.mount_of("/runx/y", mounts)[0] == "/"


def run_cli(*args, env=None):
    e = dict(os.environ, TZ="UTC", PYTHONPATH=str(ROOT))
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "lvslite", "wear", *args],
                          capture_output=True, text=True, env=e, cwd=str(ROOT))


@pytest.mark.parametrize("name, device, sectors", [
    ("diskstats-14.log", "hda", 300), ("diskstats-18.log", "sda", 2048),
    ("diskstats-20.log", "mmcblk0", 64), ("diskstats-26old.log", "hda1", 180),
    ("partitions-24.log", "hda", 540), ("wrap.log", "sda", 1296),
    ("reboot.log", "hdb", 130), ("appear.log", "sdb", 40), ("day.log", "hda", 14600),
])
def test_report_json_on_every_fixture(name, device, sectors):
    p = run_cli("report", str(FIX / name), "--device", device, "--json")
    assert p.returncode == 0, p.stderr
    dev, = json.loads(p.stdout)["devices"]
    assert dev["device"] == device
    assert dev["sectors_written"] == sectors and dev["bytes_written"] == sectors * 512


def test_report_human_on_the_2_4_log_reads_the_capacity_from_the_log():
    p = run_cli("report", str(FIX / "partitions-24.log"), "--hot-interval", "19.9")
    assert p.returncode == 0, p.stderr
    first = p.stdout.splitlines()[0]
    assert first == "hda: at 2.3 KB/s this 128 MB card without wear leveling lasts about 23 days"
    assert all(len(x) <= 80 for x in p.stdout.splitlines())


def test_report_with_static_leveling_and_explicit_capacity():
    p = run_cli("report", str(FIX / "diskstats-14.log"), "--device", "hda", "--card", "mlc",
                "--wear-leveling", "static", "--capacity", "1Gi", "--waf", "4", "--json")
    lt = json.loads(p.stdout)["devices"][0]["lifetime"]
    rate = 300 * 512 / 120
    assert lt["model"] == "static"
    assert lt["days"] == pytest.approx(1e4 * (1 << 30) / (rate * 4) / 86400)
    assert lt["days_low"] < lt["days"] < lt["days_high"]


@pytest.mark.parametrize("args, words", [
    (["report", "/nonexistent/wear.log"], "no such sample log"),
    (["report", str(FIX / "partitions-24-nostats.log")], "no write counters"),
    (["report", str(FIX / "wrap.log"), "--device", "sdz"], "no device 'sdz'"),
    (["watch", "--device", "sdz", "--duration", "1", "--source", str(FIX / "wrap.log")],
     "no device 'sdz'"),
])
def test_bad_input_is_one_error_line_and_exit_1(args, words):
    p = run_cli(*args)
    assert p.returncode == 1
    assert p.stderr.startswith("lvslite: error: ") and words in p.stderr
    assert "Traceback" not in p.stderr


def test_a_garbled_log_names_the_line(tmp_path):
    bad = tmp_path / "bad.log"
    bad.write_text("@ 1\n   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n@ 2\n   8 0 sda 1 2 x\n")
    p = run_cli("report", str(bad))
    assert p.returncode == 1 and f"{bad}:4:" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize("args", [["watch"], ["sample", "--interval", "0"],
                                  ["report", "--endurance", "-3"], ["report", "--card", "x"],
                                  ["report", str(FIX / "wrap.log"), "--waf", "0.5"],
                                  ["report", str(FIX / "wrap.log"), "--temp", "900"]])
def test_usage_errors_exit_2(args):
    assert run_cli(*args).returncode == 2


def test_watch_on_a_quiet_source(tmp_path):
    src = tmp_path / "diskstats"
    src.write_text(LINE.format(w=1, s=8))
    p = run_cli("watch", "--device", "sdq", "--interval", "0.1", "--duration", "0.3",
                "--source", str(src), "--capacity", "128M")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == "sdq: no writes: not limited by wear"
    assert p.stderr == ""                                  # no progress without a TTY


def test_sample_warns_when_the_log_is_not_on_tmpfs(tmp_path):
    src = tmp_path / "diskstats"
    src.write_text(LINE.format(w=1, s=8))
    p = run_cli("sample", "--interval", "0.1", "--count", "1", "--source", str(src),
                "--out", str(tmp_path / "w.log"))
    assert p.returncode == 0
    fs = sample.mount_of(str(tmp_path), Path("/proc/mounts").read_text())[1]
    assert ("put the log on tmpfs" in p.stderr) == (fs not in sample.RAM_FILESYSTEMS)


def test_wear_imports_nothing_heavy():
    code = ("import sys; from lvslite.cli import main; "
            "main(['wear', 'report', %r, '--json']); "
            "bad = {'psutil', 'ujson', 'lvslite.ipvs'} & set(sys.modules); "
            "sys.exit(1 if bad else 0)") % str(FIX / "wrap.log")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       cwd=str(ROOT))
    assert p.returncode == 0, p.stderr


def test_watch_shows_progress_on_a_tty_and_clears_it(tmp_path):
    import pty
    src = tmp_path / "diskstats"
    src.write_text(LINE.format(w=1, s=8))
    master, slave = pty.openpty()
    try:
        p = subprocess.run([sys.executable, "-m", "lvslite", "wear", "watch", "--device", "sdq",
                            "--interval", "0.1", "--duration", "0.3", "--source", str(src)],
                           stdout=subprocess.PIPE, stderr=slave, text=True, cwd=str(ROOT),
                           env=dict(os.environ, PYTHONPATH=str(ROOT)))
        os.close(slave)
        slave = None
        seen = b""
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0
    assert b"watching sdq: " in seen and seen.endswith(b"\r")
    assert all(len(x) <= 80 for x in seen.decode().split("\r"))
    assert p.stdout.startswith("sdq: no writes")
