"""The agent runs on Python 3.9 (docs/design.md#rules): every lvslite module parses with the 3.9
grammar and defers annotations, so `X | None` in a signature is never evaluated at import."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted((ROOT / "lvslite").rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT / "lvslite")))
def test_parses_with_the_3_9_grammar_and_defers_annotations(path):
    src = path.read_text()
    tree = ast.parse(src, feature_version=(3, 9))
    assert not any(type(n).__name__.startswith("Match") for n in ast.walk(tree))
    if path.name not in ("__init__.py", "__main__.py") and "annotations" in _annotated(tree):
        assert "from __future__ import annotations" in src


def _annotated(tree) -> str:
    """'annotations' when the module has any annotation that 3.9 would evaluate."""
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if node.returns is not None or any(a.annotation is not None for a in
                                               node.args.args + node.args.kwonlyargs):
                return "annotations"
        if isinstance(node, ast.AnnAssign):
            return "annotations"
    return ""
