"""Board fragments and deliberately broken ones against Debian's linux-source-6.1, through
the kernel's own kconfig (`make firmware-prereqs`, part of `make test`, fetches the tree)."""
import os
from pathlib import Path

import pytest
from support import need

from firmware.check import cli

REPO = Path(__file__).resolve().parents[3]
LINUX = Path(os.environ.get("LVSLITE_LINUX_SRC",
                            REPO / ".cache" / "linux-source" / "linux-source-6.1"))
BR = REPO / "firmware" / "buildroot"
BOARDS = [("soekris_net4501", "i386"), ("soekris_net4801", "i386"),
          ("pcengines_alix", "i386"), ("pcengines_apu2", "x86_64")]


@pytest.fixture
def linux():
    need((LINUX / "Makefile").is_file(),
         f"no Linux source tree at {LINUX} (make firmware-prereqs fetches linux-source-6.1)")
    return LINUX


def check(capsys, linux, arch, *frags, base="allnoconfig"):
    rc = cli.main(["kernel-fragment", "--linux", str(linux), "--arch", arch, "--base", base]
                  + [str(f) for f in frags])
    return rc, capsys.readouterr().out


@pytest.mark.parametrize("base", ["allnoconfig", "defaults"])
@pytest.mark.parametrize("board,arch", BOARDS)
def test_board_fragment_takes_effect_on_6_1(capsys, linux, board, arch, base):
    rc, out = check(capsys, linux, arch, BR / "board/common/linux.fragment",
                    BR / f"board/{board}/linux.fragment", base=base)
    print(out)
    assert rc == 0, out
    assert " 0 did not take effect" in out


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_ipvs_scheduler_without_netfilter_is_caught(capsys, linux, tmp_path):
    frag = write(tmp_path, "ipvs.fragment",
                 "CONFIG_NET=y\nCONFIG_INET=y\nCONFIG_IP_VS=y\nCONFIG_IP_VS_WRR=y\n")
    rc, out = check(capsys, linux, "i386", frag)
    assert rc == 1
    assert f"{frag}:4: CONFIG_IP_VS_WRR: requested y, got not set: depends on" in out
    assert "NETFILTER (=n)" in out and "fix: CONFIG_NETFILTER=y" in out


def test_nic_without_its_vendor_menu_is_caught(capsys, linux, tmp_path):
    frag = write(tmp_path, "nic.fragment", "CONFIG_PCI=y\nCONFIG_NET=y\nCONFIG_NETDEVICES=y\n"
                 "CONFIG_ETHERNET=y\nCONFIG_NATSEMI=y\n")
    rc, out = check(capsys, linux, "i386", frag)
    assert rc == 1
    assert f"{frag}:5: CONFIG_NATSEMI: requested y, got not set" in out
    assert "NET_VENDOR_NATSEMI (=n)" in out and "fix: CONFIG_NET_VENDOR_NATSEMI=y" in out


def test_misspelt_and_hidden_symbols_are_caught(capsys, linux, tmp_path):
    frag = write(tmp_path, "typo.fragment", "CONFIG_MISC_FILESYSTEMS=y\nCONFIG_SQUASHFS=y\n"
                 "CONFIG_SQUASHFS_LZ5=y\nCONFIG_MELAN=y\nCONFIG_SC520_WDT=y\n")
    rc, out = check(capsys, linux, "i386", frag)
    assert rc == 1
    assert "CONFIG_SQUASHFS_LZ5: requested y" in out and "no such symbol in Linux 6.1" in out
    assert "did you mean CONFIG_SQUASHFS_LZ4?" in out
    assert "CONFIG_SC520_WDT" in out and "WATCHDOG (=n)" in out


def test_64bit_board_fragment_fails_on_the_32bit_arch(capsys, linux):
    rc, out = check(capsys, linux, "i386", BR / "board/common/linux.fragment",
                    BR / "board/pcengines_apu2/linux.fragment")
    assert rc == 1 and "CONFIG_64BIT: requested y, got not set" in out


def test_source_tree_is_never_written(capsys, linux, tmp_path):
    frag = write(tmp_path, "f", "CONFIG_NET=y\n")
    scratch = tmp_path / "scratch"
    rc = cli.main(["kernel-fragment", "--linux", str(linux), "--arch", "i386",
                   "--scratch", str(scratch), str(frag)])
    capsys.readouterr()
    assert rc == 0
    assert not (linux / ".config").exists() and not (linux / "include" / "config").exists()
    assert not list(linux.glob(".tmp.config*"))
    assert [p.name for p in scratch.iterdir() if p.name.startswith("run-")] == []
