"""The configs the documentation shows are valid: every file in docs/examples passes
`lvslite check`, each is referenced from docs/config.md, and so does every JSON block in
docs/config.md marked as a whole config (an HTML comment `<!-- config -->` on the line before
its fence)."""
import re
from pathlib import Path

import pytest

from lvslite.cli import main

REPO = Path(__file__).resolve().parents[3]
DOCS = REPO / "docs"
EXAMPLES = sorted((DOCS / "examples").glob("*.json"))
CONFIG_MD = DOCS / "config.md"
MARKED = re.compile(r"^<!-- config -->\n```json\n(.*?)^```$", re.M | re.S)


def check(path, capsys):
    """`lvslite check -c path`: (exit code, stdout + stderr)."""
    code = main(["check", "-c", str(path)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_there_are_examples():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_passes_lvslite_check(path, capsys, monkeypatch):
    monkeypatch.delenv("LVSLITE_CONFIG", raising=False)
    code, out = check(path, capsys)
    assert code == 0, out
    assert out.startswith("config OK:"), out


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_is_referenced_from_config_md(path):
    assert f"(examples/{path.name})" in CONFIG_MD.read_text(encoding="utf-8"), \
        f"docs/config.md has no link to examples/{path.name}"


def marked_blocks():
    return MARKED.findall(CONFIG_MD.read_text(encoding="utf-8"))


def test_config_md_marks_at_least_one_whole_config():
    assert marked_blocks()


@pytest.mark.parametrize("index", range(len(marked_blocks())))
def test_marked_config_block_passes_lvslite_check(index, tmp_path, capsys):
    path = tmp_path / f"block{index}.json"
    path.write_text(marked_blocks()[index], encoding="utf-8")
    code, out = check(path, capsys)
    assert code == 0, out


def test_a_broken_config_fails_the_same_way(tmp_path, capsys):
    """The harness can fail: a real on the wrong port for direct routing exits 1."""
    path = tmp_path / "bad.json"
    path.write_text('{"services": [{"virtual": "10.0.0.1:80", "reals": ["10.0.0.2:81"]}]}')
    code, out = check(path, capsys)
    assert code == 1 and "services[0].reals[0]" in out
