"""The malformed-config corpus: each file is refused with exactly the problems its table lists.

The table (tests/fixtures/bad-configs/expected.json) was written from what each file is meant
to show, then checked against the output; the emulator tests reuse it to show the kernel
table is untouched after `apply` refuses each one.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config_corpus import BAD_DIR, EXPECTED, bad_configs, huge_config
from lvslite.config import ConfigError, load, parse
from lvslite.config.jsonload import MAX_BYTES

REPO = Path(__file__).resolve().parents[3]
CASES = bad_configs()


def test_corpus_is_complete():
    files = {p.name for p in BAD_DIR.iterdir()} - {EXPECTED.name}
    named = {c.name for c in CASES if "(generated)" not in c.name}
    assert files == named, "every bad config needs an entry in expected.json, and back"
    assert len(CASES) >= 25


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_refused_with_exactly_the_expected_problems(case, tmp_path):
    path = tmp_path / case.name.split(" ")[0]
    path.write_bytes(case.data)
    with pytest.raises(ConfigError) as info:
        load(str(path))
    got = info.value.problems
    assert [(p.path, p.line, p.column) for p in got] == \
        [(e.path, e.line, e.column) for e in case.expected], "\n".join(map(str, got))
    for problem, want in zip(got, case.expected):
        text = str(problem)
        assert want.says in text, text
        assert problem.expected, f"no 'what is expected' in: {text}"
        assert text.startswith(problem.path or str(path)), text
        assert text.isascii() and "\n" not in text, text


def test_parse_of_the_bytes_gives_the_same_problems():
    for case in CASES:
        with pytest.raises(ConfigError) as by_file:
            parse(case.data, "x.json")
        assert [p.path for p in by_file.value.problems] == [e.path for e in case.expected]


def test_huge_file_is_refused_without_reading_it_all(tmp_path):
    sparse = tmp_path / "huge.json"
    with open(sparse, "wb") as fh:
        fh.truncate(4 * 1024 ** 3)  # 4 GiB of holes: reading it all would take the box down
    with pytest.raises(ConfigError) as info:
        load(str(sparse))
    assert "4294967296 bytes, larger than a config may be" in str(info.value)
    assert len(huge_config()) > MAX_BYTES


def test_cli_prints_every_problem_on_stderr_and_exits_1(tmp_path):
    case = next(c for c in CASES if c.name == "many-errors.json")
    path = tmp_path / "many-errors.json"
    path.write_bytes(case.data)
    proc = subprocess.run([sys.executable, "-m", "lvslite", "check", "-c", str(path)],
                          capture_output=True, text=True, cwd=REPO,
                          env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))
    assert proc.returncode == 1 and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert [line.split(": ")[2] for line in lines] == [e.path for e in case.expected]
    assert all(line.startswith("lvslite: error: ") for line in lines)
    assert "Traceback" not in proc.stderr
