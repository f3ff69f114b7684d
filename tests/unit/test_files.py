"""Every file lvslite and the bench are handed is read by lvslite/files.py: regular files only,
never more than a limit. Each command is tried on what an adversary would give it: /dev/zero
(never ends), a FIFO (blocks in open), a directory, a huge sparse file."""
import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lvslite import files

REPO = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(REPO))


def lvslite(*args, stdin=subprocess.DEVNULL):
    return subprocess.run([sys.executable, "-m", "lvslite", *args], capture_output=True,
                          text=True, env=ENV, timeout=30, stdin=stdin, cwd=REPO)


def bench(*args):
    return subprocess.run([sys.executable, "-m", "bench", *args], capture_output=True,
                          text=True, env=ENV, timeout=30, cwd=REPO)


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return str(path)


@pytest.fixture
def huge(tmp_path):
    path = tmp_path / "huge"
    with open(path, "wb") as fh:
        fh.truncate(8 * 1024 ** 3)          # 8 GiB of holes
    return str(path)


def test_regular_file_is_read_whole(tmp_path):
    p = tmp_path / "f"
    p.write_bytes(b"x" * 100)
    assert files.read_bytes(str(p), 100) == b"x" * 100
    with pytest.raises(files.TooBig) as info:
        files.read_bytes(str(p), 99)
    assert info.value.size == 100 and info.value.limit == 99


def test_proc_files_of_size_zero_are_read_up_to_the_limit():
    text = files.read_text("/proc/self/status", 1 << 20)
    assert text.startswith("Name:")
    with pytest.raises(files.TooBig):
        files.read_bytes("/proc/self/status", 10)


@pytest.mark.parametrize("path,words", [("/dev/zero", "a character device"),
                                        ("/", "a directory")])
def test_devices_and_directories_are_refused(path, words):
    with pytest.raises(files.NotRegular) as info:
        files.read_bytes(path, 1 << 20)
    assert words in str(info.value) and isinstance(info.value, OSError)


def test_fifo_is_refused_without_blocking(fifo):
    with pytest.raises(files.NotRegular, match="FIFO"):
        files.read_bytes(fifo, 1 << 20)


def test_huge_file_is_refused_by_its_size(huge):
    with pytest.raises(files.TooBig, match="8589934592 bytes"):
        files.read_bytes(huge, 1 << 20)


def test_missing_file_is_the_usual_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        files.read_bytes(str(tmp_path / "nothing"), 10)


# ---------------------------------------------------------------- every command, end to end

def _refused(proc, *words):
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    for w in words:
        assert w in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) <= 2, proc.stderr


def test_wear_report_of_dev_zero_is_refused():
    _refused(lvslite("wear", "report", "/dev/zero"), "/dev/zero", "character device")


def test_wear_report_of_a_huge_log_is_refused(huge):
    _refused(lvslite("wear", "report", huge), "8589934592 bytes")


def test_wear_sample_source_dev_zero_is_refused(tmp_path):
    _refused(lvslite("wear", "sample", "--source", "/dev/zero", "--count", "1",
                     "--out", str(tmp_path / "w.log")), "character device")


def test_config_fifo_is_refused(fifo):
    _refused(lvslite("check", "-c", fifo), fifo, "FIFO")


def test_config_dev_zero_is_refused():
    _refused(lvslite("check", "-c", "/dev/zero"), "character device")


def test_import_of_dev_zero_and_a_fifo_is_refused(fifo):
    _refused(lvslite("import", "/dev/zero", "--from", "ldirectord"), "character device")
    _refused(lvslite("import", fifo, "--from", "keepalived"), "FIFO")


def test_bench_boxes_dev_zero_and_fifo_are_refused(fifo, huge):
    _refused(bench("boxes", "--boxes", "/dev/zero"), "character device")
    _refused(bench("boxes", "--boxes", fifo), "FIFO")
    _refused(bench("boxes", "--boxes", huge), "8589934592 bytes")


# ---------------------------------------------------------------- one reader, used everywhere

READERS = ["lvslite/config/__init__.py", "lvslite/migrate/__init__.py", "bench/catalog.py",
           "lvslite/wear/cli.py", "lvslite/wear/sample.py", "lvslite/wear/writers.py",
           "lvslite/wear/diskstats.py", "lvslite/wear/report.py"]


@pytest.mark.parametrize("rel", READERS)
def test_no_module_reads_a_file_but_through_lvslite_files(rel):
    """open() for reading, Path.read_text/read_bytes and os.read stay in lvslite/files.py."""
    tree = ast.parse((REPO / rel).read_text())
    bad = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        owner = getattr(f.value, "id", "") if isinstance(f, ast.Attribute) else ""
        if name in ("read_text", "read_bytes") and isinstance(f, ast.Attribute) and \
                owner not in ("files", "sample"):                 # Path(...).read_text()
            bad.append((node.lineno, name))
        elif name == "open" and owner != "os":
            mode = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(mode, ast.Constant) and "w" in str(mode.value)):
                bad.append((node.lineno, "open"))
        elif name == "read" and owner == "os":
            bad.append((node.lineno, "os.read"))
    assert not bad, f"{rel} reads files itself at {bad}: use lvslite.files"
