"""Reading JSON: positions and hints for hand-editing slips, and one behaviour with or without
ujson (json is the reference; ujson may only agree with it)."""
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lvslite.config import ConfigError, parse
from lvslite.config import jsonload

try:
    import ujson
except ImportError:
    ujson = None
HAVE_UJSON = ujson is not None
need_ujson = pytest.mark.skipif(not HAVE_UJSON, reason="ujson not installed")


def _problem(data):
    with pytest.raises(ConfigError) as info:
        parse(data, "f.json")
    assert len(info.value.problems) == 1
    return info.value.problems[0]


def test_position_counts_characters_not_bytes():
    p = _problem('{"services": [\n  {"virtual": "é€10.0.0.1:80" "reals": []}]}'.encode())
    assert (p.line, p.column) == (2, 31) and str(p).startswith("f.json:2:31: not valid JSON")
    p = _problem(b'{"a": "\xc3\xa9\xe2\x82\xac\xff"}')
    assert (p.line, p.column) == (1, 10) and "0xff" in p.what


@pytest.mark.parametrize("text, hint", [
    ('{"services": [1,]}', "no comma after the last item"),
    ('{"services": [],}', "no comma after the last item"),
    ('# comment\n{}', "no comments"),
    ('{"services": [] /* x */}', "no comments"),
    ("{'services': []}", "double quotes"),
    ('{"services": None}', "true, false and null"),
    ('{services: []}', "need double quotes"),
    ('{"services": [', "ends too early"),
    ('{"a": "b\n"}', "close its quote"),
    ('{"a": "b\tc"}', "raw control character"),
    ('{"a": "\\d"}', "written \\\\"),
])
def test_hints(text, hint):
    assert hint in _problem(text).expected


def test_bom_is_dropped_utf16_and_nul_are_named():
    assert parse(b'\xef\xbb\xbf{"services": []}').services == ()
    assert "UTF-16" in _problem('{"services": []}'.encode("utf-16")).what
    assert "NUL" in _problem(b'{"services": []}\x00').what


def test_unpaired_surrogate_in_text_is_refused():
    assert "surrogate" in _problem('{"services": [], "\ud800": 1}').what


def test_repeated_key_is_reported_at_its_path():
    with pytest.raises(ConfigError) as info:
        parse('{"services": [{"virtual": "10.0.0.1:80", "virtual": "10.0.0.2:80"}],'
              ' "services": []}')
    assert [p.path for p in info.value.problems] == ["services"]
    with pytest.raises(ConfigError) as info:
        parse('{"services": [{"virtual": "10.0.0.1:80", "virtual": "10.0.0.2:80",'
              ' "virtual": "10.0.0.3:80", "reals": []}]}')
    assert [p.path for p in info.value.problems] == ["services[0].virtual"]


def test_depth_within_either_parser_is_a_type_error_beyond_it_a_clear_error():
    deep = "[" * 1500 + "]" * 1500  # beyond ujson's 1024 and Python's default 1000
    assert _problem(deep).path == ""  # top level is a list
    assert "nested too deeply" in _problem("[" * 5000 + "]" * 5000).what


def test_huge_integer_is_an_error_not_a_crash():
    p = _problem('{"services": [{"virtual": "10.0.0.1:80", "persistent": 1%s}]}' % ("0" * 5000))
    assert p.path in ("", "services[0].persistent")


# ----------------------------------------------------------------- the optional ujson path

def outcome(text, use_ujson):
    try:
        value = jsonload.loads(text, "t", use_ujson=use_ujson)
    except ConfigError as exc:
        return ("error", [str(p) for p in exc.problems])
    return ("value", _canonical(value))


def _canonical(value):
    """Comparable form, without recursion (values nest 2000 deep): NaN equal to NaN, -0.0
    apart from 0.0, bool apart from int, repeated-key marks kept."""
    out, stack = [], [value]
    while stack:
        v = stack.pop()
        if isinstance(v, float):
            out.append(("nan",) if math.isnan(v) else ("float", repr(v)))
        elif isinstance(v, list):
            out.append(("list", len(v)))
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            out.append(("dict", len(v), getattr(v, "repeated", None), list(v)))
            stack.extend(reversed(list(v.values())))
        else:
            out.append((type(v).__name__, v))
    return out


# What ujson alone takes and json refuses, or reads differently (repeated keys).
LENIENT_IN_UJSON = ['[01]', '[-]', '[1.]', '[-.5]', '[1.e5]', '{"a": 00}', '"a\nb"',
                    '["a\tb"]', '{"a": 1, "a": 2}', '{"a": {"b": 1, "b": 1}}', '[-Infinity]']
# What both take: the fast path must give json's value.
BOTH_TAKE = ['[NaN, Infinity]', '["\\ud800"]', '[1e400, -0.0, 0, 1E+2]', '{"a\\u0000": "\\/"}',
             "[" * 1100 + "]" * 1100]


@need_ujson
@pytest.mark.parametrize("text", LENIENT_IN_UJSON + BOTH_TAKE)
def test_ujson_path_agrees_where_ujson_alone_would_not(text):
    assert outcome(text, True) == outcome(text, False)


@need_ujson
def test_ujson_path_is_really_taken_for_plain_json():
    for text in BOTH_TAKE[:-1] + ['{"services": [{"virtual": "10.0.0.1:80"}]}']:
        assert _canonical(jsonload._ujson_loads(text)) == _canonical(json.loads(text)), text
    for text in LENIENT_IN_UJSON:
        assert jsonload._ujson_loads(text) is jsonload._NO, text
        if "-Infinity" not in text:
            ujson.loads(text)  # the guard is what keeps these out: ujson itself takes them


JSONISH = st.text(alphabet=st.sampled_from(list('{}[]:,"\\ \n\t-+.0123456789eEaflnrstuINy'
                                                 '\x00\x1f\u00e9\ud800')), max_size=40)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner,
                                                                max_size=4),
    max_leaves=12)


@st.composite
def mangled_json(draw):
    text = json.dumps(draw(json_values), indent=draw(st.sampled_from([None, 1])))
    for _ in range(draw(st.integers(0, 3))):
        i = draw(st.integers(0, len(text)))
        text = text[:i] + draw(JSONISH) + text[i + draw(st.integers(0, 3)):]
    return text


@need_ujson
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(JSONISH, mangled_json()))
def test_ujson_and_json_paths_behave_the_same(text):
    assert outcome(text, True) == outcome(text, False)
