"""Per-process write accounting: parsing /proc files and ranking over a window."""
from lvslite.wear import writers as w


def test_parse_io_and_stat():
    io = "rchar: 1\nwchar: 2\nsyscr: 3\nsyscw: 4\nread_bytes: 5\nwrite_bytes: 8192\n"
    assert w.parse_io(io) == 8192
    assert w.parse_io("rchar: 1\n") is None
    stat = "4242 (my (odd) name) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 98765 0 0"
    assert w.parse_stat(stat) == ("my (odd) name", 98765)


def snap(t, *procs):
    return w.ProcSnapshot(t, {(p.pid, p.start): p for p in procs})


def test_top_writers_counts_deltas_new_processes_and_pid_reuse():
    a0, a1 = w.Proc(10, 1, "syslogd", 1000), w.Proc(10, 1, "syslogd", 9000)
    b1 = w.Proc(20, 5, "cron", 3000)                  # new in the window: all of it counts
    c0, c1 = w.Proc(30, 2, "lvslite", 500), w.Proc(30, 2, "lvslite", 500)
    reused = w.Proc(10, 99, "dd", 100)               # pid 10 again, another process
    top = w.top_writers([snap(0, a0, c0), snap(60, a1, b1, c1, reused)])
    assert [(x.name, x.write_bytes) for x in top] == [("syslogd", 8000), ("cron", 3000),
                                                      ("dd", 100)]


def test_side_log_round_trip():
    procs = {(7, 3): w.Proc(7, 3, "name with spaces", 4096)}
    text = w.format_snapshot(1.5, procs) + w.format_snapshot(2.5, {}) + "@ 3"   # torn tail
    back = w.parse_snapshots(text)
    assert [s.t for s in back] == [1.5, 2.5]
    assert back[0].procs[(7, 3)].name == "name with spaces"


def test_snapshot_from_a_fake_proc(tmp_path):
    for pid, name, wb in [(1, "init", 0), (2, "syslogd", 777)]:
        d = tmp_path / str(pid)
        d.mkdir()
        (d / "io").write_text(f"rchar: 0\nwrite_bytes: {wb}\n")
        (d / "stat").write_text(f"{pid} ({name}) S 0 0 0 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0")
    (tmp_path / "self").mkdir()
    got = w.snapshot(str(tmp_path))
    assert list(got.values()) == [w.Proc(2, 55, "syslogd", 777, ())]   # writers only
