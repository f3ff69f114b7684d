"""`python -m firmware check`: usage errors and missing trees exit 2 without a traceback."""
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def run(*args):
    return subprocess.run([sys.executable, "-m", "firmware", *args], capture_output=True,
                          text=True, cwd=REPO)


def test_no_command_is_a_usage_error():
    p = run()
    assert p.returncode == 2 and "usage" in p.stderr


def test_missing_linux_tree_says_what_to_give(tmp_path):
    frag = tmp_path / "f"
    frag.write_text("CONFIG_NET=y\n")
    p = run("check", "kernel-fragment", "--linux", str(tmp_path / "nope"), "--arch", "i386",
            str(frag))
    assert p.returncode == 2
    assert "not a Linux source tree" in p.stderr and "Traceback" not in p.stderr


def test_malformed_fragment_line_fails_the_check(tmp_path):
    frag = tmp_path / "f"
    frag.write_text("CONFIG_NET = y\n")
    dotconfig = tmp_path / "config"
    dotconfig.write_text("CONFIG_NET=y\n")
    p = run("check", "kernel-fragment", "--linux", str(tmp_path), "--arch", "i386",
            "--dotconfig", str(dotconfig), str(frag))
    assert p.returncode == 1 and f"{frag}:1: not a kconfig assignment" in p.stdout


def test_defconfig_without_tree_is_partial():
    p = run("check", "defconfig", "firmware/buildroot/configs/soekris_net4501_defconfig")
    assert p.returncode == 4 and "NOT checked" in p.stdout
