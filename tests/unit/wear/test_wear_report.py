"""Rates, projections, lifetimes and their rendering (report.py) on the fixture logs."""
import json
from pathlib import Path

import pytest

from lvslite.wear import diskstats as ds
from lvslite.wear import model, report
from lvslite.wear.writers import Writer

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "wear"


def series(name):
    return ds.build_series(ds.parse_log((FIX / name).read_text(), name))


def test_daily_cycle_aware_projection():
    s = series("day.log")["hda"]
    r = report.analyze(s, report.make_card(), utc_offset_s=0)
    assert len(r.by_hour) == 24
    # (8 x 100 + 12 x 1000 + 4 x 300) sectors a day; the 30 h window's mean would give 11,680
    assert r.bytes_per_day == pytest.approx(14000 * 512)
    assert r.write_rate_Bps == pytest.approx(14600 * 512 / (30 * 3600))
    assert r.rate_low_Bps == pytest.approx(100 * 512 / 3600)
    assert r.rate_high_Bps == pytest.approx(1000 * 512 / 3600)
    assert {h.hour for h in r.by_hour if h.write_rate_Bps > 100} == set(range(8, 20))


def test_hours_shift_with_the_local_offset():
    s = series("day.log")["hda"]
    r = report.analyze(s, report.make_card(), utc_offset_s=2 * 3600)
    assert {h.hour for h in r.by_hour if h.write_rate_Bps > 100} == set(range(10, 22))


def test_short_window_uses_the_mean_rate_and_sixths():
    r = report.analyze(series("diskstats-14.log")["hda"], report.make_card())
    assert r.by_hour == ()
    assert r.bytes_per_day == pytest.approx(300 * 512 / 120 * 86400)
    # 100 sectors in the first minute, 200 in the second
    assert r.rate_low_Bps == pytest.approx(100 * 512 / 60)
    assert r.rate_high_Bps == pytest.approx(200 * 512 / 60)


def test_the_issue_verdict_on_a_2_4_log():
    s = series("partitions-24.log")["hda"]
    card = report.make_card(hot_interval_s=19.9)
    r = report.analyze(s, card, capacity=s.blocks_kib * 1024, capacity_source="log")
    assert report.verdict(r, card) == \
        "hda: at 2.3 KB/s this 128 MB card without wear leveling lasts about 23 days"


def test_no_leveling_estimates_t_hot_from_the_samples():
    card = report.make_card()
    busy = report.analyze(series("partitions-24.log")["hda"], card)        # every 10 s
    hourly = report.analyze(series("day.log")["hda"], card)                # every 3600 s
    assert busy.lifetime.hot_interval_s == model.WRITEBACK_EXPIRE_S
    assert hourly.lifetime.hot_interval_s == pytest.approx(3600)
    assert "estimated" in hourly.lifetime.explanation
    assert busy.days_low == busy.days_high == busy.lifetime.days


def test_static_leveling_range_comes_from_the_rate_variation():
    card = report.make_card("slc", wear_leveling="static")
    r = report.analyze(series("diskstats-14.log")["hda"], card, capacity=128 * 10**6)
    lt = r.lifetime
    assert lt.model == "static"
    assert r.days_low < lt.days < r.days_high
    assert r.days_low == pytest.approx(lt.days * r.write_rate_Bps / r.rate_high_Bps)


def test_unknown_capacity_is_said_not_guessed():
    card = report.make_card("slc")
    r = report.analyze(series("diskstats-14.log")["hda"], card)
    assert r.lifetime is None and "--capacity" in r.note
    assert report.to_json([r])["devices"][0]["lifetime"]["days"] is None


def test_no_writes_is_not_limited_by_wear():
    snaps = [ds.Snapshot(t, {"sdz": ds.Counters("sdz", 8, 0, 77, 0, 0, 0)}) for t in (0., 60.)]
    r = report.analyze(ds.build_series(snaps)["sdz"], report.make_card(), capacity=10**9)
    assert r.lifetime.days is None
    assert "no writes: not limited by wear" in report.render([r], report.make_card())
    doc = report.to_json([r])
    assert doc["devices"][0]["lifetime"]["days"] is None


def test_json_has_the_fixed_fields_and_types():
    s = series("partitions-24.log")
    card = report.make_card()
    rs = [report.analyze(s[n], card, capacity=s[n].blocks_kib * 1024) for n in s]
    doc = json.loads(json.dumps(report.to_json(rs, {None: [Writer(42, "syslogd", 4096)]})))
    dev = doc["devices"][0]
    for key, kind in [("device", str), ("window_s", float), ("sectors_written", int),
                      ("bytes_written", int), ("write_rate_Bps", float),
                      ("bytes_per_day", float), ("lifetime", dict), ("writers", list)]:
        assert isinstance(dev[key], kind), key
    for key in ("model", "days", "years", "days_low", "days_high"):
        assert isinstance(dev["lifetime"][key], (str, float)), key
    assert dev["bytes_written"] == 540 * 512
    assert dev["writers"] == [{"pid": 42, "name": "syslogd", "write_bytes": 4096}]


@pytest.mark.parametrize("name", [p.name for p in sorted(FIX.glob("*.log"))
                                  if "nostats" not in p.name])
@pytest.mark.parametrize("card", ["cf-basic", "slc", "industrial"])
def test_human_output_fits_80_columns_with_the_verdict_first(name, card):
    s = series(name)
    c = report.make_card(card, temp_c=45)
    rs = [report.analyze(s[n], c, capacity=2 * 10**9, capacity_source="from a long path "
                         "/sys/class/block/mmcblk0p1/size", parent=ds.parent_of(n, s))
          for n in s]
    text = report.render(rs, c, {None: [Writer(1234567, "a-process-with-a-very-long-name-indeed-x",
                                        123456789)]}, ["log header " * 12])
    lines = text.splitlines()
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    assert " lasts about " in lines[0] or "not limited by wear" in lines[0]


def test_verdict_picks_the_disk_that_dies_first():
    s = series("diskstats-14.log")
    c = report.make_card("slc")
    rs = [report.analyze(s[n], c, capacity=10**9, parent=ds.parent_of(n, s)) for n in s]
    assert report.pick_verdict_device(rs).device == "hda"


@pytest.mark.parametrize("days, text", [(1.157, "28 hours"), (23.0, "23 days"),
                                        (69.4, "2 months"), (4166.7, "11 years"),
                                        (1500.0, "4.1 years"), (None, "not limited by wear")])
def test_fmt_life(days, text):
    assert report.fmt_life(days) == text


@pytest.mark.parametrize("n, text", [(2304, "2.3 KB"), (128450560, "128 MB"), (0, "0 B"),
                                     (999, "999 B"), (23000, "23 KB")])
def test_fmt_bytes(n, text):
    assert report.fmt_bytes(n) == text
