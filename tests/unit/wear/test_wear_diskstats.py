"""Counter parsing and series building against the fixture logs (tests/fixtures/wear/).

The expected numbers are the fixture generator's inputs, worked out by hand in comments.
"""
from pathlib import Path

import pytest

from lvslite.wear import diskstats as ds

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "wear"


def series(name):
    return ds.build_series(ds.parse_log((FIX / name).read_text(), name))


@pytest.mark.parametrize("line, name, wsect, fields", [
    # 2.6 diskstats example from iostats.txt with 11 stats (14 fields)
    ("   3    0   hda 446216 784926 9550688 4382310 424847 312726 5922052 19310380 0 3376340 "
     "23705160", "hda", 5922052, 14),
    # 2.4 /proc/partitions line from iostats.txt (15 fields, #blocks before the name)
    ("   3     0   39082680 hda 446216 784926 9550688 4382310 424847 312726 5922052 19310380 0 "
     "3376340 23705160", "hda", 5922052, 15),
    # 2.6.0-2.6.24 partition line: reads, sectors read, writes, sectors written
    ("   3    1 hda1 35486 38030 38030 304240", "hda1", 304240, 7),
    (" 8 0 sda 1 2 3 4 5 6 77 8 9 10 11 12 13 14 15", "sda", 77, 18),
    (" 8 0 sda 1 2 3 4 5 6 77 8 9 10 11 12 13 14 15 16 17", "sda", 77, 20),
])
def test_each_line_format(line, name, wsect, fields):
    c = ds.parse_line(line)
    assert (c.name, c.sectors_written, c.fields) == (name, wsect, fields)


def test_2_4_line_keeps_the_size_in_kib():
    c = ds.parse_line("   3     0   39082680 hda 1 2 3 4 5 6 7 8 0 9 10")
    assert c.blocks_kib == 39082680 and c.sectors_written == 7


@pytest.mark.parametrize("line", ["", "major minor  #blocks  name", "   3     0     125440 hda"])
def test_headers_and_statless_lines_are_skipped(line):
    assert ds.parse_line(line) is None


@pytest.mark.parametrize("line", ["   3 0 hda 1 2 3", "   3 0 hda 1 2 x 4 5 6 7 8 9 10 11"])
def test_malformed_lines_say_why(line):
    with pytest.raises(ValueError):
        ds.parse_line(line)


def test_modern_14_fields():
    s = series("diskstats-14.log")
    assert s["hda"].sectors_written == 300 and s["hda"].window_s == 120.0
    assert s["hda1"].sectors_written == 280


def test_18_fields_discard():
    s = series("diskstats-18.log")
    assert s["sda"].sectors_written == 2048 and s["sda1"].sectors_written == 1024
    assert s["sda"].window_s == 20.0


def test_20_fields_flush():
    s = series("diskstats-20.log")
    assert s["mmcblk0"].sectors_written == 4 * 16
    assert s["nvme0n1p1"].sectors_written == 32
    assert s["nvme0n1"].window_s == 20.0


def test_2_6_0_to_2_6_24_partition_lines():
    s = series("diskstats-26old.log")
    assert s["hda"].sectors_written == 300      # 3 x 100
    assert s["hda1"].sectors_written == 180     # 3 x 60
    assert s["hda2"].sectors_written == 120     # 3 x 40
    assert s["hda1"].window_s == 90.0


def test_2_4_partitions_with_statistics():
    s = series("partitions-24.log")
    assert s["hda"].sectors_written == 12 * 45 and s["hda"].window_s == 120.0
    assert s["hda"].blocks_kib == 125440


def test_2_4_partitions_without_statistics_has_no_series():
    assert series("partitions-24-nostats.log") == {}


def test_32_bit_wrap():
    s = series("wrap.log")["sda"]
    # 4294967000 -> 4294967295 -> 200 -> 1000: 295 + 201 + 800
    assert s.sectors_written == 1296
    assert s.wraps == 1 and s.segments == 1 and s.resets == 0
    assert s.window_s == 180.0


def test_reboot_starts_a_new_segment_instead_of_a_negative_rate():
    s = series("reboot.log")
    # hda 5000 -> 6000 | reboot | 300 -> 500; the 3 h interval over the reboot is dropped
    assert s["hda"].sectors_written == 1200 and s["hda"].window_s == 120.0
    assert s["hda"].segments == 2 and s["hda"].resets == 1
    # hdb's write counter (3e9 -> 50) alone could pass for a wrap; its reads went down.
    assert s["hdb"].sectors_written == 130 and s["hdb"].wraps == 0
    assert s["hdb"].segments == 2


def test_devices_appearing_and_disappearing():
    s = series("appear.log")
    assert s["sda"].sectors_written == 500 and s["sda"].window_s == 300.0
    # sdb: absent, 10, 30, absent, 5, 25 -> 20 + 20, over 2 intervals in 2 segments
    assert s["sdb"].sectors_written == 40 and s["sdb"].window_s == 120.0
    assert s["sdb"].segments == 2


def test_a_wrap_is_not_taken_for_a_lone_reset():
    a = ds.Counters("sda", 8, 0, 4294967000, 10, 5, 1)
    b = ds.Counters("sda", 8, 0, 100, 10, 6, 1)          # plausible 32-bit wrap
    c = ds.Counters("sda", 8, 0, 100, 10, 6, 1)
    low = ds.Counters("sda", 8, 0, 5000, 10, 5, 1)       # bottom half: cannot have wrapped
    snaps = [ds.Snapshot(0.0, {"sda": a}), ds.Snapshot(10.0, {"sda": b})]
    assert ds.build_series(snaps)["sda"].sectors_written == 396
    snaps = [ds.Snapshot(0.0, {"sda": low}), ds.Snapshot(10.0, {"sda": c})]
    s = ds.build_series(snaps)["sda"]
    assert s.sectors_written == 0 and s.resets == 1 and s.window_s == 0
    big = ds.Counters("sda", 8, 0, 5 << 32, 10, 5, 1)    # 64-bit counter never wraps at 2^32
    snaps = [ds.Snapshot(0.0, {"sda": big}), ds.Snapshot(10.0, {"sda": c})]
    assert ds.build_series(snaps)["sda"].resets == 1


def test_log_errors_name_the_line():
    with pytest.raises(ds.WearLogError, match=r"x\.log:2: timestamp"):
        ds.parse_log("@ 1\n@ soon\n", "x.log")
    with pytest.raises(ds.WearLogError, match=r"x\.log:1: counters before"):
        ds.parse_log("   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n", "x.log")
    with pytest.raises(ds.WearLogError, match=r"x\.log:3: .*before the previous"):
        ds.parse_log("@ 10\n   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n@ 5\n", "x.log")
    with pytest.raises(ds.WearLogError, match=r"x\.log:2: 5 fields"):
        ds.parse_log("@ 10\n   8 0 sda 1 2\n", "x.log")


def test_an_unterminated_last_line_is_ignored():
    text = "@ 10\n   8 0 sda 1 2 3 4 5 6 7 8 9 10 11\n@ 20\n   8 0 sda 1 2 3 4 5 6 9 8 9 10 11\n@ 3"
    snaps = ds.parse_log(text)
    assert [s.t for s in snaps] == [10.0, 20.0]
    assert ds.build_series(snaps)["sda"].sectors_written == 2


def test_format_block_round_trips():
    text = "   8 0 sda 1 2 3 4 5 6 7 8 9 10 11"          # no newline at the end
    log = ds.format_block(5.25, text) + ds.format_block(6.5, text.replace(" 7 ", " 17 ") + "\n")
    snaps = ds.parse_log(log)
    assert [s.t for s in snaps] == [5.25, 6.5]
    assert ds.build_series(snaps)["sda"].sectors_written == 10


@pytest.mark.parametrize("name, parent", [
    ("sda1", "sda"), ("hda2", "hda"), ("mmcblk0p1", "mmcblk0"), ("nvme0n1p1", "nvme0n1"),
    ("loop10", None), ("sda", None), ("loop1p2", "loop1"),
])
def test_parent_of(name, parent):
    names = ["sda", "sda1", "hda", "hda2", "mmcblk0", "mmcblk0p1", "nvme0n1", "nvme0n1p1",
             "loop1", "loop10", "loop1p2"]
    assert ds.parent_of(name, names) == parent
