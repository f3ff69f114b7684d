"""The initramfs archive writer (firmware/image/cpio.py), checked against GNU cpio."""
import shutil
import stat
import subprocess

from hypothesis import given, strategies as st
from support import need

from firmware.image import cpio


def sample():
    return [cpio.directory("bin"), cpio.directory("dev"), cpio.chardev("dev/console", 5, 1),
            cpio.file("init", b"#!/bin/sh\necho hi\n", 0o755),
            cpio.symlink("bin/sh", "busybox"), cpio.file("bin/busybox", b"\x7fELF" + bytes(5))]


def test_every_header_and_payload_is_4_byte_aligned():
    blob = cpio.archive(sample())
    assert len(blob) % 4 == 0
    assert blob.startswith(b"070701")
    assert b"TRAILER!!!\0" in blob


def test_parse_reads_back_names_modes_devices_and_data():
    got = cpio.parse(cpio.archive(sample()))
    assert [(e.name, e.mode, e.data, e.major, e.minor) for e in got] == [
        (e.name, e.mode, e.data, e.major, e.minor) for e in sample()]


@given(st.lists(st.tuples(st.text("abcdefgh/_.", min_size=1, max_size=30),
                          st.binary(max_size=70)), max_size=8))
def test_round_trip_of_any_files(files):
    entries = [cpio.file(f"f{i}/{n}", d) for i, (n, d) in enumerate(files)]
    assert [(e.name, e.data) for e in cpio.parse(cpio.archive(entries))] == [
        (e.name, e.data) for e in entries]


def test_gnu_cpio_lists_and_extracts_it(tmp_path):
    need(shutil.which("cpio") is not None, "cpio not installed")
    blob = cpio.archive([e for e in sample() if not stat.S_ISCHR(e.mode)])
    listing = subprocess.run(["cpio", "-t", "--quiet"], input=blob, capture_output=True,
                             check=True).stdout.decode().split()
    assert listing == ["bin", "dev", "init", "bin/sh", "bin/busybox"]
    subprocess.run(["cpio", "-id", "--quiet"], input=blob, cwd=tmp_path, check=True)
    assert (tmp_path / "init").read_bytes() == b"#!/bin/sh\necho hi\n"
    assert (tmp_path / "init").stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "bin/sh").is_symlink()
