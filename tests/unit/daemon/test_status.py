"""`lvslite status`: the kernel's counters from /proc/net/ip_vs, 80 columns, stale warning."""
import json
import os
import time

import pytest

from lvslite import status as statusfile
from lvslite.cli import main
from lvslite.ipvs import proc
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
    got = proc.connections(PROC)
    assert got[("tcp 10.0.1.100:80", "10.0.0.20:80")] == (3, 17)
    assert got[("tcp 10.0.1.100:80", "10.0.0.10:80")] == (0, 2)
    assert got[("fwmark:7", "10.0.0.30:0")] == (5, 0)
    assert got[("tcp [2001:db8::64]:443", "[2001:db8::a]:443")] == (1, 1)


def status(now, reason="timeout after 3.0s (connecting) while the server said nothing at all"):
    real = statusfile.real_entry("10.0.0.20:80", 1, None, "down", reason, 1.2)
    return statusfile.document(42, now, now - 60, "/etc/lvslite.json", 100, 7, 2, [
        statusfile.service_entry("tcp 10.0.1.100:80", "rr", [
            dict(real, address="10.0.0.10:80", health="up", reason="HTTP 200",
                 effective_weight=1), real], "127.0.0.1:80", False)])


@pytest.fixture
def lvslite_status(tmp_path, monkeypatch, capsys):
    """`lvslite status` on a status file written as the daemon writes it, with PROC as the
    kernel's /proc/net/ip_vs; its stdout."""
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path))
    (tmp_path / "ip_vs").write_text(PROC)
    monkeypatch.setattr(proc, "PROC", str(tmp_path / "ip_vs"))

    def run(doc, *args):
        statusfile.write(str(tmp_path), doc)
        assert main(["status", *args]) == 0
        return capsys.readouterr().out
    return run


def test_render_fits_80_columns_and_shows_counters(lvslite_status):
    out = lvslite_status(status(time.time() - 0.5))
    lines = out.splitlines()
    assert max(map(len, lines)) <= 80, out
    i, row = next((i, l) for i, l in enumerate(lines) if l.lstrip().startswith("10.0.0.20:80"))
    # checked 1.2 s before a write 0.5 s ago: 1.7 s ago now
    assert row.split()[1:6] == ["-/1", "down", "2s", "3", "17"], row
    assert lines[i + 1].strip().startswith("timeout after 3.0s (connecting) while")  # not cut
    up = next(l for l in lines if l.lstrip().startswith("10.0.0.10:80"))
    assert up.endswith("HTTP 200")
    assert "WARNING" not in out


def test_a_stale_status_is_called_out(lvslite_status):
    now = time.time()
    out = lvslite_status(status(now - (STALE_S + 2 + 5) + 0.2))
    assert out.splitlines()[1].startswith("WARNING: status file not updated for 17s (daemon pid")
    doc = json.loads(lvslite_status(status(now - (STALE_S + 2 + 5) + 0.2), "--json"))
    assert doc["stale"] is True


def test_json_adds_the_kernels_counters(lvslite_status):
    doc = json.loads(lvslite_status(status(time.time()), "--json"))
    reals = {r["address"]: (r["active"], r["inactive"]) for r in doc["services"][0]["reals"]}
    assert reals == {"10.0.0.10:80": (0, 2), "10.0.0.20:80": (3, 17)}
    assert doc["stale"] is False and doc["pid"] == 42


def test_no_status_file_exits_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path))
    assert main(["status"]) == 1
    assert capsys.readouterr().err.startswith(
        f"lvslite: error: {os.path.join(str(tmp_path), 'status.json')}: no status")
