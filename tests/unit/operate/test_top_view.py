"""lvslite.top's frame and lvslite.ipvs.proc's readers on the seed's two services
(tests/fixtures/top: /proc/net/ip_vs and ip_vs_stats as the kernel writes them, a status
file as the daemon writes it)."""
import json
import subprocess
import sys
from pathlib import Path

from lvslite import top
from lvslite.ipvs import proc

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "top"
STATUS = json.loads((FIX / "status.json").read_text())
IP_VS = (FIX / "ip_vs").read_text()
STATS = (FIX / "ip_vs_stats").read_text()
NOW = STATUS["time"] + 1.5


def test_proc_readers():
    assert proc.version(IP_VS) == ("1.2.1", 4096)
    assert proc.version("something else\n") is None
    t = proc.table(IP_VS)
    assert [(s, sched, p, len(r)) for s, sched, p, r in t] == [
        ("tcp 10.0.0.100:80", "wrr", True, 1), ("tcp 10.0.0.100:443", "wrr", True, 2),
        ("udp 10.0.0.200:53", "rr", False, 1)]
    assert t[2][3] == [("10.0.0.40:53", "masq", 5, 0, 0)]
    assert proc.stats(STATS) == {"conns": 500, "inpkts": 12000, "outpkts": 0,
                                 "inbytes": 2000000, "outbytes": 0, "cps": 4, "inpps": 60,
                                 "outpps": 0, "inbps": 10000, "outbps": 0}
    assert proc.stats("nothing\n") is None


def test_frame_fits_80x24_and_says_what_each_real_is():
    lines = top.frame(STATUS, IP_VS, STATS, NOW, 2)
    assert len(lines) <= 24 and all(len(ln) < 80 for ln in lines)
    assert "daemon pid 812 2s ago" in lines[0]
    assert lines[1].startswith("IPVS 1.2.1     4 conn/s  in   60p/s  10kB/s")
    assert lines[1].endswith("total 500")
    by_real = {ln.split()[0]: ln.split() for ln in lines if ln.startswith("  10.")}
    assert by_real["10.0.0.10:80"][:3] == ["10.0.0.10:80", "out/1", "down"]
    assert by_real["10.0.0.20:80"][:6] == ["10.0.0.20:80", "dr", "1/1", "up", "3", "12"]
    assert by_real["10.0.0.20:443"][4:6] == ["2", "7"]
    svc = [ln for ln in lines if ln.startswith("tcp 10.0.0.100:443")][0]
    assert svc.split()[-2:] == ["3", "11"]          # the reals' connections summed
    # the kernel's service lvslite does not manage is listed from /proc alone
    assert any(ln.startswith("udp 10.0.0.200:53 rr (not lvslite's)") for ln in lines)
    # the columns line up: every real's act column ends where the title's does
    titles = lines[2]
    end = titles.index("act") + 3
    for ln in lines[3:]:
        if ln.startswith("  10."):
            assert ln[end - 1] != " " and ln[end] == " ", ln


def test_frame_without_daemon_or_ipvs():
    lines = top.frame(None, IP_VS, STATS, NOW, 2)
    assert "no status file" in lines[0]
    assert any(ln.split()[:4] == ["10.0.0.10:443", "dr", "1", "-"] for ln in lines)
    bare = top.frame(None, None, None, NOW, 2)
    assert bare[1].startswith("IPVS not available")


def test_a_refresh_changes_only_the_lines_that_moved():
    before = top.frame(STATUS, IP_VS, STATS, NOW, 2)
    busier = IP_VS.replace("2          7 ", "5          7 ")
    after = top.frame(STATUS, busier, STATS, NOW, 2)
    changed = [i for i, (a, b) in enumerate(zip(before, after)) if a != b]
    assert [after[i].split()[0] for i in changed] == ["tcp", "10.0.0.20:443"]


def test_frame_cut_to_the_window():
    lines = top.frame(STATUS, IP_VS, STATS, NOW, 2, width=40, height=6)
    assert len(lines) == 6 and all(len(ln) < 40 for ln in lines)
    assert lines[-1].startswith("... 6 more lines")


def test_rate_keeps_four_characters():
    assert [top.rate(n) for n in (0, 999, 1234, 12345, 123456, 1234567)] == [
        "0", "999", "1.2k", "12k", "123k", "1.2M"]


def test_once_prints_plain_text_without_curses(tmp_path):
    """--once never imports curses (a script's pipe is no terminal) and prints one frame."""
    (tmp_path / "status.json").write_text(json.dumps(STATUS))
    code = ("import sys, lvslite.cli\n"
            "rc = lvslite.cli.main(['top', '--once'])\n"
            "assert 'curses' not in sys.modules and '_curses' not in sys.modules\n"
            "sys.exit(rc)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env={"LVSLITE_STATE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
                       cwd=str(FIX.parents[2]))
    assert p.returncode == 0, p.stderr
    assert "10.0.0.20:443" in p.stdout and "\x1b" not in p.stdout
