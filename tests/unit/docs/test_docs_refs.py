"""The repository stands alone: no tracked file points outside it, and every reference into
docs/ resolves.

(a) No tracked file names the documents that lived beside the repository while it was built
    (the shared design and style notes, the shared folder) or cites a tracker "issue N": a
    user's clone has none of them.
(b) Markdown links in README.md, firmware/README.md and docs/**/*.md point at files that
    exist, and their #anchors at headings of the target (GitHub's slug rules); every
    `docs/...` path cited in any other tracked file exists, with its #anchor if given.
(c) No section-number citation of a reference page ("models.md §3", "models.md 2.4") is
    left: the reference pages are cited by anchor.

The forbidden words are built from pieces so this file does not match itself.
"""
import re
from functools import lru_cache
from pathlib import Path

import pytest

from support import tracked_files

REPO = Path(__file__).resolve().parents[3]
SELF = Path(__file__).resolve().relative_to(REPO).as_posix()

FORBIDDEN = [
    ("a shared-folder path", re.compile(re.escape("../" + "shared") + "|" +
                                        re.escape("/work/" + "shared"))),
    ("the design notes", re.compile(re.escape("DESIGN" + ".md"))),
    ("the style notes", re.compile(re.escape("STYLE" + ".md"))),
    ("a tracker issue number", re.compile(r"\b" + "iss" + r"ues?\s+#?[0-9]+\b", re.I)),
]
# "issue #1296" of another project (keepalived, ldirectord, ...) is a public, citable
# reference: allowed when the line names the project's repository or tracker.
PUBLIC_ISSUE = re.compile(r"(github\.com/|[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[0-9]+|"
                          r"keepalived|ldirectord|resource-agents|pyroute2|kubernetes|"
                          r"Kconfiglib|kube-)", re.I)

SECTION_CITE = re.compile(r"\b(models|firmware|emulator|control-planes)\.md,?\s*"
                          r"(§|section\s+[0-9]|[0-9]+(\.[0-9]+)*\b)")
DOCS_PATH = re.compile(r"(?<![\w/.-])(docs/[A-Za-z0-9_./-]*[A-Za-z0-9_])(#[A-Za-z0-9_-]+)?")
MD_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)


@lru_cache(maxsize=None)
def tracked():
    return tracked_files()


@lru_cache(maxsize=None)
def text(path):
    data = (REPO / path).read_bytes()
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", "replace")


def offending(path):
    body = text(path)
    if body is None:
        return []
    found = []
    for n, line in enumerate(body.splitlines(), 1):
        for what, pattern in FORBIDDEN:
            m = pattern.search(line)
            if not m:
                continue
            if what.startswith("a tracker") and PUBLIC_ISSUE.search(line):
                continue
            found.append(f"{path}:{n}: {what}: {line.strip()[:120]}")
    return found


def test_no_tracked_file_points_outside_the_repository():
    bad = []
    for path in tracked():
        if path == SELF:
            continue
        bad += offending(path)
    assert not bad, "references that do not exist in a clone:\n" + "\n".join(bad)


def test_no_section_number_citations_of_reference_pages():
    bad = []
    for path in tracked():
        body = text(path)
        if path == SELF or body is None:
            continue
        for n, line in enumerate(body.splitlines(), 1):
            if SECTION_CITE.search(line):
                bad.append(f"{path}:{n}: {line.strip()[:120]}")
    assert not bad, "cite docs/reference/*.md by #anchor:\n" + "\n".join(bad)


# ------------------------------------------------------------------------------ anchors

def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    h = re.sub(r"`|\*\*|__", "", heading.strip()).lower()
    h = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", h)   # a link in a heading keeps its text
    h = re.sub(r"[^\w\- ]", "", h)
    return h.replace(" ", "-")


@lru_cache(maxsize=None)
def anchors(path):
    body = FENCE.sub("", text(path) or "")
    seen, out = {}, set()
    for m in re.finditer(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", body, re.M):
        base = slug(m.group(1))
        n = seen.get(base, 0)
        out.add(base if n == 0 else f"{base}-{n}")
        seen[base] = n + 1
    return out


def resolve(target, source=None):
    """A problem with the link `target` found in the file `source` (repo-relative; None for
    a path relative to the repository's root), or None."""
    if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("//"):
        return None                               # http:, https:, mailto: ...
    path, _, anchor = target.partition("#")
    if path:
        dest = (REPO if source is None else (REPO / source).parent) / path
        if not dest.exists():
            return f"{target}: no such file"
        try:
            rel = dest.resolve().relative_to(REPO).as_posix()
        except ValueError:
            return f"{target}: outside the repository"
    elif source is None:
        return f"{target}: no file"
    else:
        rel = source
    if anchor:
        if not rel.endswith(".md") or not (REPO / rel).is_file():
            return f"{target}: an anchor into a non-markdown file"
        if anchor not in anchors(rel):
            return f"{target}: no heading with anchor #{anchor} in {rel}"
    return None


def markdown_files():
    return [p for p in tracked() if p in ("README.md", "firmware/README.md")
            or (p.startswith("docs/") and p.endswith(".md"))]


def test_docs_exist():
    for name in ("docs/config.md", "docs/design.md", "docs/reference/control-planes.md",
                 "docs/reference/firmware.md", "docs/reference/models.md",
                 "docs/reference/emulator.md"):
        assert (REPO / name).is_file(), name


@pytest.mark.parametrize("path", markdown_files())
def test_markdown_links_resolve(path):
    body = FENCE.sub("", text(path))
    bad = [f"{path}: {problem}" for target in MD_LINK.findall(body)
           if (problem := resolve(target, path))]
    assert not bad, "\n".join(bad)


def test_docs_paths_cited_in_tracked_files_resolve():
    bad = []
    for path in tracked():
        body = text(path)
        if body is None or path == SELF:
            continue
        for n, line in enumerate(body.splitlines(), 1):
            for m in DOCS_PATH.finditer(line):
                problem = resolve(m.group(1) + (m.group(2) or ""))
                if problem:
                    bad.append(f"{path}:{n}: {problem}")
    assert not bad, "\n".join(bad)


# ------------------------------------------------------------------------------ self-tests

@pytest.mark.parametrize("heading, anchor", [
    ("Boot settings: /etc/default/lvslite", "boot-settings-etcdefaultlvslite"),
    ("Card options (report, watch)", "card-options-report-watch"),
    ("Linux 7.1 drops the Elan", "linux-71-drops-the-elan"),
    ("`lvslite wear sample`", "lvslite-wear-sample"),
    ("Buildroot's kconfig", "buildroots-kconfig"),
])
def test_slug_follows_github(heading, anchor):
    assert slug(heading) == anchor


def test_the_checks_can_fail():
    assert offending_line("see ../" + "shared/x.md")
    assert offending_line("DESIGN" + ".md §4.1")
    assert offending_line("(Iss" + "ue 4: interval [5])")
    assert not offending_line("keepalived iss" + "ue #1296")
    assert SECTION_CITE.search("models.md " + "2.4")
    assert resolve("docs/config.md#no-such-heading")
    assert resolve("docs/nowhere.md")
    assert resolve("docs/config.md#exit-codes") is None
    assert resolve("reference/models.md#worked-examples", "docs/design.md") is None
    assert resolve("#no-such-heading", "docs/design.md")


def offending_line(line):
    return any(p.search(line) and not (w.startswith("a tracker") and PUBLIC_ISSUE.search(line))
               for w, p in FORBIDDEN)
