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
