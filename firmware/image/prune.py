"""Decides what leaves the Debian root: pure rules, tested without a root at hand.

Three rules, applied by build.py: the files of dropped packages (dpkg's *.list files name
them), whole folders (config.DROP_PATHS, except config.KEEP_PATHS), and the standard
library beyond what the agent imports (the modulefinder closure, computed in the target).
"""
from __future__ import annotations

import fnmatch
import re
from typing import Iterable, List, Sequence, Set


def package_paths(list_text: str) -> List[str]:
    """The paths a dpkg .list file names, relative to the root ('/.' itself dropped)."""
    out = []
    for line in list_text.splitlines():
        p = line.strip().lstrip("/")
        if p and p != ".":
            out.append(p)
    return out


def dropped(rel: str, drop_paths: Sequence[str], keep: Sequence[str]) -> bool:
    """True when `rel` (a file, relative to the root) goes: under a dropped folder or equal to
    a dropped file, and matching no keep pattern."""
    if any(fnmatch.fnmatchcase(rel, k) for k in keep):
        return False
    for d in drop_paths:
        if d.endswith("/"):
            if rel.startswith(d):
                return True
        elif rel == d:
            return True
    return False


def python_drop(files: Iterable[str], keep: Set[str], tag: str) -> List[str]:
    """Files of the standard library folder to delete: every module not in `keep` (paths of
    .py/.so files), and every cached bytecode file whose module is not kept or that is an
    optimised (-O) variant. Symlinks and the folder's data files of kept packages stay.

    files: every regular file under the folder (same path style as `keep`);
    tag: the interpreter's cache tag, e.g. 'cpython-311'.
    """
    out = []
    for f in files:
        head, _, base = f.rpartition("/")
        if head.endswith("/__pycache__") or head == "__pycache__":
            parent = head[: -len("__pycache__")].rstrip("/")
            stem, _, rest = base.partition(".")
            src = f"{parent}/{stem}.py" if parent else f"{stem}.py"
            if rest != f"{tag}.pyc" or src not in keep:
                out.append(f)
            continue
        if base.endswith((".py", ".so", ".pyc")):
            if f not in keep:
                out.append(f)
        elif not _in_kept_package(head, keep):
            out.append(f)          # data files (grammars, test fixtures) of dropped packages
    return out


def _in_kept_package(folder: str, keep: Set[str]) -> bool:
    return f"{folder}/__init__.py" in keep


_IMPORT = re.compile(r"^\s*(?:import\s+([\w.]+(?:\s*,\s*[\w.]+)*)|from\s+([\w.]+)\s+import)",
                     re.MULTILINE)


def imported_names(source: str) -> Set[str]:
    """Top-level names of the modules a Python source imports (absolute imports, anywhere in
    the file: lazy imports inside functions count too)."""
    out: Set[str] = set()
    for m in _IMPORT.finditer(source):
        if m.group(1):
            for part in m.group(1).split(","):
                out.add(part.strip().split(".")[0])
        elif not m.group(2).startswith("."):
            out.add(m.group(2).split(".")[0])
    return out
