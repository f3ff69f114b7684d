"""The per-user build cache of the cross route, outside the checkout.

${XDG_CACHE_HOME:-~/.cache}/lvslite (or $LVSLITE_CACHE): CI builds in a fresh clone on the
same machine, so what is slow to make (kernel, musl, CPython, busybox, the Debian sources)
lives here, each under a key that hashes everything that shapes it; a changed input makes a
new key, and the entry is rebuilt. Entries are made in a `.part` folder and renamed into
place when complete, so an interrupted build never leaves a half entry that looks whole.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path
from typing import Iterable, Union

Part = Union[str, bytes, Path]


def root() -> Path:
    if os.environ.get("LVSLITE_CACHE"):
        return Path(os.environ["LVSLITE_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "lvslite"


def key(parts: Iterable[Part], length: int = 16) -> str:
    """A hash of strings, bytes and file contents (a Path is read)."""
    h = hashlib.sha256()
    for p in parts:
        if isinstance(p, Path):
            data = p.read_bytes()
            h.update(b"F" + str(len(data)).encode() + b"\0" + data)
        else:
            data = p.encode() if isinstance(p, str) else p
            h.update(b"S" + str(len(data)).encode() + b"\0" + data)
    return h.hexdigest()[:length]


def entry(kind: str, name: str) -> Path:
    return root() / kind / name


def start(path: Path) -> Path:
    """A fresh `.part` folder beside `path`, to be finished with finish()."""
    part = path.with_name(path.name + ".part")
    shutil.rmtree(part, ignore_errors=True)
    part.mkdir(parents=True)
    return part


def finish(part: Path, path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    part.rename(path)
    return path


def prune(folder: Path, prefix: str, keep: str) -> None:
    """Remove older entries `<prefix>*` of `folder` other than `keep` (one per board/CPU),
    and the `.part` folders of interrupted builds."""
    if not folder.is_dir():
        return
    for old in folder.glob(prefix + "*"):
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink()
