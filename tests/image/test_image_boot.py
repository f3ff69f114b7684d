"""The card image booted like a CF card (docs/design.md#how-the-tests-reach-a-real-kernel): the boot reaches a running
`lvslite run`; the kernel's IPVS table equals the config on /cfg; / is read-only; a minute of
health checks and client traffic through the director writes not one sector to the card;
`lvslite save` writes the config, says how many sectors it wrote, and the saved config is
what the box runs after a power cut and a new boot.
"""
from __future__ import annotations

import json
import re
import time

import imagelab
from imagelab import OUT, REALS, VIP, boot, build_lab, config, counters, wait_table

STEADY_S = 60


def test_boot_reaches_lvslite_run(guest, report):
    pid = guest.out("cat /run/lvslite/lvslite.pid").strip()
    cmd = guest.out(f"tr '\\0' ' ' < /proc/{pid}/cmdline")
    assert "lvslite run" in cmd
    supervisor = guest.out("ps")
    assert "lvslite-supervise" in supervisor
    mem = dict(re.findall(r"(\w+):\s+(\d+) kB", guest.out("cat /proc/meminfo")))
    rss = re.search(r"VmRSS:\s+(\d+)", guest.out(f"cat /proc/{pid}/status")).group(1)
    imagelab.save_measured(OUT / "measured.json", boot_shell_s=round(guest.boot_seconds, 1),
                           daemon_up_s=round(guest.daemon_seconds, 1), **imagelab.memory(guest))
    report.add(f"memory after boot: MemTotal {int(mem['MemTotal']) // 1024} MiB, MemFree "
               f"{int(mem['MemFree']) // 1024} MiB, MemAvailable "
               f"{int(mem['MemAvailable']) // 1024} MiB; `lvslite run` RSS {int(rss) // 1024} MiB")
    assert int(mem["MemAvailable"]) > 64 * 1024     # "most of 128 MB" left for the agent


def test_logs_and_wear_samples_go_to_ram(guest):
    """syslog into busybox's RAM ring buffer (logread), wear samples into /run/lvslite."""
    daemon_lines = guest.out("logread | grep -c 'lvslite\\['").split()[0]
    assert int(daemon_lines) > 0, guest.out("logread | tail")
    assert guest.out("head -1 /run/lvslite/wear.log").startswith("@ ")
    assert int(guest.out("grep -c ' sda ' /run/lvslite/wear.log").split()[0]) >= 1
    assert guest.out("stat -f -c %T /run/lvslite").strip() == "tmpfs"
    assert " /var/log " not in guest.out("cat /proc/mounts")     # no log file system at all


def test_the_supervisor_restarts_the_daemon(guest):
    old = guest.out("cat /run/lvslite/lvslite.pid").strip()
    guest.sh(f"kill -9 {old}")
    end = time.monotonic() + 120
    new = old
    while new == old and time.monotonic() < end:
        time.sleep(2)
        rc, out = guest.sh("cat /run/lvslite/lvslite.pid; "
                           "tr '\\0' ' ' < /proc/$(cat /run/lvslite/lvslite.pid)/cmdline",
                           check=False)
        if rc == 0 and "lvslite run" in out:
            new = out.split()[0]
    assert new != old, guest.out("ps; logread | tail -5")
    assert "exited with status" in guest.out("logread | grep lvslite-supervise | tail -1")


def test_root_is_read_only(guest):
    rc, out = guest.sh("touch /lvslite-write-test", check=False)
    assert rc != 0 and "Read-only file system" in out
    mounts = guest.out("cat /proc/mounts")
    root = next(line.split() for line in mounts.splitlines() if line.split()[1] == "/")
    assert root[2] == "squashfs" and "ro" in root[3].split(",")
    cfg = next(line.split() for line in mounts.splitlines() if line.split()[1] == "/cfg")
    assert cfg[2] == "vfat" and "ro" in cfg[3].split(",")
    for tmp in ("/run", "/tmp", "/var"):
        assert any(line.split()[1] == tmp and line.split()[2] == "tmpfs"
                   for line in mounts.splitlines()), f"{tmp} is not tmpfs"


def test_kernel_table_equals_cfg(guest, lab, report):
    want, have = wait_table(guest)
    assert have == want, (f"kernel table {have} != /cfg/lvslite.json {want}\n"
                          f"{guest.out('ipvsadm -Ln; logread | tail -15')}")
    report.add("IPVS table after boot (ipvsadm -Sn): "
               + " | ".join(guest.out("ipvsadm -Sn").strip().splitlines()))
    assert guest.out("sysctl -n net.ipv4.ip_forward").strip() == "1"   # masq in the config


def test_steady_state_writes_nothing_to_the_card(guest, lab, report):
    want, have = wait_table(guest)
    assert have == want
    before = counters(guest)
    m0, t0 = imagelab.memory(guest), time.monotonic()
    status0 = guest.out("stat -c %Y /run/lvslite/status.json").strip()
    out = guest.out(
        f": > /tmp/seen; ip netns exec cl sh -c "
        f"'{imagelab.traffic(STEADY_S, f'http://{VIP}/', '/tmp/seen')}'; "
        f"sort /tmp/seen | uniq -c", timeout=STEADY_S + 120)
    wall = time.monotonic() - t0
    after = counters(guest)
    imagelab.save_measured(OUT / "measured.json", steady_sectors={n: after[n] - before[n]
                                                                  for n in after},
                           **imagelab.check_cpu(guest, m0, imagelab.memory(guest), wall))
    status1 = guest.out("stat -c %Y /run/lvslite/status.json").strip()
    report.add(f"steady state {STEADY_S} s: {out.split(chr(10))[0].strip()}; served by "
               f"{' '.join(out.split()[2:])}")
    report.add(f"  card written sectors before {before}")
    report.add(f"  card written sectors after  {after}")
    ok = int(re.search(r"ok=(\d+)", out).group(1))
    assert ok > 0, out
    for name in REALS:
        assert name in out, f"{name} served nothing through the director:\n{out}"
    assert int(status1) > int(status0), "the daemon stopped rewriting its status (no checks?)"
    assert before and after == before, f"the card was written: {before} -> {after}"


def test_daemon_start_time(guest):
    """Wall time of `lvslite check` (interpreter start, imports, the config parsed): printed
    by `make image-bench` beside the Soekris cards' figure."""
    out = guest.out("time -p lvslite check -c /etc/lvslite.json 2>&1", timeout=120)
    m = re.search(r"real\s+([\d.]+)", out)
    assert m, out
    imagelab.save_measured(OUT / "measured.json", lvslite_check_s=float(m.group(1)))


def test_save_persists_across_a_power_cut(guest, lab, card, report):
    bad = guest.sh("(printf '%s\\n' '{\"services\": [{\"virtual\": \"nonsense\"}]}' "
                   "> /tmp/bad.json; c0=$(grep ' sda ' /proc/diskstats); "
                   "lvslite save -c /tmp/bad.json; rc=$?; "
                   "[ \"$c0\" = \"$(grep ' sda ' /proc/diskstats)\" ] && echo untouched; "
                   "exit $rc)", check=False)
    assert bad[0] == 1 and "untouched" in bad[1] and "not saved" in bad[1], bad

    new = config("wrr", (1, 3))
    text = json.dumps(new)
    assert "'" not in text
    guest.sh(f"printf '%s\\n' '{text}' > /etc/lvslite.json")
    guest.sh("kill -HUP $(cat /run/lvslite-supervise.pid)")      # reload, as the motd says
    want, have = wait_table(guest, path="/etc/lvslite.json")
    assert have == want and next(iter(have.values())).scheduler == "wrr"
    before = counters(guest)
    out = guest.out("lvslite save --json", timeout=120)
    after = counters(guest)
    saved = json.loads(out.strip().splitlines()[-1])
    measured = {n: after[n] - before[n] for n in after}
    report.add(f"lvslite save: reported {saved['sectors']} sectors; diskstats around it "
               f"{measured}")
    assert saved["saved"] is True
    assert saved["sectors"].get("sda3", 0) > 0
    assert 0 < saved["sectors"]["sda3"] <= measured["sda3"]
    assert measured["sda1"] == measured["sda2"] == 0
    again = guest.out("lvslite save")
    assert "nothing written" in again
    assert "ro" in next(l.split()[3].split(",") for l in guest.out("cat /proc/mounts")
                        .splitlines() if l.split()[1] == "/cfg")

    guest.power_cut()                              # no shutdown, no sync: pull the plug
    g2 = boot(card, "boot 2 (same disk, after lvslite save and a power cut)")
    try:
        assert json.loads(g2.out("cat /cfg/lvslite.json")) == new
        build_lab(g2)
        want, have = wait_table(g2)
        assert have == want
        svc = next(iter(have.values()))
        assert svc.scheduler == "wrr"
        assert sorted(r.weight for r in svc.reals) == [1, 3]
        report.add("IPVS table after the reboot: "
                   + " | ".join(g2.out("ipvsadm -Sn").strip().splitlines()))
    finally:
        g2.power_cut()

