"""Another load balancer's configuration to a lvslite config (`lvslite import`).

    convert(path, fmt) -> (config dict, notes)   read `path` in format `fmt` (FORMATS)
    render(config) -> str                        the config file's text, byte-stable
    Failed                                       raised with .notes when nothing usable came out
                                                 or the input is malformed

Each note is `FILE:LINE: what; what was done instead`: everything the source says that lvslite
cannot, so nothing is dropped silently. Pure but for reading the input file (and, for
keepalived, the files it includes); the caller validates and writes the result.
"""
from __future__ import annotations

from lvslite.migrate.common import Failed, Note, Notes

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import List, Tuple

__all__ = ["FORMATS", "Failed", "Note", "convert", "render"]

FORMATS = ("ldirectord", "keepalived", "ipvsadm")
MAX_BYTES = 4 * 1024 * 1024    # far beyond any real file; a wrong path to a huge file stops


def read_text(path: str, notes: Notes, where: Tuple[str, int]) -> str:
    """The text of `path` ("-" = standard input); Failed if it cannot be read, is not a
    regular file or is larger than MAX_BYTES (lvslite/files.py)."""
    from lvslite.files import TooBig, read_bytes
    try:
        data = read_bytes(path, MAX_BYTES)
    except TooBig:
        raise notes.fail(where, f"{path} is larger than {MAX_BYTES} bytes; not a config "
                         "file") from None
    except OSError as exc:
        raise notes.fail(where, f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")   # old files in a local charset: names stay readable


def convert(path: str, fmt: str) -> Tuple[dict, List[Note]]:
    """The lvslite config that `path` (in format `fmt`) describes, and the notes on it."""
    from lvslite.migrate import common

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r} (expected one of {', '.join(FORMATS)})")
    source = "<stdin>" if path == "-" else path
    notes = Notes()
    text = read_text(path, notes, (source, 0))
    if fmt == "ldirectord":
        from lvslite.migrate import ldirectord as reader
    elif fmt == "keepalived":
        from lvslite.migrate import keepalived as reader  # type: ignore[no-redef]
    else:
        from lvslite.migrate import ipvsadm as reader  # type: ignore[no-redef]
    services = reader.read(text, source, notes)
    return common.config(notes, services, source), notes.items


def render(config: dict) -> str:
    """The config as a file: two-space indent, keys in the order built, a final newline."""
    import json
    return json.dumps(config, indent=2) + "\n"
