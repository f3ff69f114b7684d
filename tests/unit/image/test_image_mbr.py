"""The card's partition table: layout, encoding, and reading it back (firmware/image/mbr.py)."""
import struct
import subprocess
import shutil

import pytest
from hypothesis import given, strategies as st
from support import need

from firmware.image import mbr

MiB = 1 << 20


def test_layout_aligns_every_partition_and_rounds_sizes_up():
    parts = mbr.layout([("boot", 16 * MiB, 0x0E, True), ("root", 22 * MiB + 5, 0x83, False),
                        ("cfg", 4 * MiB, 0x01, False)], MiB)
    assert [(p.start, p.size) for p in parts] == [(MiB, 16 * MiB), (17 * MiB, 23 * MiB),
                                                 (40 * MiB, 4 * MiB)]
    assert mbr.disk_size(parts) == 44 * MiB


@pytest.mark.parametrize("parts, why", [
    ([], "1 to 4"), ([("p", MiB, 0x83, False)] * 5, "1 to 4"),
    ([("boot", 0, 0x0E, True)], "boot: size 0"),
])
def test_layout_refuses_what_an_mbr_cannot_hold(parts, why):
    with pytest.raises(mbr.LayoutError, match=why):
        mbr.layout(parts, MiB)


def test_chs_of_known_sectors():
    assert mbr.chs(0) == bytes((0, 1, 0))                 # cylinder 0, head 0, sector 1
    assert mbr.chs(2048) == bytes((32, 33, 0))            # 2048 = 0*16065 + 32*63 + 32
    assert mbr.chs(16065) == bytes((0, 1, 1))             # first sector of cylinder 1
    assert mbr.chs(1024 * 16065) == bytes((254, 0xFF, 0xFF))   # past cylinder 1023: clamped


def test_table_bytes_signature_entries_and_boot_mark():
    parts = mbr.layout([("boot", 16 * MiB, 0x0E, True), ("cfg", 4 * MiB, 0x01, False)], MiB)
    t = mbr.table(parts, 0x4C56534C)
    assert len(t) == 72 and t[-2:] == b"\x55\xaa"
    assert t[:4] == b"LSVL"                               # 0x4c56534c little-endian
    e0 = t[6:22]
    assert e0[0] == 0x80 and e0[4] == 0x0E
    assert struct.unpack("<II", e0[8:16]) == (2048, 16 * 2048)
    assert t[6 + 16 * 2: 6 + 16 * 4] == bytes(32)           # unused entries are zero


@given(st.lists(st.tuples(st.integers(1, 64 * MiB), st.sampled_from([0x0E, 0x83, 0x01]),
                          st.booleans()), min_size=1, max_size=4),
       st.integers(0, 2**32 - 1))
def test_parse_reads_back_what_table_wrote(specs, sig):
    parts = mbr.layout([(f"p{i}", s, t, a) for i, (s, t, a) in enumerate(specs)], MiB)
    sector = bytes(440) + mbr.table(parts, sig)
    got_sig, entries = mbr.parse(sector)
    assert got_sig == sig
    assert [(e.number, e.type, e.active, e.start, e.size) for e in entries] == [
        (i + 1, p.type, p.active, p.start, p.size) for i, p in enumerate(parts)]


def test_parse_refuses_a_sector_without_the_mark():
    with pytest.raises(ValueError, match="0x55AA"):
        mbr.parse(bytes(512))


def test_sfdisk_reads_the_same_table(tmp_path):
    """An independent reader (util-linux sfdisk) agrees on the partitions and the disk id."""
    need(shutil.which("sfdisk") is not None, "sfdisk not installed")
    parts = mbr.layout([("boot", 16 * MiB, 0x0E, True), ("root", 22 * MiB, 0x83, False),
                        ("cfg", 4 * MiB, 0x01, False)], MiB)
    img = tmp_path / "disk.img"
    with open(img, "wb") as fh:
        fh.truncate(mbr.disk_size(parts))
        fh.write(bytes(440) + mbr.table(parts, 0x4C56534C))
    out = subprocess.run(["sfdisk", "--dump", str(img)], capture_output=True, text=True,
                         check=True).stdout
    assert "label-id: 0x4c56534c" in out
    assert f"{img}1 : start=        2048, size=       32768, type=e, bootable" in out
    assert f"{img}2 : start=       34816, size=       45056, type=83" in out
    assert f"{img}3 : start=       79872, size=        8192, type=1" in out
