"""The rig carries real traffic through real IPVS: LVS-NAT and LVS-DR with ipvsadm."""
from lab import wait_for

VIP = "10.0.1.100"


def test_guest_kernel_has_ipvs(lab):
    out = lab.ipvsadm("-Ln")
    assert "IP Virtual Server version" in out
    assert lab.ipvsadm("-Sn") == ""  # a fresh namespace starts with an empty table


def test_nat_reaches_both_reals(lab):
    lab.add_vip(VIP)
    lab.ipvsadm(f"-A -t {VIP}:80 -s rr")
    for addr in lab.reals.values():
        lab.ipvsadm(f"-a -t {VIP}:80 -r {addr}:80 -m -w 1")
    seen = lab.get(VIP, count=20)
    assert set(seen) == set(lab.reals), seen
    assert seen["rs1"] == seen["rs2"] == 10, seen
    # the connections really went through IPVS, not around it
    assert "-> 10.0.0.10:80" in lab.ipvsadm("-Ln")
    # the kernel's estimator folds per-cpu counters every 2 s
    def conns():
        line = lab.ipvsadm("-Ln --stats").split(f"TCP  {VIP}:80")[1].splitlines()[0]
        return int(line.split()[0])
    assert wait_for(lambda: conns() == 20, timeout=6), lab.ipvsadm("-Ln --stats")


def test_direct_routing_reaches_both_reals(lab):
    lab.add_vip(VIP)
    lab.vip_on_reals(VIP)
    lab.ipvsadm(f"-A -t {VIP}:80 -s rr")
    for addr in lab.reals.values():
        lab.ipvsadm(f"-a -t {VIP}:80 -r {addr}:80 -g -w 1")
    seen = wait_for(lambda: lab.get(VIP, count=20), timeout=5)
    assert set(seen) == set(lab.reals), seen
    assert "Route" in lab.ipvsadm("-Ln")
