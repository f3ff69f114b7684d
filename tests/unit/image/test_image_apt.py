"""The Debian archive from the build machine's apt sources (firmware/image/apt.py), on sample
files written here, and the key of the cached root built from it."""
from firmware.image import apt, root

ARCHIVE = "http://archive.example.org/archive"


def etc(tmp_path, sources_list=None, **parts):
    d = tmp_path / "apt"
    (d / "sources.list.d").mkdir(parents=True)
    if sources_list is not None:
        (d / "sources.list").write_text(sources_list)
    for name, text in parts.items():
        (d / "sources.list.d" / name.replace("_", ".")).write_text(text)
    return d


def test_one_line_sources_list(tmp_path):
    d = etc(tmp_path, "# the archive\n"
                      "deb-src http://src.example.org/archive bookworm main\n"
                      "deb http://contrib.example.org/archive bookworm contrib\n"
                      f"deb [arch=i386,amd64 signed-by=/k.gpg] {ARCHIVE}/ bookworm main contrib\n"
                      "deb http://late.example.org/archive bookworm main\n")
    assert apt.archive(d) == ARCHIVE


def test_deb822_sources_with_comments_disabled_stanzas_and_security(tmp_path):
    d = etc(tmp_path, debian_sources=(
        "Types: deb\nURIs: http://off.example.org/archive\nSuites: bookworm\n"
        "Components: main\nEnabled: no\n\n"
        "Types: deb\n# a snapshot of it: http://snap.example.org/\n"
        "URIs: http://sec.example.org/security\nSuites: bookworm-security\n"
        "Components: main\n\n"
        f"Types: deb deb-src\nURIs: {ARCHIVE}\n  http://second.example.org/archive\n"
        "Suites: bookworm bookworm-updates\nComponents: main non-free-firmware\n"))
    assert apt.archive(d) == ARCHIVE


def test_order_is_apts_and_other_files_are_ignored(tmp_path):
    d = etc(tmp_path, "",
            b_list=f"deb {ARCHIVE} bookworm main\n",
            a_sources="Types: deb-src\nURIs: http://src.example.org/\nSuites: x\nComponents: main\n",
            a_list_disabled="deb http://disabled.example.org/archive bookworm main\n",
            c_sources="Types: deb\nURIs: http://c.example.org/archive\nSuites: x\nComponents: main\n")
    assert apt.archive(d) == ARCHIVE
    assert [p.name for p in apt.source_files(d)] == ["sources.list", "a.sources", "b.list",
                                                     "c.sources"]


def test_no_source_with_main_gives_none(tmp_path):
    assert apt.archive(etc(tmp_path)) is None
    assert apt.archive(etc(tmp_path / "x", "deb http://x.example.org/archive bookworm contrib\n"
                                           "deb cdrom-less\n")) is None


def test_root_cache_key_depends_on_the_archive_only_through_its_uri():
    assert root.key(ARCHIVE) == root.key(ARCHIVE)
    assert root.key(ARCHIVE) != root.key("http://other.example.org/archive")
