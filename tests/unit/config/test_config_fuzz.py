"""Fuzzing: whatever the input, the parser returns a Config or raises ConfigError, nothing
else, and every problem it reports prints as one clean ASCII line. A few seconds in all."""
import copy
import json

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from config_corpus import GOOD_DIR, good_configs
from lvslite.config import ConfigError, parse, validate
from lvslite.config.validate import REAL_KEYS, SERVICE_KEYS
from lvslite.config.checks import KEYS as CHECK_KEYS
from lvslite.model import Config

FAST = settings(max_examples=200, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
FASTER = settings(FAST, max_examples=100)

GOOD = [json.loads(p.read_text()) for p in good_configs()]
KEYS = list(SERVICE_KEYS + REAL_KEYS + CHECK_KEYS) + ["services", "bogus"]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70)
    | st.sampled_from([10 ** 400, -10 ** 400, 2 ** 64])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["10.0.0.1:80", "[2001:db8::1]:80", "fwmark:1", "10.0.0.1", "gate",
                       "masq", "wrr", "tcp", "255.255.255.0", "negotiate", "http", "(", "",
                       "\x00", "\ud800", "fe80::1%eth0", "0.0.0.0:1"])
    | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=5)
    | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=6),
    max_leaves=10)


def outcome(thunk):
    """Run the parser; anything but a Config or a ConfigError fails the test."""
    try:
        got = thunk()
    except ConfigError as exc:
        assert exc.problems
        for p in exc.problems:
            line = str(p)
            assert line.isascii() and "\n" not in line and p.what, line
        return exc
    assert isinstance(got, Config)
    return got


@FAST
@given(st.binary(max_size=600))
def test_arbitrary_bytes(data):
    outcome(lambda: parse(data, "fuzz.json"))


@FAST
@given(json_values)
def test_arbitrary_json_values(value):
    outcome(lambda: validate(value, "fuzz.json"))
    outcome(lambda: parse(json.dumps(value), "fuzz.json"))


@FASTER
@given(st.dictionaries(st.sampled_from(SERVICE_KEYS), json_values, max_size=6))
def test_arbitrary_services(service):
    outcome(lambda: validate({"services": [service, service]}))


def _nodes(value, path=()):
    """(path, node) for every object and list in a JSON value."""
    yield path, value
    items = value.items() if isinstance(value, dict) else \
        enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        yield from _nodes(child, path + (key,))


@st.composite
def mutated_configs(draw):
    config = copy.deepcopy(draw(st.sampled_from(GOOD)))
    for _ in range(draw(st.integers(1, 4))):
        containers = [(p, n) for p, n in _nodes(config) if isinstance(n, (dict, list)) and n]
        if not containers:
            break
        _, node = draw(st.sampled_from(containers))
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        key = draw(st.sampled_from(keys))
        action = draw(st.sampled_from(["replace", "delete", "add", "duplicate", "tweak"]))
        if action == "replace":
            node[key] = draw(json_values)
        elif action == "delete":
            del node[key]
        elif action == "add" and isinstance(node, dict):
            node[draw(st.sampled_from(KEYS) | st.text(max_size=6))] = draw(json_values)
        elif action == "duplicate" and isinstance(node, list):
            node.append(copy.deepcopy(node[key]))
        elif action == "tweak" and isinstance(node[key], str) and node[key]:
            s = node[key]
            i = draw(st.integers(0, len(s) - 1))
            node[key] = s[:i] + draw(st.text(max_size=2)) + s[i + draw(st.integers(0, 2)):]
        elif action == "tweak" and isinstance(node[key], int) and not isinstance(node[key], bool):
            delta = draw(st.sampled_from([-1, 1, 65536, 2 ** 32, 0.5]))
            node[key] = node[key] + (delta if abs(node[key]) < 2 ** 53 else 1)
    return config


@FAST
@given(mutated_configs())
def test_mutated_valid_configs(config):
    outcome(lambda: validate(config, "fuzz.json"))


@FAST
@given(st.sampled_from(good_configs()), st.data())
def test_mutated_valid_config_bytes(path, data):
    raw = bytearray(path.read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        if not raw:             # deletions emptied a small file: only an insert is left
            raw[:] = data.draw(st.binary(min_size=1, max_size=4))
            continue
        i = data.draw(st.integers(0, len(raw) - 1))
        op = data.draw(st.sampled_from(["flip", "delete", "insert"]))
        if op == "flip":
            raw[i] = data.draw(st.integers(0, 255))
        elif op == "delete":
            del raw[i:i + data.draw(st.integers(1, 8))]
        else:
            raw[i:i] = data.draw(st.binary(min_size=1, max_size=4))
    outcome(lambda: parse(bytes(raw), "fuzz.json"))


# A property that can fail the other way: random *valid* services are accepted, with their
# reals sorted and counted right.
octet = st.integers(1, 254)


@st.composite
def valid_services(draw):
    n = draw(st.integers(0, 6))
    port = draw(st.integers(1, 65535))
    addrs = draw(st.lists(st.tuples(octet, octet), min_size=n, max_size=n, unique=True))
    reals = [{"address": f"10.1.{a}.{b}:{port}", "weight": draw(st.integers(0, 65535))}
             for a, b in addrs]
    return {"virtual": f"10.0.0.{draw(octet)}:{port}", "reals": reals,
            "scheduler": draw(st.sampled_from(["rr", "wrr", "sh", "mh"])),
            "persistent": draw(st.integers(0, 86400 * 31))}


@FASTER
@given(st.lists(valid_services(), max_size=4))
def test_valid_services_are_accepted(services):
    keys = [(s["virtual"]) for s in services]
    assume(len(set(keys)) == len(keys))
    got = parse(json.dumps({"services": services}))
    assert len(got.services) == len(services)
    for sc, raw in zip(got.services, services):
        assert [r.key for r in sc.service.reals] == sorted(r.key for r in sc.service.reals)
        weights = sorted(r["weight"] for r in raw["reals"])
        assert sorted(r.weight for r in sc.service.reals) == weights
        assert str(sc.service.key) == "tcp " + raw["virtual"]


def test_fixture_dir_is_found():
    assert GOOD_DIR.is_dir() and len(GOOD) >= 4
