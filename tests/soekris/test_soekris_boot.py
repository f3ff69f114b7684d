"""The Soekris cards (firmware/cross) booted on their boards' emulated CPU models
(docs/reference/firmware.md#the-cross-route): the net4801's under `-cpu pentium -m 128`, the
net4501's under `-cpu 486 -m 64`, each once per session.

Inside: the CPU has no CMOV (the model really is the old one) and the musl userland runs on
it; `lvslite run` programs the seed's two services; the health checks follow real HTTP
servers (one stopped and started again); client requests through the VIP are answered by
the reals; `lvslite save` writes the changed config to /cfg and only there; a minute of
checks and traffic writes not one sector to the card; the memory left with the daemon
running is at least half the board's RAM. Measurements go to the session summary and to
.cache/image/run/<board>/measured.json (printed by `make image-bench`).
"""
from __future__ import annotations

import json
import re
import time

import imagelab
import soekrislab
from imagelab import counters, wait_table

STEADY_S = 60


def board(card) -> str:
    return card.manifest["board"]


def save_measured(card, **values) -> None:
    imagelab.save_measured(soekrislab.out_dir(board(card)) / "measured.json", **values)


def test_the_cpu_model_has_no_cmov_and_the_userland_runs(guest, card, report):
    info = guest.out("cat /proc/cpuinfo")
    flags = re.search(r"^flags\s*:(.*)$", info, re.M)
    assert flags is not None, info
    assert "cmov" not in flags.group(1).split(), flags.group(1)
    if card.manifest["qemu_cpu"] == "486":
        assert re.search(r"^cpu family\s*:\s*4$", info, re.M), info
    assert guest.out("python3 -c 'import sys; print(sys.version.split()[0])'").strip() \
        .startswith("3.11")
    model = re.search(r"^model name\s*:\s*(.*)$", info, re.M)
    release = guest.out("cat /etc/lvslite-release")
    assert f"flavour=cross-{board(card)}" in release
    report.add(f"{board(card)}: cpu `{model.group(1).strip() if model else '?'}`, flags "
               f"{flags.group(1).strip()}")


def test_boot_reaches_lvslite_run_and_leaves_half_the_ram(guest, card, report):
    pid = guest.out("cat /run/lvslite/lvslite.pid").strip()
    assert "lvslite run" in guest.out(f"tr '\\0' ' ' < /proc/{pid}/cmdline")
    m = imagelab.memory(guest)
    ram_kb = card.manifest["qemu_mb"] * 1024
    report.add(f"{board(card)}: MemTotal {m['mem_total_kb'] // 1024} MiB, MemAvailable "
               f"{m['mem_available_kb'] // 1024} MiB with `lvslite run` (RSS "
               f"{m['daemon_rss_kb'] / 1024:.1f} MiB)")
    save_measured(card, boot_shell_s=round(guest.boot_seconds, 1),
                  daemon_up_s=round(guest.daemon_seconds, 1),
                  table_up_s=round(guest.table_seconds, 1), **m)
    assert m["mem_available_kb"] * 2 >= ram_kb, m


def test_the_seed_services_are_programmed(guest, lab, card, report):
    t0 = time.monotonic()
    want, have = wait_table(guest)
    assert have == want, (f"kernel table {have} != /cfg/lvslite.json {want}\n"
                          f"{guest.out('cat /proc/net/ip_vs; logread | tail -15')}")
    assert len(have) == 2
    proc = guest.out("cat /proc/net/ip_vs")
    for port in soekrislab.PORTS:
        assert soekrislab.hexaddr(soekrislab.VIP, port) in proc, proc
        for addr in soekrislab.REALS.values():
            assert soekrislab.hexaddr(addr, port) in proc, proc
    report.add(f"{board(card)}: services in the kernel {guest.table_seconds:.1f} s after "
               f"qemu started; /proc/net/ip_vs matches /cfg/lvslite.json, reals included, "
               f"{time.monotonic() - t0:.1f} s after the lab was up")


def test_health_checks_follow_a_real_server(guest, lab, card):
    wait_table(guest)
    soekrislab.stop_real(guest, "rs2", 80)
    rs2 = soekrislab.hexaddr(soekrislab.REALS["rs2"], 80)
    end = time.monotonic() + 60
    while rs2 in guest.out("cat /proc/net/ip_vs") and time.monotonic() < end:
        time.sleep(1)
    table = guest.out("cat /proc/net/ip_vs")
    assert rs2 not in table, f"rs2:80 stopped answering but stays in the table:\n{table}"
    assert soekrislab.hexaddr(soekrislab.REALS["rs2"], 443) in table, \
        "rs2:443 still answers and must stay"
    soekrislab.start_real(guest, "rs2", 80)
    want, have = wait_table(guest, timeout=60)
    assert have == want, "rs2:80 answers again but did not come back"


def test_clients_reach_the_reals_through_the_vip(guest, lab, card, report):
    wait_table(guest)
    for port in soekrislab.PORTS:
        out = guest.out(f"{soekrislab.ns('cl')} wget -q -T 5 -O - http://{soekrislab.VIP}:{port}/",
                        timeout=60)
        assert out.strip() in soekrislab.REALS, out
    # persistence (1800 s) pins a client to one real; another client address would change it
    report.add(f"{board(card)}: HTTP through {soekrislab.VIP}:80 and :443 answered by the reals")


def test_save_writes_only_the_cfg_partition(guest, lab, card, report):
    cfg = json.loads(guest.out("cat /etc/lvslite.json"))
    cfg["services"][0]["scheduler"] = "wlc"
    quoted = json.dumps(cfg).replace("'", "'\\''")         # the seed's "I'm alive!"
    guest.sh(f"printf '%s\\n' '{quoted}' > /etc/lvslite.json")
    guest.sh("kill -HUP $(cat /run/lvslite-supervise.pid)")  # reload, as the motd says
    want, have = wait_table(guest, path="/etc/lvslite.json")
    assert have == want
    before = counters(guest)
    out = guest.out("lvslite save --json", timeout=120)
    after = counters(guest)
    saved = json.loads(out.strip().splitlines()[-1])
    measured = {n: after[n] - before[n] for n in after}
    report.add(f"{board(card)}: lvslite save reported {saved['sectors']}; diskstats {measured}")
    assert saved["saved"] is True
    assert 0 < saved["sectors"]["sda3"] <= measured["sda3"]
    assert measured["sda1"] == measured["sda2"] == 0
    assert json.loads(guest.out("cat /cfg/lvslite.json"))["services"][0]["scheduler"] == "wlc"
    assert "nothing written" in guest.out("lvslite save")


def test_steady_state_writes_nothing_to_the_card(guest, lab, card, report):
    want, have = wait_table(guest, path="/etc/lvslite.json")
    assert have == want
    before = counters(guest)
    m0 = imagelab.memory(guest)
    t0 = time.monotonic()
    cl = soekrislab.ns("cl")
    out = guest.out(f"{cl} sh -c '{imagelab.traffic(STEADY_S, f'http://{soekrislab.VIP}/')}'",
                    timeout=STEADY_S + 120)
    wall = time.monotonic() - t0
    m1 = imagelab.memory(guest)
    after = counters(guest)
    ok = int(re.search(r"ok=(\d+)", out).group(1))
    cpu = imagelab.check_cpu(guest, m0, m1, wall)
    report.add(f"{board(card)}: steady state {STEADY_S} s: {out.strip()}; card sectors "
               f"{before} -> {after}; daemon CPU {cpu['steady_daemon_cpu_s']:.2f} s for "
               f"~{cpu['checks']} checks ({cpu['cpu_ms_per_check']} ms per check), RSS "
               f"{m1['daemon_rss_kb'] / 1024:.1f} MiB")
    save_measured(card, steady_requests_ok=ok, steady_mem_available_kb=m1["mem_available_kb"],
                  steady_sectors={n: after[n] - before[n] for n in after}, **cpu)
    assert ok > 0, out
    assert m1["daemon_pid"] == m0["daemon_pid"], "the daemon restarted during the minute"
    assert before and after == before, f"the card was written: {before} -> {after}"


def test_daemon_start_time(guest, card, report):
    """Wall time of `lvslite check` (interpreter start, imports, the config parsed), on the
    board's CPU model: what a restart of the daemon costs before it programs anything."""
    out = guest.out("time lvslite check -c /etc/lvslite.json 2>&1", timeout=120)
    m = re.search(r"real\s+(?:(\d+)m\s*)?([\d.]+)s", out)
    assert m, out
    secs = int(m.group(1) or 0) * 60 + float(m.group(2))
    save_measured(card, lvslite_check_s=secs)
    report.add(f"{board(card)}: `lvslite check` {secs:.2f} s wall")
