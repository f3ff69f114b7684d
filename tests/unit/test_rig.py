"""The pure parts of the emulator rig."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "vm"))
import rig  # noqa: E402


def test_module_closure_orders_dependencies_first(tmp_path):
    (tmp_path / "modules.dep").write_text(
        "kernel/fs/9p/9p.ko: kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko\n"
        "kernel/net/9p/9pnet.ko:\n"
        "kernel/fs/netfs/netfs.ko:\n"
        "kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio.ko\n"
        "kernel/drivers/virtio/virtio.ko:\n")
    order = rig.module_closure(tmp_path, ["9pnet_virtio", "9p", "builtin_thing"])
    assert order == ["kernel/net/9p/9pnet.ko", "kernel/drivers/virtio/virtio.ko",
                     "kernel/net/9p/9pnet_virtio.ko", "kernel/fs/netfs/netfs.ko",
                     "kernel/fs/9p/9p.ko"]


def test_missing_kernel_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setattr(rig, "CACHE", tmp_path)
    try:
        rig.find_kernel()
    except rig.RigError as exc:
        assert "make test" in str(exc)
    else:
        raise AssertionError("find_kernel found a kernel in an empty cache")


def test_rig_run_never_shares_the_test_sessions_run_folder(tmp_path, monkeypatch):
    """`rig.py run` (a debugging shell) boots into a folder of its own, a new one each time:
    `make test` wipes and uses CACHE/run, and must not lose its results to a shell."""
    monkeypatch.setattr(rig, "CACHE", tmp_path)
    session = tmp_path / "run"
    session.mkdir()
    (session / "report.jsonl").write_text("a running session's results\n")
    used = []

    def fake_boot(command, *, timeout, echo, outdir=None, env=None):
        used.append(outdir)
        return rig.Boot(rc=0, console="", seconds=0.1, timed_out=False, kernel="test",
                        outdir=outdir)

    monkeypatch.setattr(rig, "boot", fake_boot)
    rig.main(["run", "--", "true"])
    rig.main(["run", "--", "true"])
    assert len(used) == 2 and None not in used
    assert all(u.parent == tmp_path and u != session for u in used) and used[0] != used[1]
    assert (session / "report.jsonl").read_text() == "a running session's results\n"
