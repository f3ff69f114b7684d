"""What leaves the Debian root (firmware/image/prune.py) and the boot config (boot.py)."""
import pytest

from firmware.image import boot, config, prune


def test_package_list_paths_are_relative_and_skip_the_root():
    text = "/.\n/usr\n/usr/bin/perl\n/usr/share/doc/perl/copyright\n"
    assert prune.package_paths(text) == ["usr", "usr/bin/perl", "usr/share/doc/perl/copyright"]


@pytest.mark.parametrize("rel, gone", [
    ("usr/share/doc/bash/README", True), ("usr/share/doc/bash/copyright", False),
    ("usr/sbin/arpd", True), ("usr/sbin/arpd2", False), ("var/lib/dpkg/status", True),
    ("usr/lib/i386-linux-gnu/gconv/UTF-16.so", True), ("usr/bin/python3.11", False),
    ("etc/init.d/hwclock.sh", True), ("usr/share/doc-base/x", False),
])
def test_dropped_paths_keep_copyright_files(rel, gone):
    assert prune.dropped(rel, config.DROP_PATHS, config.KEEP_PATHS) is gone


def test_python_drop_keeps_the_closure_and_its_bytecode_only():
    lib = "usr/lib/python3.11"
    keep = {f"{lib}/os.py", f"{lib}/json/__init__.py", f"{lib}/json/decoder.py",
            f"{lib}/lib-dynload/_json.cpython-311-i386-linux-gnu.so"}
    files = sorted(keep | {
        f"{lib}/__pycache__/os.cpython-311.pyc", f"{lib}/__pycache__/os.cpython-311.opt-1.pyc",
        f"{lib}/json/__pycache__/decoder.cpython-311.pyc", f"{lib}/json/tool.py",
        f"{lib}/json/__pycache__/tool.cpython-311.pyc", f"{lib}/pydoc.py",
        f"{lib}/__pycache__/pydoc.cpython-311.pyc", f"{lib}/pydoc_data/topics.py",
        f"{lib}/lib2to3/Grammar.txt", f"{lib}/json/README.txt", f"{lib}/LICENSE.txt",
        f"{lib}/lib-dynload/_sqlite3.cpython-311-i386-linux-gnu.so"})
    drop = set(prune.python_drop(files, keep, "cpython-311"))
    assert drop == {
        f"{lib}/__pycache__/os.cpython-311.opt-1.pyc", f"{lib}/json/tool.py",
        f"{lib}/json/__pycache__/tool.cpython-311.pyc", f"{lib}/pydoc.py",
        f"{lib}/__pycache__/pydoc.cpython-311.pyc", f"{lib}/pydoc_data/topics.py",
        f"{lib}/lib2to3/Grammar.txt", f"{lib}/LICENSE.txt",
        f"{lib}/lib-dynload/_sqlite3.cpython-311-i386-linux-gnu.so"}


def test_imported_names_see_lazy_and_dotted_imports_but_not_relative_ones():
    src = ("import os, sys\nfrom a.b import c\ndef f():\n    import x.y as z\n"
           "from . import q\nfrom .r import s\n# import commented\n")
    assert prune.imported_names(src) == {"os", "sys", "a", "x"}


def test_the_agent_imports_nothing_the_image_leaves_out():
    """The check `make image` runs before building (build.check_agent_imports), on the
    current checkout."""
    from pathlib import Path
    from firmware.image import build
    repo = Path(__file__).resolve().parents[3]
    sources = (repo / "lvslite").rglob("*.py")
    found = {n for p in sources for n in prune.imported_names(p.read_text())}
    assert found, "no imports found: the scan is broken"
    build.check_agent_imports(repo)


@pytest.mark.parametrize("baud", [19200, 38400, 115200])
def test_console_speed_reaches_syslinux_and_the_kernel(baud):
    cfg = boot.syslinux_cfg(baud, ["libata.dma=0"])
    assert cfg.splitlines()[0] == f"SERIAL 0 {baud}"
    append = next(line for line in cfg.splitlines() if "APPEND" in line)
    assert f"console=ttyS0,{baud}n8" in append.split()
    assert f"root=PARTUUID={config.DISK_SIGNATURE:08x}-02" in append.split()
    assert append.split()[-1] == "libata.dma=0"


@pytest.mark.parametrize("baud, extra", [(12345, []), (19200, ["two words"]), (19200, [""])])
def test_bad_speed_or_argument_is_refused(baud, extra):
    with pytest.raises(boot.BootConfigError):
        boot.cmdline(baud, extra)


def test_boot_config_is_the_overlays_template_for_both_routes():
    """One template: the Debian image's file (vmlinuz + initrd, quiet) and the Buildroot
    route's (bzImage, no initrd) differ only where the template leaves blanks."""
    deb = boot.syslinux_cfg(19200, ["libata.dma=0"]).splitlines()
    br = boot.render(19200, "/bzImage", None, ["libata.dma=0"]).splitlines()
    assert [line for line in deb if "INITRD" not in line and "KERNEL" not in line] == \
        [line.replace("panic=10 ", "panic=10 quiet ") for line in br if "KERNEL" not in line]
    assert "\tINITRD /initrd.gz" in deb and not any("INITRD" in line for line in br)
    assert not any(line.startswith("#") or "@" in line for line in deb + br)
    assert boot.cmdline(19200, ["libata.dma=0"]) == deb[-1].split(None, 1)[1]


def test_image_boards_and_default_console_come_from_the_board_table():
    from firmware.boards import boards
    from firmware.image import config
    assert sorted(config.BOARDS) == sorted(n for n, b in boards().items()
                                           if "debian-i386" in b.routes)
    assert config.DEFAULT_BAUD == boards()[config.DEFAULT_BOARD].console == 19200
