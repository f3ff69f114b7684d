"""Helpers of the import tests: run the importer, read its notes, load its output."""
import json
import subprocess
import sys
from pathlib import Path

from lvslite.config import validate
from lvslite.migrate import Failed, convert
from lvslite.model import apply_table

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
MIGRATE = FIXTURES / "migrate"


def rel(path) -> str:
    """A fixture's path as the tests name it on the command line (relative to ROOT)."""
    path = Path(path)
    return str(path.relative_to(ROOT)) if ROOT in path.parents else str(path)


def imported(path, fmt):
    """(config dict, [note text]) of importing `path`, run from ROOT."""
    import os
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        doc, notes = convert(rel(path), fmt)
    finally:
        os.chdir(cwd)
    return doc, [str(n) for n in notes]


def failed(path, fmt):
    """The notes of an import that must fail."""
    import os
    import pytest
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with pytest.raises(Failed) as info:
            convert(rel(path), fmt)
    finally:
        os.chdir(cwd)
    return [str(n) for n in info.value.notes]


def table(doc):
    return apply_table(validate(doc))


def services(doc):
    """virtual -> service entry."""
    return {s["virtual"]: s for s in doc["services"]}


def cli(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "lvslite", *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True)


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return path


def loads(text):
    return json.loads(text)
