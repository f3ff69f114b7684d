"""ops: ipvsadm command lines (shared by --dry-run and the ipvsadm backend), the summary
and the ipvsadm backend's reading of `ipvsadm -S -n`."""
import pytest

from lvslite.ipvs.ipvsadm import ParseError, parse_save
from lvslite.ipvs.ops import argv, command_line, netmask_text
from lvslite.model import (ADD_REAL, ADD_SERVICE, DEL_REAL, DEL_SERVICE, EDIT_REAL,
                           EDIT_SERVICE, F_ONEPACKET, F_SCHED1, F_SCHED2, F_SCHED3, Op, Real,
                           RealKey, ServiceKey, VirtualService, summary)

WEB = VirtualService(ServiceKey(4, "tcp", "10.0.0.100", 80), "wrr", 1800, 32, 0)
R1 = Real(RealKey("10.0.0.10", 80), 1, "gate")


def test_command_lines_follow_ipvsadm_grammar():
    assert command_line(Op(ADD_SERVICE, WEB)) == "ipvsadm -A -t 10.0.0.100:80 -s wrr -p 1800"
    assert command_line(Op(EDIT_SERVICE, VirtualService(WEB.key, "rr"))) == \
        "ipvsadm -E -t 10.0.0.100:80 -s rr"
    assert command_line(Op(DEL_SERVICE, WEB)) == "ipvsadm -D -t 10.0.0.100:80"
    assert command_line(Op(ADD_REAL, WEB, R1)) == \
        "ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.10:80 -g -w 1"
    assert command_line(Op(EDIT_REAL, WEB, Real(R1.key, 0, "masq"))) == \
        "ipvsadm -e -t 10.0.0.100:80 -r 10.0.0.10:80 -m -w 0"
    assert command_line(Op(DEL_REAL, WEB, R1)) == "ipvsadm -d -t 10.0.0.100:80 -r 10.0.0.10:80"


def test_every_attribute_is_always_given_because_ipvsadm_E_resets_the_rest():
    svc = VirtualService(ServiceKey(6, "", "", 0, 9), "sh", 60, 64,
                         F_ONEPACKET | F_SCHED1 | F_SCHED2)
    assert argv(Op(EDIT_SERVICE, svc)) == ["-E", "-f", "9", "-6", "-s", "sh", "-p", "60",
                                           "-M", "64", "-o", "-b", "sh-fallback,sh-port"]
    udp = VirtualService(ServiceKey(4, "sctp", "10.0.0.1", 9), "wlc", 300, 24, F_SCHED3)
    assert argv(Op(ADD_SERVICE, udp)) == ["-A", "--sctp-service", "10.0.0.1:9", "-s", "wlc",
                                          "-p", "300", "-M", "255.255.255.0", "-b", "flag-3"]
    v6real = Real(RealKey("2001:db8::a", 0), 2, "ipip")
    assert argv(Op(ADD_REAL, svc, v6real)) == ["-a", "-f", "9", "-6", "-r", "[2001:db8::a]:0",
                                               "-i", "-w", "2"]


def test_netmask_text():
    assert netmask_text(4, 32) is None and netmask_text(6, 128) is None
    assert netmask_text(4, 24) == "255.255.255.0" and netmask_text(4, 0) == "0.0.0.0"
    assert netmask_text(4, 17) == "255.255.128.0" and netmask_text(6, 48) == "48"


def test_summary_counts_operations():
    ops = [Op(ADD_SERVICE, WEB), Op(ADD_REAL, WEB, R1), Op(EDIT_REAL, WEB, R1),
           Op(DEL_SERVICE, WEB), Op(DEL_REAL, WEB, R1)]
    assert summary(ops) == (2, 1, 2)
    assert summary([]) == (0, 0, 0)


def test_rendered_adds_read_back_as_the_same_table():
    """The add lines are `ipvsadm -S -n` lines too (same option order): parsing them gives
    the table they were made from."""
    svcs = [WEB,
            VirtualService(ServiceKey(4, "udp", "10.0.0.100", 53), "rr", 0, 32, F_ONEPACKET),
            VirtualService(ServiceKey(6, "tcp", "2001:db8::1", 443), "mh", 10, 48, F_SCHED2),
            VirtualService(ServiceKey(4, "", "", 0, 3), "lc")]
    reals = {WEB.key: (R1, Real(RealKey("10.0.0.11", 80), 0, "ipip")),
             svcs[3].key: (Real(RealKey("192.168.0.1", 0), 4, "masq"),)}
    lines = []
    for s in svcs:
        lines.append(" ".join(argv(Op(ADD_SERVICE, s))))
        lines += [" ".join(argv(Op(ADD_REAL, s, r))) for r in reals.get(s.key, ())]
    table = parse_save("\n".join(lines))
    assert set(table) == {s.key for s in svcs}
    for s in svcs:
        got = table[s.key]
        assert (got.scheduler, got.persistent, got.netmask, got.flags) == \
            (s.scheduler, s.persistent, s.netmask, s.flags)
        assert got.reals == tuple(sorted(reals.get(s.key, ()), key=lambda r: r.key))


def test_parse_save_reports_what_it_does_not_understand():
    with pytest.raises(ParseError) as exc:
        parse_save("-A -t 10.0.0.1:80 -s rr\n-X -t 10.0.0.1:80\n")
    assert "line 2" in str(exc.value)
    assert parse_save("") == {}
