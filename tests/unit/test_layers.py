"""The command line is the top layer: nothing but lvslite/cli.py (and the commands themselves)
imports lvslite.cmd. The agent's modules, the workstation tools and the tests reach the work
through the modules that do it, and a command through lvslite.cli.main or a subprocess."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ("lvslite", "bench", "firmware", "tests")
ALLOWED = {Path("lvslite/cli.py")}


def imported_modules(tree: ast.AST):
    """(line, module) of every import in `tree`, `from X import Y` giving X.Y too (Y may be a
    module: `from lvslite import cmd`)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def is_cmd(module: str) -> bool:
    return module == "lvslite.cmd" or module.startswith("lvslite.cmd.")


def offenders():
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*.py")):
            rel = path.relative_to(ROOT)
            if rel in ALLOWED or rel.parts[:2] == ("lvslite", "cmd"):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), str(rel))
            for line, module in imported_modules(tree):
                if is_cmd(module):
                    yield f"{rel}:{line}: imports {module}"


def test_only_the_cli_imports_the_commands():
    found = list(offenders())
    assert not found, "\n".join(found)


def test_the_scan_would_see_an_import():
    tree = ast.parse("from lvslite import cmd\nimport lvslite.cmd.apply\n"
                     "from lvslite.cmd.save import run\n")
    assert [m for _, m in imported_modules(tree) if is_cmd(m)] == [
        "lvslite.cmd", "lvslite.cmd.apply", "lvslite.cmd.save", "lvslite.cmd.save.run"]
