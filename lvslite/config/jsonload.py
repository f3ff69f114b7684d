"""The bytes of a config file to a JSON value, or a ConfigError saying where the text is broken.

Boundary: encoding and JSON syntax only; what the values mean is validate.py's job. Errors
carry a line and column, plus a hint for the usual hand-editing slips (trailing comma,
comments, single quotes, Python's True/None).

One behaviour whichever parser runs. The standard library's json is the reference grammar
(RFC 8259). ujson, when importable and enabled, may only speed that up, never change what is
accepted: ujson 6.1 takes numbers like `01`, `-`, `1.`, `-.5` and raw newlines inside
strings, all of which json refuses, and it cannot see a key given twice. So its value is used
only when a scan of the text proves none of those is there; otherwise json decides, and json
words every error. tests/unit/config/test_config_jsonload.py checks that both paths give the
same value or the same error, on random text.

PREFER_UJSON is off because measured it only costs: CPU time for a 1000-service x 4-real
config (690 kB), best of 5 on the host: json.loads 2.7 ms, ujson.loads 2.8 ms; this module's
json path (with the repeated-key hook) 4.6 ms, its ujson path (with the scan) 19 ms. Importing
ujson also loads `decimal`: +1.5 MB RSS. Turning it on gives the same results, only slower.
"""
from __future__ import annotations

import re
import sys

from lvslite.config.errors import ConfigError, Problem

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import List, Optional

PREFER_UJSON = False

# A config of 1000 services x 4 reals with checks is ~0.7 MB pretty-printed; the decoded
# objects take ~10x the text, which a 64 MB box can afford at 2 MB but not much beyond.
MAX_BYTES = 2 * 1024 * 1024

# json's C scanner counts one recursion level per nested [ or {. Raised while parsing so it
# accepts at least what ujson accepts (ujson stops at depth 1024): both then agree.
_RECURSION = 2500

EXPECT_JSON = 'a JSON object like {"services": [...]}'
TOO_BIG = f"at most {MAX_BYTES} bytes; 1000 services with 4 reals take about 700 kB"


def decode(data: bytes, source: str) -> str:
    """Bytes to text: UTF-8 only (a UTF-8 byte-order mark is allowed and dropped)."""
    def fail(what: str, expected: str, line: int = 0, column: int = 0):
        raise ConfigError([Problem(source, "", what, expected, line, column)])

    if len(data) > MAX_BYTES:
        fail(f"the file is {len(data)} bytes, larger than a config may be", TOO_BIG)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        fail("the file is UTF-16 encoded", "a UTF-8 text file: save it as UTF-8")
    if data[:2] == b"\x1f\x8b":
        fail("the file is gzip-compressed", "the JSON text itself: gunzip it first")
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    nul = data.find(b"\x00")
    if nul >= 0:
        line, column = _position(data, nul)
        fail("the file contains NUL bytes: it is binary, not JSON text",
             "a UTF-8 JSON text file", line, column)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line, column = _position(data, exc.start)
        fail(f"byte 0x{data[exc.start]:02x} is not valid UTF-8",
             "a UTF-8 text file: re-save it as UTF-8", line, column)
    raise AssertionError("unreachable")


def _position(data: bytes, offset: int):
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    return data.count(b"\n", 0, offset) + 1, column


def loads(text: str, source: str, use_ujson: Optional[bool] = None) -> object:
    """JSON text to a value. Objects whose text repeats a key come back as a dict with a
    `repeated` attribute naming those keys (validate.py reports them at their JSON path)."""
    if len(text) > MAX_BYTES:
        raise ConfigError([Problem(source, "", f"the text is {len(text)} characters, larger "
                                   "than a config may be", TOO_BIG)])
    if not text.strip(" \t\r\n"):
        raise ConfigError([Problem(source, "", "the file is empty", EXPECT_JSON)])
    if use_ujson is None:
        use_ujson = PREFER_UJSON
    if use_ujson:
        value = _ujson_loads(text)
        if value is not _NO:
            return value
    return _json_loads(text, source)


# ------------------------------------------------------------------ the reference: stdlib json

class _Repeated(dict):
    """A JSON object that gave some key more than once (the last value won)."""
    __slots__ = ("repeated",)


def _object(pairs: list) -> dict:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set = set()
        twice: List[str] = []
        for key, _ in pairs:
            if key in seen and key not in twice:
                twice.append(key)
            seen.add(key)
        obj = _Repeated(obj)
        obj.repeated = twice
    return obj


def _json_loads(text: str, source: str) -> object:
    import json

    old = sys.getrecursionlimit()
    if old < _RECURSION:
        sys.setrecursionlimit(_RECURSION)
    try:
        return json.loads(text, object_pairs_hook=_object)
    except json.JSONDecodeError as exc:
        msg = exc.msg[:-3] if exc.msg.endswith(" at") else exc.msg
        problem = Problem(source, "", f"not valid JSON: {msg}", _hint(text, exc),
                          exc.lineno, exc.colno)
    except RecursionError:
        problem = Problem(source, "", "the JSON is nested too deeply to read",
                          "a config nests at most 5 levels")
    except ValueError as exc:  # e.g. an integer of more than 4300 digits (Python >= 3.11)
        problem = Problem(source, "", f"the JSON cannot be read: {exc}", EXPECT_JSON)
    finally:
        if old < _RECURSION:
            sys.setrecursionlimit(old)
    raise ConfigError([problem])


def _hint(text: str, exc) -> str:
    """What the usual slip at the error is, for someone editing the file by hand."""
    pos, msg = exc.pos, exc.msg
    if msg.startswith("Unterminated string"):
        return "a closing double quote is missing"
    if msg.startswith("Invalid control character"):
        if text[pos:pos + 1] in ("\n", "\r"):
            return r"a string ends at the end of its line: close its quote, or write \n"
        return r"a string cannot hold a raw control character: write \t for a tab"
    if msg.startswith("Invalid \\escape"):
        return r"a backslash in a string is written \\, in regular expressions too: \\d+"
    here = text[pos:pos + 2]
    if here.startswith(("//", "/*", "#")):
        return "JSON has no comments: remove them"
    if here.startswith("'"):
        return "JSON strings and keys use double quotes"
    word = re.match(r"[A-Za-z]+", text[pos:pos + 20])
    if word and word.group() in ("True", "False", "None", "TRUE", "FALSE", "NULL", "nil"):
        return "JSON spells these true, false and null"
    if text[:pos].rstrip(" \t\r\n")[-1:] == "," and here[:1] in ("]", "}"):
        return "JSON allows no comma after the last item"
    if word:
        return "strings and keys need double quotes"
    if pos >= len(text.rstrip(" \t\r\n")):
        return "the file ends too early: a bracket or brace is not closed"
    return "valid JSON: look for a missing comma or quote here or on the line above"


# ------------------------------------------------------------------ the optional fast path

_NO = object()  # "ujson cannot decide this text"

# Control characters other than tab, LF and CR are invalid anywhere in JSON text.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
# A string exactly as RFC 8259 allows it (no raw control characters in it).
_STRING = re.compile(r'"[^"\\\x00-\x1f]*(?:\\.[^"\\\x00-\x1f]*)*"')
_NUMBER_RUN = re.compile(r"[-.0-9][-+.0-9eE]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")


def _ujson_loads(text: str) -> object:
    """ujson's value when it is certainly json's value too; _NO otherwise."""
    try:
        import ujson
    except ImportError:
        return _NO
    if _CONTROL.search(text):
        return _NO
    bare = _STRING.sub('""', text)  # strings out of the way: what is left is syntax
    if '"' in bare.replace('""', ""):
        return _NO  # a string json would reject (raw control character in it)
    if not all(_NUMBER.match(run) for run in set(_NUMBER_RUN.findall(bare))):
        return _NO  # a number spelling only ujson takes (01, -, 1., -.5) or -Infinity
    try:
        value = ujson.loads(text)
    except Exception:  # ujson's errors carry no position: let json find and word it
        return _NO
    if _members(value) != bare.count(":"):
        return _NO  # some key was given twice; json reports which
    return value


def _members(value: object) -> int:
    """How many key: value pairs the decoded objects hold, all levels (no recursion)."""
    count, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            count += len(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count
