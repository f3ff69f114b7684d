"""`python -m bench`: the main job, JSON field names, and bad input (exit 1, no traceback)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def bench(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True,
                          text=True, cwd=cwd or REPO, env=env, timeout=60)


def test_main_job_sizes_every_box_and_writes_a_chart(tmp_path):
    proc = bench(cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for name in ("net4501", "net4801", "net5501", "wrap", "alix", "apu2", "generic-x86"):
        assert f"\n{name} " in out
    assert "300 req/s, 150 kB/s out, LVS-DR" in out
    assert "Seed figures" in out and "Swept 7 boxes x 1000 workloads" in out
    png = tmp_path / "out" / "bench" / "size.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"chart: {Path('out') / 'bench' / 'size.png'}" in out


def run_json(*args):
    proc = bench(*args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_size_json_fields():
    doc = run_json("size", "--all", "--rps", "300", "--kbps", "150", "--mode", "dr")
    assert isinstance(doc, list) and len(doc) == 7
    for row in doc:
        assert {"box", "verdict", "limiting", "cpu_utilization", "memory_bytes", "pps_in",
                "pps_out"} <= set(row)
        assert row["verdict"] in ("ok", "marginal", "insufficient")
    n48 = next(r for r in doc if r["box"] == "net4801")
    assert n48["verdict"] == "ok" and n48["limiting"]


def test_memory_json_fields():
    doc = run_json("memory", "--rate", "2000", "--hold", "60", "--entry-bytes", "128",
                   "--ram-mb", "128")
    assert {"entries", "templates", "bytes", "fits"} <= set(doc)
    assert doc["entries"] == 120000 and doc["fits"] is True
    doc = run_json("memory", "--rate", "25000", "--hold", "60", "--entry-bytes", "128",
                   "--ram-mb", "128")
    assert doc["fits"] is False


def test_livelock_json_fields():
    doc = run_json("livelock", "--ci", "10", "--cp", "30", "--rates", "50000")
    assert doc["mlfrr"] == pytest.approx(25000) and doc["livelock_onset"] == pytest.approx(1e5)
    assert doc["points"] == [pytest.approx({"rate": 50000, "irq": 16666.67, "napi": 25000},
                                           rel=1e-4)]
    shared = run_json("livelock", "--ci", "5.5", "--cp", "30", "--shared", "3",
                      "--check", "1.5", "--entry", "3")
    assert shared["mlfrr"] == pytest.approx(23256, abs=1)
    assert run_json("livelock", "--box", "net4801")["mlfrr"] > 0


def test_flash_json_fields():
    doc = run_json("flash", "--rate", "10240", "--endurance", "100000", "--capacity", "1GiB",
                   "--wear-leveling", "static", "--waf", "4")
    assert doc["years"] == pytest.approx(83.1, abs=0.05) and doc["days"] > 0


def test_ha_json_fields():
    doc = run_json("ha", "--mttf-hours", "1000", "--mttr-hours", "8", "--beta", "0.05",
                   "--repair-cost", "200", "--income-per-hour", "10")
    assert {"mttf_hours", "failure_rate_per_hour", "unavailability"} <= set(doc)
    assert doc["risk_cost_per_year"] > 0


def test_sweep_json_and_plot(tmp_path):
    png = tmp_path / "sweep.png"
    proc = bench("size", "--sweep", "--points", "50", "--plot", str(png), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert len(doc["rates"]) == 50 and len(doc["boxes"]) == 7
    assert "swept 7 boxes x 50 workloads" in proc.stderr
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("args, words", [
    (["size", "--rps", "-300"], "--rps"),
    (["size", "--box", "net9999", "--rps", "300"], "net9999"),
    (["memory", "--rate", "-1", "--hold", "60"], "--rate"),
    (["memory", "--rate", "1", "--hold", "1", "--kernel", "2.4", "--arch", "x86_64"],
     "2.4-x86_64"),
    (["livelock", "--ci", "-10", "--cp", "30"], "--ci"),
    (["livelock", "--ci", "10", "--cp", "30", "--shared", "3"], "--check"),
    (["flash", "--rate", "-5", "--capacity", "1GB"], "--rate"),
    (["ha", "--mttf-hours", "100", "--mttr-hours", "8", "--beta", "7"], "--beta"),
    (["size", "--rps", "300", "--kbps", "lots"], "--kbps"),
])
def test_bad_input_exits_1_without_traceback(args, words):
    proc = bench(*args)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stderr.startswith("bench: error: ") and words in proc.stderr
    assert "Traceback" not in proc.stderr


def test_malformed_catalog_file_exits_1(tmp_path):
    bad = tmp_path / "boxes.json"
    bad.write_text('{"boxes": [{"name": "x", "ram_mb": "lots"}]}')
    proc = bench("size", "--boxes", str(bad), "--rps", "300")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert str(bad) in proc.stderr


def test_usage_error_is_2():
    assert bench("size", "--frobnicate").returncode == 2


def test_seed_and_boxes_json():
    rows = run_json("seed")
    assert all({"claim", "seed", "model", "delta", "why"} <= set(r) for r in rows)
    boxes = run_json("boxes", "net4801")
    assert boxes[0]["name"] == "net4801" and boxes[0]["sources"]["irq"]
