"""`lvslite status`: the kernel's counters from /proc/net/ip_vs, 80 columns, stale warning."""
from lvslite.cmd.status import parse_proc_ip_vs, render
from lvslite.status import STALE_S

PROC = """IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port Forward Weight ActiveConn InActConn
TCP  0A000164:0050 rr
  -> 0A000014:0050      Masq    1      3          17
  -> 0A00000A:0050      Masq    1      0          2
FWM  00000007 wlc
  -> 0A00001E:0000      Route   1      5          0
TCP  [2001:0db8:0000:0000:0000:0000:0000:0064]:01BB wlc
  -> [2001:0db8:0000:0000:0000:0000:0000:000a]:01BB      Route   1      1          1
"""


def test_proc_ip_vs_counters_are_keyed_like_the_model():
    got = parse_proc_ip_vs(PROC)
    assert got[("tcp 10.0.1.100:80", "10.0.0.20:80")] == (3, 17)
    assert got[("tcp 10.0.1.100:80", "10.0.0.10:80")] == (0, 2)
    assert got[("fwmark:7", "10.0.0.30:0")] == (5, 0)
    assert got[("tcp [2001:db8::64]:443", "[2001:db8::a]:443")] == (1, 1)


def status(now, reason="timeout after 3.0s (connecting) while the server said nothing at all"):
    real = {"address": "10.0.0.20:80", "weight": 1, "effective_weight": None, "health": "down",
            "reason": reason, "checked_ago_s": 1.2}
    return {"pid": 42, "time": now, "config": "/etc/lvslite.json", "ops": 7,
            "interval_max_s": 2, "services": [
                {"virtual": "tcp 10.0.1.100:80", "scheduler": "rr", "reals": [
                    dict(real, address="10.0.0.10:80", health="up", reason="HTTP 200",
                         effective_weight=1), real],
                 "fallback": "127.0.0.1:80", "fallback_active": False}]}


def test_render_fits_80_columns_and_shows_counters():
    out = render(status(1000.0), parse_proc_ip_vs(PROC), now=1000.5)
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80, out
    i, row = next((i, l) for i, l in enumerate(lines) if l.lstrip().startswith("10.0.0.20:80"))
    assert row.split()[1:6] == ["-/1", "down", "1s", "3", "17"], row
    assert lines[i + 1].strip().startswith("timeout after 3.0s (connecting) while")  # not cut
    up = next(l for l in lines if l.lstrip().startswith("10.0.0.10:80"))
    assert up.endswith("HTTP 200")
    assert "WARNING" not in out


def test_a_stale_status_is_called_out():
    now = 1000.0 + STALE_S + 2 + 5
    out = render(status(1000.0), {}, now=now)
    assert out.splitlines()[1].startswith("WARNING: status is 17s old")
