"""The config file (docs/config.md) to a lvslite.model.Config, all or nothing.

    load(path) -> Config            read a file ("-" = standard input) and validate it
    parse(data, source) -> Config   the same for bytes or text already in hand
    validate(value, source)         the same for a value json.loads already decoded
    ConfigError                     raised with .problems: every problem, in file order

Boundary: reads the file and nothing else; never touches the kernel, never writes. Modules:
jsonload (bytes -> JSON value), validate (value -> Config), addr (address spellings),
checks (the `check` object), fields (typed member reads), errors (the error type).
"""
from __future__ import annotations

import os

from lvslite.config.errors import ConfigError, Problem
from lvslite.config.jsonload import MAX_BYTES, TOO_BIG, decode, loads
from lvslite.config.validate import validate
from lvslite.model import Config

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Mapping, Optional, Union

__all__ = ["ConfigError", "Problem", "DEFAULT_PATH", "default_path", "load", "parse",
           "validate", "summary"]

DEFAULT_PATH = "/etc/lvslite.json"  # docs/config.md#the-file


def default_path(environ: Optional[Mapping[str, str]] = None) -> str:
    """$LVSLITE_CONFIG if set and not empty, else /etc/lvslite.json."""
    env = os.environ if environ is None else environ
    return env.get("LVSLITE_CONFIG") or DEFAULT_PATH


def load(path: str) -> Config:
    """The Config in file `path` ("-" reads standard input). Only a regular file is read, and
    at most MAX_BYTES + 1 bytes of it (lvslite/files.py), so a wrong path to a huge file, a
    device or a FIFO costs nothing."""
    from lvslite.files import TooBig, read_bytes
    source = "<stdin>" if path == "-" else path
    try:
        data = read_bytes(path, MAX_BYTES)
    except TooBig as exc:
        how_big = f"{exc.size} bytes" if exc.size > MAX_BYTES else f"over {MAX_BYTES} bytes"
        raise ConfigError([Problem(source, "", f"the file is {how_big}, larger than a config "
                                   "may be", TOO_BIG)]) from None
    except OSError as exc:
        raise ConfigError([Problem(source, "", f"cannot read the config: "
                                   f"{exc.strerror or exc}", "a readable JSON file; name "
                                   "another with -c FILE or $LVSLITE_CONFIG")]) from None
    return parse(data, source)


def parse(data: Union[str, bytes], source: str = "<config>") -> Config:
    """The Config in `data`, the bytes of a config file or its text."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        text = decode(bytes(data), source)
    else:
        text = data
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ConfigError([Problem(source, "", "the text holds an unpaired surrogate "
                                       f"at character {exc.start}", "Unicode text")]) from None
    return validate(loads(text, source), source)


def summary(config: Config) -> str:
    """'2 services, 4 reals' (fallbacks not counted: they are in only when no real is)."""
    n = len(config.services)
    r = sum(len(sc.service.reals) for sc in config.services)
    return f"{n} service{'s' if n != 1 else ''}, {r} real{'s' if r != 1 else ''}"
