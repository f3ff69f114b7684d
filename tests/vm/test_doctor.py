"""`lvslite doctor` in the guest's real kernel: one layer broken at a time, each named with its
fix, and exit 0 once everything is fixed (docs/operate.md#lvslite-doctor).

Every break is the real thing: IPVS unloaded with modprobe -r; a scheduler module missing from
the module tree (modules.dep without it, bound over the real one in a private mount
namespace, the way a kernel built without it looks); forwarding switched off; the VIP removed;
a real's link down; the state directory on a file system that is not tmpfs (an overlay); the
root file system remounted read-write. The guest's root is the host's, shared read-only over
9p (the host side refuses writes whatever the guest's mount says), so remounting it
read-write and back is harmless.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab import sh, wait_for

REPO = Path(__file__).resolve().parents[2]
VIP = "10.0.1.100"
SCHEDULERS = ["ip_vs_rr", "ip_vs_wrr", "ip_vs_lc", "ip_vs_wlc", "ip_vs_sh"]  # rig.py's


def doctor(cfg: Path, ns: str = "", state: str = "/run/lvslite-doctor", pre: str = ""):
    """(exit status, output) of `lvslite doctor -c cfg`, in namespace `ns`, after the shell
    line `pre` (in the same shell, so a private mount namespace stays)."""
    line = (f"{pre} exec {sys.executable} -m lvslite doctor -c {cfg} --timeout 1")
    cmd = ["sh", "-c", line]
    if pre:
        cmd = ["unshare", "-m", "--propagation", "private"] + cmd
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    env = dict(os.environ, PYTHONPATH=str(REPO), LVSLITE_STATE_DIR=state)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=str(REPO), timeout=120)
    print(f"$ lvslite doctor ({pre or 'as is'}) -> exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p.returncode, p.stdout


def finding(out: str, level: str, layer: str, *words: str) -> str:
    """The one line of `level` and `layer` holding every word; fails naming what was seen."""
    lines = [ln for ln in out.splitlines()
             if ln.split()[:2] == [level, layer] and all(w in ln for w in words)]
    assert lines, f"no `{level} {layer}` line with {words} in:\n{out}"
    return lines[0]


def problems(out: str) -> list:
    return [ln for ln in out.splitlines() if ln.split()[:1] in (["warn"], ["error"])]


def write_config(path: Path, scheduler: str = "wrr") -> Path:
    path.write_text(json.dumps({"services": [{
        "virtual": f"{VIP}:80", "scheduler": scheduler, "forward": "masq",
        "check": {"type": "connect", "interval": 1, "timeout": 1},
        "reals": ["10.0.0.10:80", "10.0.0.20:80"]}]}))
    return path


def unload_ipvs() -> bool:
    """modprobe -r every loaded IPVS module; True once none is loaded."""
    loaded = [ln.split()[0] for ln in open("/proc/modules") if ln.startswith("ip_vs")]
    if not loaded:
        return True
    subprocess.run(["modprobe", "-r", *loaded], capture_output=True)
    return False


def test_kernel_and_scheduler_layers(tmp_path):
    """IPVS not loaded; then a scheduler the module tree does not have."""
    cfg = write_config(tmp_path / "sed.json", scheduler="sed")
    # namespaces of earlier tests may still be going away and hold the modules for a moment
    gone = wait_for(unload_ipvs, timeout=30, interval=1)
    try:
        assert gone, sh("lsmod | grep ip_vs", check=False)
        assert not os.path.exists("/proc/net/ip_vs")
        rc, out = doctor(cfg)
        assert rc == 1
        line = finding(out, "error", "kernel", "not loaded", "modules.dep")
        assert line.endswith("fix: modprobe ip_vs")
    finally:
        sh(f"modprobe -a ip_vs {' '.join(SCHEDULERS)}")
    rc, out = doctor(cfg)
    finding(out, "ok", "kernel", "IPVS 1.2.1 loaded")
    finding(out, "ok", "scheduler", "sed", "loadable")
    # the module tree of a kernel built without ip_vs_sed: its modules.dep lacks the line
    dep = f"/lib/modules/{os.uname().release}/modules.dep"
    trimmed = tmp_path / "modules.dep"
    trimmed.write_text("".join(ln for ln in open(dep) if "/ip_vs_sed.ko" not in ln))
    rc, out = doctor(cfg, pre=f"mount --bind {trimmed} {dep} &&")
    assert rc == 1
    finding(out, "error", "scheduler", "sed", "ip_vs_sed is not loaded",
            "pick another scheduler")


@pytest.fixture
def box(lab, tmp_path):
    """The lab's director with everything right: VIP up, forwarding on, the expire sysctls
    set, the config applied, reals answering, state on tmpfs."""
    cfg = write_config(tmp_path / "lvslite.json")
    lab.add_vip(VIP)
    lab.run(lab.director, "sysctl -qw net.ipv4.vs.expire_nodest_conn=1 "
                          "net.ipv4.vs.expire_quiescent_template=1")
    env = dict(os.environ, PYTHONPATH=str(REPO), LVSLITE_STATE_DIR="/run/lvslite-doctor")
    subprocess.run(["ip", "netns", "exec", lab.director, sys.executable, "-m", "lvslite",
                    "apply", "-c", str(cfg)], check=True, env=env, cwd=str(REPO))
    return cfg


def test_each_broken_layer_is_named_with_its_fix(lab, box, tmp_path):
    d = lab.director
    rc, out = doctor(box, d)
    assert (rc, problems(out)) == (0, []), out
    finding(out, "ok", "vip", VIP, "front")
    finding(out, "ok", "real", "10.0.0.10:80", "answered")

    lab.run(d, "sysctl -qw net.ipv4.ip_forward=0")
    rc, out = doctor(box, d)
    assert rc == 1
    assert finding(out, "error", "forward", "net.ipv4.ip_forward = 0").endswith(
        "fix: sysctl -w net.ipv4.ip_forward=1")
    lab.run(d, "sysctl -qw net.ipv4.ip_forward=1")

    sh(f"ip -n {d} addr del {VIP}/32 dev front")
    rc, out = doctor(box, d)
    assert rc == 1
    assert finding(out, "error", "vip", VIP, "no interface").endswith(
        f"fix: ip addr add {VIP}/32 dev front")
    lab.add_vip(VIP)

    sh(f"ip -n {lab.ns('rs1')} link set eth0 down")
    rc, out = doctor(box, d)
    assert rc == 1
    finding(out, "error", "real", "10.0.0.10:80", "fix: check 10.0.0.10 is up")
    assert "10.0.0.20:80" not in "".join(problems(out))
    sh(f"ip -n {lab.ns('rs1')} link set eth0 up")
    assert wait_for(lambda: doctor(box, d)[0] == 0, timeout=30, interval=2)

    disk_state = "/var/tmp/lvslite-doctor"      # /var/tmp is an overlay in the guest
    rc, out = doctor(box, d, state=disk_state)
    assert rc == 6                  # warnings only (docs/operate.md)
    finding(out, "warn", "state", disk_state, "not tmpfs", "LVSLITE_STATE_DIR")

    assert "ro" in sh("findmnt -no OPTIONS /").split(",")
    sh("mount -o remount,rw /")
    try:
        rc, out = doctor(box, d)
        assert rc == 6                  # warnings only (docs/operate.md)
        assert finding(out, "warn", "root", "read-write").endswith(
            "fix: mount -o remount,ro / (the card image mounts it read-only)")
    finally:
        sh("mount -o remount,ro /")
    rc, out = doctor(box, d)
    assert (rc, problems(out)) == (0, []), out
    finding(out, "ok", "root", "read-only")
