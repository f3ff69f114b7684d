"""The box catalog: complete, sourced, strict about user files."""
import json

import pytest

from bench.catalog import CATALOG_PATH, load_catalog
from bench.errors import BenchError

NAMES = ["net4501", "net4801", "net5501", "wrap", "alix", "apu2", "generic-x86"]
SOURCED = ("cpu", "cache_line", "cycle_ratio", "ram_mb", "nics", "irq", "storage", "console",
           "power_w")


def test_catalog_has_the_boxes_the_issue_names():
    assert list(load_catalog().boxes) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_every_figure_has_a_source(name):
    box = load_catalog().box(name)
    missing = [k for k in SOURCED if not box.sources.get(k, "").strip()]
    assert not missing, f"{name}: no source for {missing}"


def test_calibration_and_kernel_figures_are_sourced():
    doc = json.loads(CATALOG_PATH.read_text())
    cal = doc["calibration"]
    for key in ("napi_route_pps", "irq_ipvs_new_pps", "entry_us", "check_us", "rx_us"):
        assert cal["sources"].get(key)
    assert all(k["source"] for k in doc["kernels"].values())
    base = doc["base_system"]
    assert set(base["sources"]) >= set(base) - {"sources", "unverified"}


def test_seed_figures_of_the_two_soekris_boxes():
    cat = load_catalog()
    n45, n48 = cat.box("net4501"), cat.box("net4801")
    assert (n45.cpu.mhz, n45.ram_mb, len(n45.nics)) == (133, 64, 3)
    assert (n48.cpu.mhz, n48.ram_mb, len(n48.nics)) == (266, 128, 3)
    assert n48.shared_handlers == 3            # all three NICs on one line (m0n0wall, seed)


def _user(tmp_path, box):
    path = tmp_path / "boxes.json"
    path.write_text(json.dumps({"boxes": [box]}))
    return str(path)


ONE_NIC = {"name": "tiny", "cpu": {"model": "Vortex86", "mhz": 300, "cores": 1, "arch": "i386",
                                   "cache_line": 32, "cycle_ratio": 1.5},
           "ram_mb": 64, "nics": [{"chip": "RDC R6040", "driver": "r6040", "napi": True,
                                   "mbps": 100, "irq": "A"}]}


def test_user_box_is_added(tmp_path):
    cat = load_catalog((_user(tmp_path, ONE_NIC),))
    tiny = cat.box("tiny")
    assert tiny.shared_handlers == 1 and tiny.usable_cores == 1 and len(tiny.nics) == 1


def test_user_box_replaces_a_catalog_box(tmp_path):
    box = dict(ONE_NIC, name="net4801", ram_mb=256)
    assert load_catalog((_user(tmp_path, box),)).box("net4801").ram_mb == 256


@pytest.mark.parametrize("change, where", [
    (dict(ram_mb=-64), "ram_mb"),
    (dict(nics=[]), "nics"),
    (dict(colour="blue"), "colour"),
    (dict(cpu=dict(ONE_NIC["cpu"], arch="arm")), "arch"),
    (dict(cpu=dict(ONE_NIC["cpu"], cache_line=48)), "cache_line"),
    (dict(nics=[{"chip": "x", "driver": "y", "napi": "yes", "mbps": 100, "irq": "A"}]), "napi"),
    (dict(kernel="3.x"), "kernel"),
])
def test_malformed_user_boxes_are_named(tmp_path, change, where):
    with pytest.raises(BenchError) as exc:
        load_catalog((_user(tmp_path, dict(ONE_NIC, **change)),))
    assert where in str(exc.value)


def test_missing_field_and_bad_json(tmp_path):
    box = dict(ONE_NIC)
    del box["cpu"]
    with pytest.raises(BenchError, match="cpu: missing"):
        load_catalog((_user(tmp_path, box),))
    bad = tmp_path / "bad.json"
    bad.write_text('{"boxes": [')
    with pytest.raises(BenchError, match="not valid JSON"):
        load_catalog((str(bad),))


def test_unknown_box_lists_the_known_ones():
    with pytest.raises(BenchError) as exc:
        load_catalog().box("net9999")
    assert "net4801" in str(exc.value)
