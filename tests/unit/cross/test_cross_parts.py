"""firmware/cross: the board table's cross fields, the cache keys, the busybox config merge,
the cc wrapper's flag filter, the stdlib zip. Pure or local (no archive, no compiler)."""
from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from support import need

from firmware.boards import boards
from firmware.cross import cache, card, kernel, toolchain, userland

REPO = Path(__file__).resolve().parents[3]


def test_every_cross_board_says_how_it_is_built_and_booted():
    cross = card.cross_boards()
    assert set(cross) == {"net4501", "net4801"}
    for b in cross.values():
        assert b.isa in ("i486", "i586") and b.userland_cpu and b.kernel_cpu
        assert b.qemu_cpu and b.qemu_mb == b.ram_mb(), (b.name, b.qemu_mb, b.ram_mb())
        for frag in kernel.fragments(b):
            assert frag.is_file(), frag
    # the userland CPU runs on the board's instruction set (i486 code on an i586, not the reverse)
    order = ("i486", "i586", "i686")
    assert all(order.index(b.userland_cpu) <= order.index(b.isa) for b in cross.values())
    for b in boards().values():
        if "cross" not in b.routes:
            assert b.isa is None and b.qemu_cpu is None


def test_route_listing_for_make():
    out = subprocess.run([sys.executable, "-m", "firmware.boards", "route", "cross"],
                         capture_output=True, text=True, cwd=REPO, check=True).stdout.split()
    assert sorted(out) == sorted(card.cross_boards())


def test_cache_key_follows_contents(tmp_path):
    f = tmp_path / "frag"
    f.write_text("CONFIG_A=y\n")
    k1 = cache.key(["x", f])
    assert k1 == cache.key(["x", f])
    f.write_text("CONFIG_A=n\n")
    assert cache.key(["x", f]) != k1
    assert cache.key(["ab", "c"]) != cache.key(["a", "bc"])


def test_cache_lives_outside_the_checkout(monkeypatch, tmp_path):
    monkeypatch.delenv("LVSLITE_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.root() == tmp_path / "lvslite"
    monkeypatch.setenv("LVSLITE_CACHE", str(tmp_path / "c"))
    assert cache.root() == tmp_path / "c"


def test_cache_entries_appear_whole(monkeypatch, tmp_path):
    monkeypatch.setenv("LVSLITE_CACHE", str(tmp_path))
    dest = cache.entry("kernel", "b-1")
    part = cache.start(dest)
    (part / "bzImage").write_text("k")
    assert not dest.exists()
    cache.finish(part, dest)
    assert (dest / "bzImage").read_text() == "k" and not part.exists()
    cache.start(cache.entry("kernel", "b-0"))             # an interrupted older build
    cache.entry("kernel", "b-old").mkdir()
    cache.prune(dest.parent, "b-", dest.name)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["b-1"]


def test_busybox_config_merge_overrides_and_appends():
    base = "CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"x\"\n"
    over = "# comment\n# CONFIG_A is not set\nCONFIG_B=y\nCONFIG_D=y\n"
    merged = userland.merge_config(base, over).splitlines()
    assert merged == ["# CONFIG_A is not set", "CONFIG_B=y", "CONFIG_C=\"x\"", "CONFIG_D=y"]


def test_busybox_overrides_apply_to_debians_config():
    over = userland.BUSYBOX_CONFIG.read_text()
    assert "CONFIG_STATIC=y" in over and "# CONFIG_TC is not set" in over


def test_cc_wrapper_drops_only_the_flags_lld_rejects(tmp_path):
    fake = tmp_path / "zig"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n')
    fake.chmod(0o755)
    script = tmp_path / "cc"
    script.write_text(toolchain.CC_WRAPPER.format(cpu="i486", zig=fake, target=toolchain.TARGET,
                                                   dropped="|".join(toolchain.DROPPED)))
    script.chmod(0o755)
    args = ["-Os", "-Wl,--warn-common", "-Wl,-Map,busybox.map", "-Wl,--gc-sections",
            "-o", "my prog", "-Wl,--sort-common", "x.c"]
    out = subprocess.run([str(script), *args], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    got = [line[1:-1] for line in out if line]
    assert got == ["cc", "-target", "x86-linux-musl", "-mcpu=i486", "-Os",
                   "-Wl,--gc-sections", "-o", "my prog", "x.c"]


def test_stdlib_zip_holds_what_lvslite_imports_as_bytecode(tmp_path):
    """The build machine's python3.11 library stands in for the target's (same sources)."""
    import shutil
    host = shutil.which(userland.HOST_PYTHON)
    need(host is not None, f"{userland.HOST_PYTHON} not installed (the cross build needs it)")
    lib = Path(subprocess.run([host, "-c", "import os; print(os.path.dirname(os.__file__))"],
                              capture_output=True, text=True, check=True).stdout.strip())
    dest = tmp_path / "python311.zip"
    n = card.stdlib_zip(lib, REPO, dest, host)
    names = zipfile.ZipFile(dest).namelist()
    assert len(names) == n > 50
    assert all(name.endswith(".pyc") for name in names)
    for needed in ("json/__init__.pyc", "argparse.pyc", "selectors.pyc", "encodings/utf_8.pyc",
                   "logging/__init__.pyc", "ipaddress.pyc"):
        assert needed in names, needed
    for excluded in ("tkinter/__init__.pyc", "unittest/__init__.pyc", "xml/__init__.pyc"):
        assert excluded not in names


def test_bench_table_from_a_manifest_and_measurements():
    from firmware.cross import bench
    size = 25 * 2**20
    manifest = {"bytes": size, "squashfs_bytes": 3 * 2**20, "kernel": "6.1.176",
                "kernel_bytes": 2**20, "cold_seconds": {"kernel": 600, "python": 400},
                "built_seconds": {"kernel": 0, "python": 0}, "seconds": 12.0,
                "qemu_cpu": "486", "qemu_mb": 64}
    col = bench.column(manifest, {"mem_available_kb": 40 * 1024, "mem_total_kb": 58 * 1024,
                                  "cpu_ms_per_check": 5.0, "steady_sectors": {"sda": 0}})
    assert col["smallest card"] == "32 MB"          # 26.2 MB of image, 32 MB the next card
    assert col["build cold"] == "1012 s" and col["build warm"] == "12 s"
    assert col["free memory (MemAvailable)"] == "40.0 MiB of 58.0 MiB"
    assert col["daemon RSS"] == "-"                  # not measured: printed as such
    rebuilt = dict(manifest, built_seconds={"kernel": 0, "python": 390})
    assert bench.column(rebuilt, {})["build warm"] == "-"
    text = bench.table({"a": col, "b": bench.column({}, {})})
    assert len({len(line) for line in text.splitlines()}) == 1    # aligned columns
