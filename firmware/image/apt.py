"""The Debian archive the image is built from: the build machine's own apt configuration.

Pure reading, no network. apt's source files are read in apt's order (sources.list, then
sources.list.d/ in name order: one-line `*.list` and deb822 `*.sources`); the first binary
(`deb`) source that serves the `main` component gives the archive's URI. A source whose
suites are all security suites (`*-security`) is skipped: it carries updates only, not a
whole release. `make image MIRROR=URI` (`--mirror URI`) overrides it.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

ETC_APT = Path("/etc/apt")
# (types, URIs, suites, components) of one source entry
Entry = Tuple[List[str], List[str], List[str], List[str]]


def source_files(etc_apt: Path = ETC_APT) -> List[Path]:
    parts = etc_apt / "sources.list.d"
    extra = sorted(p for p in parts.glob("*") if p.suffix in (".list", ".sources")) \
        if parts.is_dir() else []
    return [etc_apt / "sources.list"] + extra


def one_line_entries(text: str) -> Iterator[Entry]:
    """`deb [options] URI suite [component...]` lines; comments and deb-src skipped."""
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        line = re.sub(r"\[[^\]]*\]", " ", line)  # [arch=... signed-by=...]
        words = line.split()
        if len(words) >= 3:
            yield [words[0]], [words[1]], [words[2]], words[3:]


def deb822_entries(text: str) -> Iterator[Entry]:
    """Stanzas of `Field: value` lines separated by blank lines; `Enabled: no` skipped."""
    for stanza in re.split(r"\n[ \t]*\n", text):
        fields, last = {}, None
        for line in stanza.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            if line[0] in " \t" and last:          # a continuation line
                fields[last] += " " + line.strip()
                continue
            name, sep, value = line.partition(":")
            if sep:
                last = name.strip().lower()
                fields[last] = value.strip()
        if fields.get("enabled", "yes").lower() == "no":
            continue
        if fields.get("types") and fields.get("uris"):
            yield (fields["types"].split(), fields["uris"].split(),
                   fields.get("suites", "").split(), fields.get("components", "").split())


def archive(etc_apt: Path = ETC_APT) -> Optional[str]:
    """The URI of the first `deb` source serving `main`, or None when there is none."""
    for path in source_files(etc_apt):
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        entries = deb822_entries(text) if path.suffix == ".sources" else one_line_entries(text)
        for types, uris, suites, components in entries:
            if "deb" not in types or "main" not in components or not uris:
                continue
            if suites and all(s.endswith("-security") for s in suites):
                continue
            return uris[0].rstrip("/")
    return None
