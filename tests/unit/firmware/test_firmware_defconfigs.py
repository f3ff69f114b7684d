"""The external tree itself: symbols exist in Buildroot 2026.08, each board asks for the CPU,
toolchain, kernel and console firmware.md says it needs, and the card layout is the same."""
import os
import re
from pathlib import Path

import pytest

from firmware.check import buildroot, cli
from firmware.check.dotconfig import read

REPO = Path(__file__).resolve().parents[3]
EXT = REPO / "firmware" / "buildroot"
SYMBOLS = EXT / "symbols-2026.08.tsv"
DEFCONFIGS = sorted((EXT / "configs").glob("*_defconfig"))

# firmware.md §0.6 (CPU), §0.7 (toolchain), §0.9 (console), §2.2 (kernel CPU symbol)
BOARDS = {
    "soekris_net4501": dict(cpu="BR2_x86_i486", kcpu="MELAN", baud="19200", internal=True),
    "soekris_net4801": dict(cpu="BR2_x86_pentium_mmx", kcpu="MGEODEGX1", baud="19200",
                            internal=True),
    "pcengines_alix": dict(cpu="BR2_x86_geode", kcpu="MGEODE_LX", baud="KEEP", internal=True),
    "pcengines_apu2": dict(cpu="BR2_x86_jaguar", kcpu=None, baud="115200", internal=False),
}


def values(dc):
    reqs, errs = read([dc], "")
    assert errs == [], errs
    return {r.name: r.value for r in reqs}


def test_all_four_defconfigs_exist():
    assert sorted(d.name for d in DEFCONFIGS) == sorted(f"{b}_defconfig" for b in BOARDS)


@pytest.mark.parametrize("dc", DEFCONFIGS, ids=lambda p: p.name)
def test_every_symbol_exists_in_buildroot_2026_08(dc):
    known = buildroot.read_symbols(SYMBOLS)
    known.update(buildroot.external_symbols(EXT))
    reqs, _ = read([dc], "")
    assert buildroot.check_names(reqs, known, "2026.08") == []
    assert buildroot.check_paths(reqs, {"LVSLITE": EXT.resolve()}) == []


def test_symbol_check_catches_a_misspelt_defconfig(tmp_path):
    bad = tmp_path / "bad_defconfig"
    bad.write_text((EXT / "configs/soekris_net4801_defconfig").read_text()
                   .replace("BR2_PACKAGE_PYTHON_PSUTIL=y", "BR2_PACKAGE_PYTHON_PSUTL=y")
                   .replace('BR2_TARGET_GENERIC_GETTY_PORT="ttyS0"',
                            "BR2_TARGET_GENERIC_GETTY_PORT=ttyS0"))
    known = buildroot.read_symbols(SYMBOLS)
    known.update(buildroot.external_symbols(EXT))
    found = {f.name: f for f in buildroot.check_names(read([bad], "")[0], known, "2026.08")}
    assert set(found) == {"BR2_PACKAGE_PYTHON_PSUTL", "BR2_TARGET_GENERIC_GETTY_PORT"}
    assert "did you mean BR2_PACKAGE_PYTHON_PSUTIL?" in found["BR2_PACKAGE_PYTHON_PSUTL"].fixes
    assert "double quotes" in found["BR2_TARGET_GENERIC_GETTY_PORT"].reason


@pytest.mark.parametrize("board", sorted(BOARDS))
def test_board_asks_for_what_firmware_md_says(board):
    want = BOARDS[board]
    v = values(EXT / "configs" / f"{board}_defconfig")
    assert v.get(want["cpu"]) == "y"
    cpus = [k for k, x in v.items()
            if re.fullmatch(r"BR2_x86_[a-z0-9_]+", k) and k != "BR2_x86_64" and x == "y"]
    assert cpus == [want["cpu"]]
    assert v.get(f"BR2_TARGET_GENERIC_GETTY_BAUDRATE_{want['baud']}") == "y"
    assert v.get("BR2_TOOLCHAIN_BUILDROOT") == ("y" if want["internal"] else None)
    if v.get("BR2_PACKAGE_PYTHON_UJSON") == "y" and want["internal"]:
        assert v.get("BR2_TOOLCHAIN_BUILDROOT_CXX") == "y"  # ujson needs C++
    for sym in ("BR2_PACKAGE_PYTHON3", "BR2_PACKAGE_PYTHON_PSUTIL", "BR2_PACKAGE_PYTHON_LVSLITE",
                "BR2_TARGET_ROOTFS_SQUASHFS", "BR2_TARGET_SYSLINUX", "BR2_LINUX_KERNEL"):
        assert v.get(sym) == "y", sym
    assert v.get("BR2_TARGET_GENERIC_REMOUNT_ROOTFS_RW") == "n"  # read-only root
    assert v["BR2_ROOTFS_OVERLAY"] == "$(BR2_EXTERNAL_LVSLITE_PATH)/../../overlay"
    assert f"/board/{board}/linux.fragment" in v["BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES"]
    frag = (EXT / "board" / board / "linux.fragment").read_text()
    if want["kcpu"]:
        assert f"CONFIG_{want['kcpu']}=y" in frag


@pytest.mark.parametrize("dc", DEFCONFIGS, ids=lambda p: p.name)
def test_pinned_kernel_still_has_the_cpu(dc):
    """Linux 7.1 removed MELAN (firmware.md §0.2): every board pins an older kernel."""
    ver = values(dc)["BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE"]
    major, minor = (int(x) for x in ver.split(".")[:2])
    assert (major, minor) <= (7, 0), ver


def test_card_layout_is_the_same_for_every_board():
    cfgs = {p.parent.name: p.read_text() for p in (EXT / "board").glob("*/genimage.cfg")}
    assert set(cfgs) == set(BOARDS)
    parts = {b: re.findall(r"partition (\w+) \{", t) for b, t in cfgs.items()}
    assert all(p == ["boot", "root", "cfg"] for p in parts.values()), parts
    assert all("disk-signature = 0x4c56534c" in t for t in cfgs.values())
    common = (EXT / "board/common/post-image.sh").read_text()
    assert "root=PARTUUID=4c56534c-02" in common and "rootfstype=squashfs ro" in common


def test_scripts_are_executable_and_python_package_is_local():
    for p in (EXT / "board").glob("*/*.sh"):
        assert os.access(p, os.X_OK), p
    mk = (EXT / "package/python-lvslite/python-lvslite.mk").read_text()
    assert "PYTHON_LVSLITE_SITE_METHOD = local" in mk and "$(eval $(python-package))" in mk
    assert "PYTHON_LVSLITE_SETUP_TYPE = setuptools" in mk
    assert (REPO / "pyproject.toml").is_file()


BUILDROOT = os.environ.get("LVSLITE_BUILDROOT")


@pytest.mark.skipif(not BUILDROOT, reason="set LVSLITE_BUILDROOT=<Buildroot tree> to resolve "
                    "the defconfigs against a real Buildroot")
@pytest.mark.parametrize("dc", DEFCONFIGS, ids=lambda p: p.name)
def test_defconfig_resolves_against_real_buildroot(dc, capsys):
    rc = cli.main(["defconfig", "--buildroot", BUILDROOT, str(dc)])
    out = capsys.readouterr().out
    assert rc == 0, out
