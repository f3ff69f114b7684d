"""No package archive's host is written into the repository: the image build takes its Debian
archive from the build machine's apt sources (or MIRROR=), Python packages come through pip's
own configuration. Checks every file git tracks."""
import re
from pathlib import Path

from support import tracked_files

REPO = Path(__file__).resolve().parents[2]
ARCHIVE_URL = re.compile(r"https?://[^\s\"'<>()\[\]{}]*(?:debian|pypi|pythonhosted|npmjs)",
                         re.I)


def tracked():
    return [REPO / p for p in tracked_files()]


def test_no_package_archive_host_in_tracked_files():
    hits = []
    for path in tracked():
        try:
            text = path.read_text(errors="replace")
        except (OSError, IsADirectoryError):
            continue
        for n, line in enumerate(text.splitlines(), 1):
            for m in ARCHIVE_URL.finditer(line):
                hits.append(f"{path.relative_to(REPO)}:{n}: {m.group(0)}")
    assert hits == []


def test_the_pattern_finds_archive_hosts():
    # split so that this file does not hold what it looks for
    # (made-up hosts: the repository names no real archive, not even here)
    for host in ("mirror.example/debian", "pypi.example/simple/", "files.pythonhosted.example/x",
                 "registry.npmjs.example/"):
        assert ARCHIVE_URL.search(f'MIRROR = "http' + f's://{host}"'), host
    assert not ARCHIVE_URL.search("https://buildroot.org/downloads/")
