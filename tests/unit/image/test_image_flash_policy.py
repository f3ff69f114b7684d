"""The flasher's judgement of a device (firmware/flash/target.py, policy.py) on fake sysfs
trees: both removability paths, every refusal, and what --force may and may not override.
The host tests (tests/host/flash) run the same rules on real loop devices."""
from pathlib import Path

from firmware.flash import cli, policy
from firmware.flash.target import Target, from_sysfs, parse_mountinfo, parse_swaps

MiB = 1 << 20


def disk(root: Path, name: str, sectors: int, removable: str = "0", parts=(), dev="8:16",
         device_link: str = "", model: str = "Card Reader") -> Path:
    d = root / "devices" / name
    d.mkdir(parents=True)
    (d / "dev").write_text(dev + "\n")
    (d / "size").write_text(f"{sectors}\n")
    (d / "removable").write_text(removable + "\n")
    (d / "ro").write_text("0\n")
    (d / "holders").mkdir()
    if device_link:
        target = root / device_link
        target.mkdir(parents=True)
        (target / "model").write_text(model + "\n")
        (d / "device").symlink_to(target)
    for i, (psectors, pdev) in enumerate(parts, start=1):
        p = d / f"{name}{i}"
        p.mkdir()
        (p / "partition").write_text(f"{i}\n")
        (p / "dev").write_text(pdev + "\n")
        (p / "size").write_text(f"{psectors}\n")
        (p / "holders").mkdir()
    return d


def look(d: Path, mountinfo: str = "", swaps: str = "Filename Type Size Used Priority\n",
         cls=None) -> Target:
    return from_sysfs(f"/dev/{d.name}", d, mountinfo, swaps, cls)


def test_a_usb_card_reader_is_removable_even_when_the_flag_says_0(tmp_path):
    d = disk(tmp_path, "sdb", 2 * 1024 * 1024, "0",
             device_link="sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host6/target6:0:0/6:0:0:0")
    t = look(d)
    assert t.removable and "USB" in t.removable_why and t.model == "Card Reader"
    assert policy.refusals(t, 45 * MiB, force=False) == []


def test_the_removable_flag_and_mmc_cards_are_removable(tmp_path):
    assert look(disk(tmp_path, "sdc", 1 << 21, "1")).removable
    assert look(disk(tmp_path, "mmcblk0", 1 << 21, "0", dev="179:0")).removable


def test_a_fixed_disk_needs_force_and_only_force(tmp_path):
    t = look(disk(tmp_path, "sda", 1 << 30, "0",
                  device_link="sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0",
                  model="Samsung SSD"))
    assert not t.removable
    [why] = policy.refusals(t, 45 * MiB, force=False)
    assert "does not look removable" in why and "--force" in why and "Samsung SSD" in why
    assert policy.refusals(t, 45 * MiB, force=True) == []


def test_a_partition_is_refused_naming_the_disk(tmp_path):
    d = disk(tmp_path, "sdb", 1 << 21, "1", parts=[(1 << 20, "8:17")])
    t = look(d / "sdb1")
    assert t.partition and t.parent == "sdb" and t.number == 1
    [why] = policy.refusals(t, MiB, force=True)
    assert "partition 1 of /dev/sdb" in why and "give /dev/sdb" in why


def test_a_disk_holding_a_mounted_filesystem_is_refused_even_with_force(tmp_path):
    d = disk(tmp_path, "sdb", 1 << 21, "1", parts=[(1 << 20, "8:17"), (1 << 19, "8:18")])
    mi = "36 1 8:18 / /media/card rw,relatime shared:1 - vfat /dev/sdb2 rw\n"
    t = look(d, mi)
    assert t.mounts == (("sdb2", "/media/card"),)
    [why] = policy.refusals(t, MiB, force=True)
    assert "/dev/sdb2 on /media/card" in why and "unmount" in why


def test_a_device_mounted_itself_or_through_a_holder_is_refused(tmp_path):
    d = disk(tmp_path, "sdb", 1 << 21, "1", parts=[(1 << 20, "8:17")])
    cls = tmp_path / "class"
    dm = cls / "dm-0"
    dm.mkdir(parents=True)
    (dm / "dev").write_text("253:0\n")
    (dm / "holders").mkdir()
    (d / "sdb1" / "holders" / "dm-0").symlink_to(dm)
    t = look(d, "40 1 253:0 / /secret rw - ext4 /dev/mapper/x rw\n", cls=cls)
    assert t.holders == ("dm-0",) and t.mounts == (("dm-0", "/secret"),)
    assert policy.refusals(t, MiB, force=True)
    t2 = look(d, "", cls=cls)                   # held but not mounted: still in use
    [why] = policy.refusals(t2, MiB, force=True)
    assert "in use by dm-0" in why


def test_swap_and_read_only_and_too_small_are_refused(tmp_path):
    d = disk(tmp_path, "sdb", 2048, "1", parts=[(1024, "8:17")])
    (d / "ro").write_text("1\n")
    t = look(d, "", "Filename Type Size Used Priority\n/dev/sdb1 partition 512 0 -2\n")
    whys = policy.refusals(t, 45 * MiB, force=True)
    assert len(whys) == 3
    assert "swap" in whys[0] and "read-only" in whys[1] and "smaller than the image" in whys[2]


def test_missing_and_not_a_block_device():
    assert "no such device" in policy.refusals(Target("/dev/sdz"), 1, True)[0]
    assert "not a block device" in policy.refusals(Target("/tmp/x", exists=True), 1, True)[0]


def test_proc_parsers():
    assert parse_mountinfo("22 1 8:2 / / rw - ext4 /dev/sda2 rw\n"
                           "23 1 8:3 / /my\\040cfg ro - vfat /dev/sda3 ro\n") == {
        "8:2": ["/"], "8:3": ["/my cfg"]}
    assert parse_swaps("Filename Type Size Used Priority\n/dev/sda5 partition 1 0 -2\n"
                       "/swapfile file 1 0 -3\n") == ["sda5"]


def test_confirmation_takes_the_name_or_the_path_only():
    assert cli.confirm("sdb", lambda q: "sdb\n")
    assert cli.confirm("sdb", lambda q: "/dev/sdb")
    assert not cli.confirm("sdb", lambda q: "yes")
    assert not cli.confirm("sdb", lambda q: "sda")


def test_progress_without_a_terminal_is_four_lines(capsys):
    import sys
    bar = cli.Bar(100, "write", stream=sys.stdout)
    for _ in range(10):
        bar(10)
    bar.close()
    assert capsys.readouterr().out.splitlines() == [
        "flash: write 25%", "flash: write 50%", "flash: write 75%", "flash: write 100%"]
