"""reconcile.diff: minimal ordered ops, ownership, and a property test against a simulator."""
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lvslite.model import (ADD_REAL, ADD_SERVICE, DEL_REAL, DEL_SERVICE, EDIT_REAL,
                           EDIT_SERVICE, F_ONEPACKET, F_SCHED1, Real, RealKey, ServiceKey,
                           VirtualService, summary)
from lvslite.reconcile import apply_ops, diff, owned_after, service_attrs


def key(i, port=80, proto="tcp"):
    return ServiceKey(4, proto, f"10.{i // 250}.{i % 250}.1", port)


def real(addr, port=80, weight=1, forward="gate"):
    return Real(RealKey(addr, port), weight, forward)


def svc(k, *reals, scheduler="wlc", persistent=0, netmask=32, flags=0):
    return VirtualService(k, scheduler, persistent, netmask, flags,
                          tuple(sorted(reals, key=lambda r: r.key)))


def table(*services):
    return {s.key: s for s in services}


A = svc(key(1), real("10.0.0.10"), real("10.0.0.20"), scheduler="wrr")
B = svc(key(2), real("10.0.0.10"), scheduler="rr")


def kinds(ops):
    return [op.kind for op in ops]


def test_empty_kernel_adds_each_service_before_its_reals():
    ops = diff(table(A, B), {}, set())
    assert kinds(ops) == [ADD_SERVICE, ADD_REAL, ADD_REAL, ADD_SERVICE, ADD_REAL]
    assert [op.key for op in ops] == [A.key, A.key, A.key, B.key, B.key]
    assert summary(ops) == (5, 0, 0)


def test_same_config_twice_is_zero_ops():
    desired = table(A, B)
    kernel = apply_ops({}, diff(desired, {}, set()))
    assert kernel == desired
    assert diff(desired, kernel, {A.key, B.key}) == []


def test_one_weight_change_in_1000_services_is_exactly_one_edit():
    services = [svc(key(i), *(real(f"192.168.{r}.{i % 250 + 1}", 80) for r in range(4)))
                for i in range(1000)]
    kernel = table(*services)
    changed = list(services)
    s = changed[637]
    bumped = tuple(Real(r.key, 7 if j == 2 else r.weight, r.forward)
                   for j, r in enumerate(s.reals))
    changed[637] = VirtualService(s.key, s.scheduler, s.persistent, s.netmask, s.flags, bumped)
    ops = diff(table(*changed), kernel, set(kernel))
    assert len(ops) == 1
    assert ops[0].kind == EDIT_REAL and ops[0].real == bumped[2]
    assert summary(ops) == (0, 1, 0)


def test_scheduler_and_persistence_changes_are_edits_not_delete_and_add():
    for changed in (svc(A.key, *A.reals, scheduler="rr"),
                    svc(A.key, *A.reals, scheduler="wrr", persistent=300),
                    svc(A.key, *A.reals, scheduler="wrr", flags=F_ONEPACKET)):
        ops = diff(table(changed), table(A), {A.key})
        assert kinds(ops) == [EDIT_SERVICE], changed
        assert ops[0].service == changed


def test_netmask_only_matters_with_persistence():
    plain = svc(A.key, *A.reals, scheduler="wrr", netmask=24)
    assert diff(table(plain), table(A), {A.key}) == []
    p32 = svc(A.key, *A.reals, scheduler="wrr", persistent=60, netmask=32)
    p24 = svc(A.key, *A.reals, scheduler="wrr", persistent=60, netmask=24)
    assert kinds(diff(table(p24), table(p32), set())) == [EDIT_SERVICE]
    assert service_attrs(p32) != service_attrs(p24)


def test_weight_and_forward_changes_are_real_edits():
    heavier = svc(A.key, real("10.0.0.10", weight=5), real("10.0.0.20"), scheduler="wrr")
    ops = diff(table(heavier), table(A), {A.key})
    assert kinds(ops) == [EDIT_REAL] and ops[0].real.weight == 5
    masq = svc(A.key, real("10.0.0.10", forward="masq"), real("10.0.0.20"), scheduler="wrr")
    ops = diff(table(masq), table(A), {A.key})
    assert kinds(ops) == [EDIT_REAL] and ops[0].real.forward == "masq"


def test_real_added_and_removed():
    moved = svc(A.key, real("10.0.0.20"), real("10.0.0.30"), scheduler="wrr")
    ops = diff(table(moved), table(A), {A.key})
    assert kinds(ops) == [DEL_REAL, ADD_REAL]
    assert ops[0].real.key.address == "10.0.0.10" and ops[1].real.key.address == "10.0.0.30"


def test_owned_service_removed_from_config_is_one_delete_with_no_per_real_deletes():
    ops = diff(table(B), table(A, B), {A.key, B.key})
    assert kinds(ops) == [DEL_SERVICE] and ops[0].key == A.key
    assert summary(ops) == (0, 0, 1)


def test_foreign_service_is_never_touched():
    foreign = svc(key(9), real("172.16.0.1", weight=9), scheduler="sh", flags=F_SCHED1)
    ops = diff(table(A), table(A, foreign), {A.key})
    assert ops == []
    # even when nothing at all is configured
    assert diff({}, table(foreign), set()) == []


def test_configured_service_made_by_someone_else_is_adopted_and_corrected():
    by_hand = svc(A.key, real("10.0.0.10", weight=3), scheduler="rr")
    ops = diff(table(A), table(by_hand), set())
    assert kinds(ops) == [EDIT_SERVICE, EDIT_REAL, ADD_REAL]


def test_drift_is_corrected():
    drifted = svc(A.key, real("10.0.0.10", weight=0), real("10.0.0.99"), scheduler="wrr")
    kernel = table(drifted, B)
    ops = diff(table(A, B), kernel, {A.key, B.key})
    assert apply_ops(kernel, ops) == table(A, B)
    assert kinds(ops) == [DEL_REAL, EDIT_REAL, ADD_REAL]


def test_ownership_after_apply():
    ops = diff(table(B), table(A), {A.key})
    assert owned_after({A.key}, set(table(A)), ops) == {B.key}
    # an owned service deleted by hand is forgotten, not resurrected as ours
    assert owned_after({A.key, B.key}, {B.key}, []) == {B.key}
    # partial apply: only what took effect counts
    assert owned_after(set(), set(), ops[:0]) == set()


# --------------------------------------------------------------------------- property test

ADDRS = [f"10.0.{i}.{j}" for i in range(2) for j in range(1, 4)] + ["2001:db8::1"]
KEYS = ([ServiceKey(4, p, f"10.1.0.{i}", port) for i in range(1, 4) for p in ("tcp", "udp")
         for port in (80, 443)]
        + [ServiceKey(4, "", "", 0, m) for m in (1, 2)]
        + [ServiceKey(6, "tcp", "2001:db8::80", 80)])

reals_st = st.dictionaries(
    st.tuples(st.sampled_from(ADDRS), st.sampled_from([0, 80, 8080])),
    st.tuples(st.integers(0, 5), st.sampled_from(["gate", "masq", "ipip"])), max_size=4)


@st.composite
def services_st(draw, k):
    reals = draw(reals_st)
    return VirtualService(
        k, draw(st.sampled_from(["rr", "wrr", "wlc", "sh"])), draw(st.sampled_from([0, 60])),
        draw(st.sampled_from([32, 24, 128])), draw(st.sampled_from([0, F_ONEPACKET])),
        tuple(sorted((Real(RealKey(a, p), w, f) for (a, p), (w, f) in reals.items()),
                     key=lambda r: r.key)))


@st.composite
def tables_st(draw):
    keys = draw(st.sets(st.sampled_from(KEYS), max_size=6))
    return {k: draw(services_st(k)) for k in keys}


@settings(max_examples=400, deadline=None)
@given(desired=tables_st(), kernel=tables_st(), owned_seed=st.integers(0, 2 ** 16))
def test_property_ops_reach_desired_and_spare_foreign(desired, kernel, owned_seed):
    rnd = random.Random(owned_seed)
    owned = {k for k in set(kernel) | set(desired) if rnd.random() < 0.5}
    ops = diff(desired, kernel, owned)
    after = apply_ops(kernel, ops)          # raises if an op is one the kernel would refuse
    for k, want in desired.items():
        assert service_attrs(after[k]) == service_attrs(want)
        assert after[k].reals == want.reals
    for k in kernel:
        if k in desired:
            continue
        if k in owned:
            assert k not in after           # ours and no longer configured: gone
        else:
            assert after[k] == kernel[k]    # foreign: untouched, byte for byte
            assert all(op.key != k for op in ops)
    assert set(after) == set(desired) | {k for k in kernel if k not in owned}
    # minimal: applying again does nothing, and no service is both deleted and added
    assert diff(desired, after, owned | set(desired)) == []
    deleted = {op.key for op in ops if op.kind == DEL_SERVICE}
    added = {op.key for op in ops if op.kind == ADD_SERVICE}
    assert not deleted & added
    # no per-real op on a service that is deleted
    assert not any(op.key in deleted for op in ops if op.kind != DEL_SERVICE)
