"""The pure parts of `lvslite save` (lvslite.cardsave, lvslite.mounts) and its refusals
without root."""
import json
import os

from lvslite import cardsave, mounts
from lvslite.atomic import write_atomically
from lvslite.cli import main

MOUNTS = """\
/dev/sda2 / squashfs ro,relatime 0 0
tmpfs /run tmpfs rw,nosuid,nodev 0 0
/dev/sda3 /cfg vfat ro,noatime,fmask=0022 0 0
/dev/sdb1 /media/my\\040card vfat rw,relatime 0 0
/dev/sda3 /cfg vfat rw,noatime 0 0
"""
DISKSTATS = """\
   8       0 sda 100 0 2000 50 7 0 40 3 0 60 53 0 0 0 0
   8       1 sda1 10 0 200 5 0 0 0 0 0 5 5 0 0 0 0
   8       3 sda3 20 0 400 9 5 0 30 2 0 11 11 0 0 0 0
   7       0 loop0 1 0 8 0 0 0 0 0 0 0 0 0 0 0 0
"""


def test_find_mount_takes_the_last_mount_on_a_point_and_unescapes():
    m = mounts.find_mount(MOUNTS, "/cfg")
    assert m == mounts.Mount("/dev/sda3", "/cfg", "vfat", ("rw", "noatime"))
    assert not m.read_only
    assert mounts.find_mount(MOUNTS, "/media/my card").device == "/dev/sdb1"
    assert mounts.find_mount(MOUNTS, "/").read_only
    assert mounts.find_mount(MOUNTS, "/cf") is None


def test_the_mount_holding_a_path_is_the_longest_point_above_it():
    assert mounts.holding(MOUNTS, "/cfg/lvslite.json").options == ("rw", "noatime")
    assert mounts.holding(MOUNTS, "/media/my card/x").device == "/dev/sdb1"
    assert mounts.holding(MOUNTS, "/cfgx").point == "/"
    assert mounts.holding("", "/") is None


def test_device_counters_give_the_partition_and_its_disk():
    assert cardsave.device_counters(DISKSTATS, 8, 3) == {"sda3": 30, "sda": 40}
    assert cardsave.device_counters(DISKSTATS, 7, 0) == {"loop0": 0}
    assert cardsave.device_counters(DISKSTATS, 9, 9) == {}


def test_delta_only_for_devices_seen_both_times():
    assert cardsave.delta({"sda3": 30, "sda": 40}, {"sda3": 40, "sda": 52, "sdb": 1}) == {
        "sda3": 10, "sda": 12}


def saved(monkeypatch, capsys, report, *args):
    """What `lvslite save` prints when the save did `report`."""
    monkeypatch.setattr(cardsave, "save", lambda config, cfg: dict(report, config=config))
    assert main(["save", "-c", "/etc/lvslite.json", *args]) == 0
    return capsys.readouterr().out.splitlines()


def test_describe_reports_sectors_and_the_nothing_to_do_case(monkeypatch, capsys):
    r = {"config": "/etc/lvslite.json", "saved_to": "/cfg/lvslite.json", "bytes": 300,
         "saved": True, "device": "/dev/sda3", "sectors": {"sda3": 10, "sda": 10},
         "was_read_only": True}
    lines = saved(monkeypatch, capsys, r)
    assert lines[0] == "lvslite: saved /etc/lvslite.json to /cfg/lvslite.json (300 bytes)"
    assert "sda3 10 sectors (5.0 KiB)" in lines[1]
    assert "nothing written (0 sectors)" in saved(monkeypatch, capsys, dict(r, saved=False))[0]
    assert "left so" in saved(monkeypatch, capsys, dict(r, was_read_only=False))[-1]
    assert json.loads(saved(monkeypatch, capsys, r, "--json")[0]) == r


def test_write_atomically_replaces_the_file_and_leaves_no_temp(tmp_path):
    (tmp_path / "lvslite.json").write_text("old")
    write_atomically(str(tmp_path / "lvslite.json"), b"new", str(tmp_path / cardsave.TEMP))
    assert (tmp_path / "lvslite.json").read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["lvslite.json"]


def test_an_invalid_config_is_never_saved(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"services": [{"virtual": "10.0.0.1:80", "schedular": "rr"}]}')
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    assert main(["save", "-c", str(bad), "--cfg", str(cfg)]) == 1
    err = capsys.readouterr().err
    assert "schedular" in err and "not saved, the card is untouched" in err
    assert list(cfg.iterdir()) == []


def test_a_folder_that_is_not_a_mount_point_is_refused(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"services": []}))
    assert main(["save", "-c", str(good), "--cfg", str(tmp_path)]) == 1
    assert "not a mounted partition" in capsys.readouterr().err


def test_save_is_registered_in_the_cli():
    from lvslite.cli import build_parser
    ap = build_parser("save")
    args = ap.parse_args(["save", "-c", "x.json", "--cfg", "/mnt/cfg", "--json"])
    assert (args.config, args.cfg, args.json) == ("x.json", "/mnt/cfg", True)
