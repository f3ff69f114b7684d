"""The external tree itself: symbols exist in Buildroot 2026.08, each board's defconfig asks
for the CPU, toolchain, kernel and console its row of firmware/boards.json gives, and every
board shares one card layout and one pair of post-build/post-image scripts."""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from firmware.boards import boards
from firmware.check import buildroot, cli
from firmware.check.dotconfig import read

REPO = Path(__file__).resolve().parents[3]
EXT = REPO / "firmware" / "buildroot"
SYMBOLS = EXT / "symbols-2026.08.tsv"
DEFCONFIGS = sorted((EXT / "configs").glob("*_defconfig"))
BOARDS = boards()
COMMON = "$(BR2_EXTERNAL_LVSLITE_PATH)/board/common/"


def values(dc):
    reqs, errs = read([dc], "")
    assert errs == [], errs
    return {r.name: r.value for r in reqs}


def test_one_defconfig_per_board_of_the_table():
    assert sorted(d.name for d in DEFCONFIGS) == sorted(b.defconfig for b in BOARDS.values())


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
                   .replace('BR2_TARGET_GENERIC_ISSUE="lvslite IPVS director"',
                            "BR2_TARGET_GENERIC_ISSUE=lvslite"))
    known = buildroot.read_symbols(SYMBOLS)
    known.update(buildroot.external_symbols(EXT))
    found = {f.name: f for f in buildroot.check_names(read([bad], "")[0], known, "2026.08")}
    assert set(found) == {"BR2_PACKAGE_PYTHON_PSUTL", "BR2_TARGET_GENERIC_ISSUE"}
    assert "did you mean BR2_PACKAGE_PYTHON_PSUTIL?" in found["BR2_PACKAGE_PYTHON_PSUTL"].fixes
    assert "double quotes" in found["BR2_TARGET_GENERIC_ISSUE"].reason


@pytest.mark.parametrize("name", sorted(BOARDS))
def test_board_asks_for_what_its_table_row_says(name):
    board = BOARDS[name]
    v = values(EXT / "configs" / board.defconfig)
    assert v.get(board.buildroot_cpu) == "y"
    cpus = [k for k, x in v.items()
            if re.fullmatch(r"BR2_x86_[a-z0-9_]+", k) and k != "BR2_x86_64" and x == "y"]
    assert cpus == [board.buildroot_cpu]
    assert v.get("BR2_x86_64" if board.arch == "x86_64" else "BR2_i386") == "y"
    # the board's name, console speed and kernel arguments reach the scripts from here
    assert v["BR2_ROOTFS_POST_SCRIPT_ARGS"] == board.post_script_args()
    internal = board.arch == "i386"  # Bootlin's prebuilt x86 toolchains are i686-only
    assert v.get("BR2_TOOLCHAIN_BUILDROOT") == ("y" if internal else None)
    if v.get("BR2_PACKAGE_PYTHON_UJSON") == "y" and internal:
        assert v.get("BR2_TOOLCHAIN_BUILDROOT_CXX") == "y"  # ujson needs C++
    for sym in ("BR2_PACKAGE_PYTHON3", "BR2_PACKAGE_PYTHON_PSUTIL", "BR2_PACKAGE_PYTHON_LVSLITE",
                "BR2_TARGET_ROOTFS_SQUASHFS", "BR2_TARGET_SYSLINUX", "BR2_LINUX_KERNEL"):
        assert v.get(sym) == "y", sym
    assert v.get("BR2_TARGET_GENERIC_REMOUNT_ROOTFS_RW") == "n"  # read-only root
    assert v["BR2_ROOTFS_OVERLAY"] == "$(BR2_EXTERNAL_LVSLITE_PATH)/../../overlay"
    assert f"/board/{board.board_dir}/linux.fragment" in v["BR2_LINUX_KERNEL_CONFIG_FRAGMENT_FILES"]
    frag = (EXT / "board" / board.board_dir / "linux.fragment").read_text()
    if board.kernel_cpu:
        assert f"CONFIG_{board.kernel_cpu}=y" in frag


@pytest.mark.parametrize("dc", DEFCONFIGS, ids=lambda p: p.name)
def test_what_the_overlay_replaces_is_not_configured(dc):
    """overlay/ brings /etc/inittab (the console), /etc/hostname and /etc/hosts: Buildroot's
    getty and hostname settings would be overwritten, so no defconfig sets them."""
    assert not [k for k in values(dc) if k.startswith(("BR2_TARGET_GENERIC_GETTY",
                                                       "BR2_TARGET_GENERIC_HOSTNAME"))]
    for f in ("etc/inittab", "etc/hostname", "etc/hosts"):
        assert (REPO / "overlay" / f).is_file(), f


@pytest.mark.parametrize("dc", DEFCONFIGS, ids=lambda p: p.name)
def test_pinned_kernel_still_has_the_cpu(dc):
    """Linux 7.1 removed MELAN (docs/reference/firmware.md#linux-71-drops-the-elan): every board pins an older kernel."""
    ver = values(dc)["BR2_LINUX_KERNEL_CUSTOM_VERSION_VALUE"]
    major, minor = (int(x) for x in ver.split(".")[:2])
    assert (major, minor) <= (7, 0), ver


def test_one_card_layout_and_one_script_pair_serve_every_defconfig():
    assert [p.relative_to(EXT).as_posix() for p in EXT.rglob("genimage.cfg")] == \
        ["board/common/genimage.cfg"]
    assert sorted(p.relative_to(EXT).as_posix() for p in EXT.rglob("*.sh")) == \
        ["board/common/post-build.sh", "board/common/post-image.sh"]
    for dc in DEFCONFIGS:
        v = values(dc)
        assert v["BR2_ROOTFS_POST_BUILD_SCRIPT"] == f"{COMMON}post-build.sh", dc.name
        assert v["BR2_ROOTFS_POST_IMAGE_SCRIPT"] == f"{COMMON}post-image.sh", dc.name
    cfg = (EXT / "board/common/genimage.cfg").read_text()
    assert re.findall(r"partition (\w+) \{", cfg) == ["boot", "root", "cfg"]
    assert "disk-signature = 0x4c56534c" in cfg
    post = (EXT / "board/common/post-image.sh").read_text()
    assert 'genimage.sh -c "$HERE/genimage.cfg"' in post


def test_post_image_writes_the_shared_boot_config_and_runs_the_one_layout(tmp_path):
    """post-image.sh with Buildroot's arguments, its tools stubbed: the syslinux.cfg it writes
    is the one firmware/image/boot.py renders from the overlay's template."""
    stubs, bins, top = tmp_path / "stubs", tmp_path / "images", tmp_path / "br"
    for d in (stubs, bins / "syslinux", top / "support/scripts", tmp_path / "host/sbin"):
        d.mkdir(parents=True)
    for name, body in {"syslinux": "", "mmd": "", "mcopy": "", "mkfs.vfat": "",
                       "dd": ""}.items():
        (stubs / name).write_text("#!/bin/sh\n" + body)
        (stubs / name).chmod(0o755)
    genimage = top / "support/scripts/genimage.sh"
    genimage.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/genimage.args\n')
    genimage.chmod(0o755)
    for f in ("bzImage", "rootfs.squashfs", "syslinux/mbr.bin"):
        (bins / f).write_text("x")
    env = dict(os.environ, PATH=f"{stubs}:{os.environ['PATH']}", HOST_DIR=str(tmp_path / "host"),
               TARGET_DIR=str(tmp_path / "target"), BINARIES_DIR=str(bins))
    board = BOARDS["net4801"]
    proc = subprocess.run([str(EXT / "board/common/post-image.sh"), str(bins),
                           *board.post_script_args().split()], cwd=top, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    from firmware.image import boot
    assert (bins / "syslinux.cfg").read_text() == boot.render(
        board.console, "/bzImage", None, board.kernel_args)
    assert (tmp_path / "genimage.args").read_text().split() == \
        ["-c", str(EXT.resolve() / "board/common/genimage.cfg")]
    bad = subprocess.run([str(EXT / "board/common/post-image.sh"), str(bins), "net4801", "1234"],
                         cwd=top, env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "console speed 1234" in bad.stderr


def test_make_reads_the_board_table():
    out = subprocess.run([sys.executable, "-m", "firmware.boards", "make"], cwd=REPO,
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == [f"{b.name},{b.defconfig},{b.board_dir},{b.arch},{b.console}"
                   for b in BOARDS.values()]
    mk = (REPO / "mk/firmware.mk").read_text()
    assert not [b.defconfig for b in BOARDS.values() if b.defconfig in mk]
    assert "firmware.boards make" in mk


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
