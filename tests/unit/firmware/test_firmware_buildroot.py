"""The Buildroot front end through the real kconfiglib path, on a small fake Buildroot tree
shaped like the real one (option env bounce symbols, $BR2_BASE_DIR includes, arch choice,
toolchain C++ selecting BR2_INSTALL_LIBSTDCPP), loaded with our real external tree."""
import os
from pathlib import Path

import pytest

from firmware.check import buildroot, cli
from firmware.check.dotconfig import read
from firmware.check.explain import compare

REPO = Path(__file__).resolve().parents[3]
EXT = REPO / "firmware" / "buildroot"

CONFIG_IN = '''
mainmenu "Buildroot $BR2_VERSION Configuration"
config BR2_HAVE_DOT_CONFIG
	bool
	default y
config BR2_HIDE_SECONDARY_TARGET_OPTIONS
	bool
	option env="BR2_HIDE_SECONDARY_TARGET_OPTIONS"
config BR2_VERSION
	string
	option env="BR2_VERSION_FULL"
config BR2_BASE_DIR
	string
	option env="BASE_DIR"
source "$BR2_BASE_DIR/.br2-external.in.paths"
source "arch/Config.in"
source "toolchain/Config.in"
source "package/Config.in"
source "$BR2_BASE_DIR/.br2-external.in.menus"
'''
ARCH = '''
config BR2_i386
	bool "i386"
choice
	prompt "Target Architecture Variant"
	depends on BR2_i386
config BR2_x86_i486
	bool "i486"
	depends on !BR2_HIDE_SECONDARY_TARGET_OPTIONS
config BR2_x86_pentium_mmx
	bool "pentium MMX"
endchoice
'''
TOOLCHAIN = '''
config BR2_INSTALL_LIBSTDCPP
	bool
config BR2_TOOLCHAIN_HAS_THREADS
	bool
	default y
config BR2_TOOLCHAIN_BUILDROOT_CXX
	bool "Enable C++ support"
	select BR2_INSTALL_LIBSTDCPP
'''
PACKAGES = '''
menu "Target packages"
config BR2_PACKAGE_PYTHON3
	bool "python3"
if BR2_PACKAGE_PYTHON3
config BR2_PACKAGE_PYTHON_PSUTIL
	bool "python-psutil"
config BR2_PACKAGE_PYTHON_UJSON
	bool "python-ujson"
	depends on BR2_INSTALL_LIBSTDCPP
endif
config BR2_PACKAGE_LIBNL
	bool "libnl"
config BR2_PACKAGE_POPT
	bool "popt"
config BR2_ROOTFS_OVERLAY
	string "overlay"
endmenu
'''


@pytest.fixture
def fake_br(tmp_path):
    br = tmp_path / "buildroot"
    for rel, text in {"Config.in": CONFIG_IN, "arch/Config.in": ARCH,
                      "toolchain/Config.in": TOOLCHAIN, "package/Config.in": PACKAGES,
                      "Makefile": "export BR2_VERSION := 2026.08-fake\n"}.items():
        (br / rel).parent.mkdir(parents=True, exist_ok=True)
        (br / rel).write_text(text)
    return br


GOOD = '''BR2_i386=y
BR2_x86_i486=y
BR2_TOOLCHAIN_BUILDROOT_CXX=y
BR2_PACKAGE_PYTHON3=y
BR2_PACKAGE_PYTHON_PSUTIL=y
BR2_PACKAGE_PYTHON_UJSON=y
BR2_PACKAGE_PYTHON_LVSLITE=y
BR2_PACKAGE_IPVSADM=y
BR2_ROOTFS_OVERLAY="$(BR2_EXTERNAL_LVSLITE_PATH)/../../overlay"
'''


def run(fake_br, tmp_path, text):
    dc = tmp_path / "x_defconfig"
    dc.write_text(text)
    kconf = buildroot.load(fake_br, [EXT], dc)
    model = buildroot.BuildrootModel(kconf, "fake Buildroot")
    reqs, errs = read([dc], "")
    assert errs == []
    return compare(model, reqs), kconf


def test_good_defconfig_resolves_with_the_external_tree(fake_br, tmp_path):
    findings, kconf = run(fake_br, tmp_path, GOOD)
    assert findings == []
    assert kconf.syms["BR2_PACKAGE_PYTHON_LVSLITE"].str_value == "y"
    assert kconf.syms["BR2_PACKAGE_LIBNL"].str_value == "y"  # selected by ipvsadm
    assert kconf.syms["BR2_EXTERNAL_LVSLITE_PATH"].str_value == str(EXT.resolve())


def test_unmet_dependency_names_the_symbol_that_would_satisfy_it(fake_br, tmp_path):
    findings, _ = run(fake_br, tmp_path, GOOD.replace("BR2_TOOLCHAIN_BUILDROOT_CXX=y\n", ""))
    (f,) = findings
    assert f.name == "BR2_PACKAGE_PYTHON_UJSON" and f.got == "not set"
    assert "depends on BR2_INSTALL_LIBSTDCPP (=n)" in f.reason
    assert "BR2_TOOLCHAIN_BUILDROOT_CXX=y (selects BR2_INSTALL_LIBSTDCPP)" in f.fixes


def test_external_package_without_python3_is_reported(fake_br, tmp_path):
    text = GOOD.replace("BR2_PACKAGE_PYTHON3=y\n", "")
    names = {f.name: f for f in run(fake_br, tmp_path, text)[0]}
    assert "BR2_PACKAGE_PYTHON_LVSLITE" in names
    assert "BR2_PACKAGE_PYTHON3 (=n)" in names["BR2_PACKAGE_PYTHON_LVSLITE"].reason
    assert "BR2_PACKAGE_PYTHON3=y" in names["BR2_PACKAGE_PYTHON_LVSLITE"].fixes


def test_misspelt_symbol_is_named_with_a_suggestion(fake_br, tmp_path):
    (f,) = run(fake_br, tmp_path, GOOD.replace("PYTHON_PSUTIL", "PYTHON_PSUTL"))[0]
    assert f.name == "BR2_PACKAGE_PYTHON_PSUTL" and "no such symbol" in f.reason
    assert "did you mean BR2_PACKAGE_PYTHON_PSUTIL?" in f.fixes


def test_choice_conflict_names_the_other_line(fake_br, tmp_path):
    (f,) = run(fake_br, tmp_path, GOOD + "BR2_x86_pentium_mmx=y\n")[0]
    assert f.name == "BR2_x86_i486" and "BR2_x86_pentium_mmx=y at" in f.reason


def test_environment_is_restored_after_loading(fake_br, tmp_path):
    before = {k: os.environ.get(k) for k in ("CONFIG_", "srctree", "BR2_BASE_DIR")}
    run(fake_br, tmp_path, GOOD)
    assert {k: os.environ.get(k) for k in before} == before


def test_cli_exit_codes(fake_br, tmp_path, capsys):
    dc = tmp_path / "x_defconfig"
    dc.write_text(GOOD)
    ext = ["--external", str(EXT)]
    assert cli.main(["defconfig", "--buildroot", str(fake_br)] + ext + [str(dc)]) == 0
    assert cli.main(["defconfig"] + ext + [str(dc)]) == 4  # partial: no tree
    out = capsys.readouterr().out
    assert "NOT checked" in out
    dc.write_text(GOOD.replace("PYTHON_PSUTIL", "PYTHON_PSUTL"))
    assert cli.main(["defconfig", "--buildroot", str(fake_br)] + ext + [str(dc)]) == 1
    assert "BR2_PACKAGE_PYTHON_PSUTL" in capsys.readouterr().out
    assert cli.main(["defconfig", "--buildroot", str(tmp_path / "nope")] + ext + [str(dc)]) == 2
    assert "not a Buildroot tree" in capsys.readouterr().err


def test_includes_match_buildroots_generator_format(tmp_path):
    env = buildroot.write_includes(tmp_path, [EXT])
    assert env == {"BR2_EXTERNAL_LVSLITE_PATH": str(EXT.resolve())}
    paths = (tmp_path / ".br2-external.in.paths").read_text()
    menus = (tmp_path / ".br2-external.in.menus").read_text()
    assert 'config BR2_EXTERNAL_LVSLITE_PATH\n\tstring\n\tdefault "%s"' % EXT.resolve() in paths
    assert menus.startswith("#\n# Automatically generated") and 'source "%s/Config.in"' % EXT.resolve() in menus
    for k in buildroot.INCLUDES:
        assert (tmp_path / f".br2-external.in.{k}").is_file()


def test_symbol_list_generator_lists_buildroots_own_symbols(fake_br, tmp_path, capsys):
    from firmware.check import symbols
    assert symbols.main([str(fake_br), "--commit", "0123456789abcdef"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == ("# Kconfig symbols defined by Buildroot 2026.08-fake (commit "
                        "0123456789), one per line: NAME<TAB>TYPE")
    rows = [tuple(line.split("\t")) for line in lines[1:]]
    assert rows == sorted(rows)
    assert ("BR2_x86_i486", "bool") in rows and ("BR2_ROOTFS_OVERLAY", "string") in rows
    assert not any(name.startswith(("BR2_PACKAGE_PYTHON_LVSLITE", "BR2_EXTERNAL_LVSLITE"))
                   for name, _ in rows)  # the external tree's symbols are not Buildroot's
    (tmp_path / "s.tsv").write_text("\n".join(lines) + "\n")
    assert buildroot.read_symbols(tmp_path / "s.tsv") == dict(rows)  # what the checks read


def test_committed_symbol_list_names_its_release_and_commit():
    tsv = EXT / "symbols-2026.08.tsv"
    head, *rows = tsv.read_text().splitlines()
    assert head.startswith("# Kconfig symbols defined by Buildroot 2026.08")
    assert "(commit " in head and head.endswith("NAME<TAB>TYPE")
    assert rows == sorted(rows) and len(rows) > 5000
    assert all(len(r.split("\t")) == 2 for r in rows)
