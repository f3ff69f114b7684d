"""Kconfig condition parsing, tristate evaluation and the 'which term failed' listing."""
import pytest

from firmware.check import expr as E


class Vals:
    def __init__(self, **kv):
        self.kv = kv

    def tri(self, name):
        return E.TRI.get(self.kv.get(name, "n"), 0)

    def str_value(self, name):
        return self.kv.get(name, "n")


def test_precedence_and_binds_tighter_than_or():
    e = E.parse("A || B && !C")
    assert isinstance(e, E.Or) and isinstance(e.args[1], E.And)
    assert E.value(e, Vals(B="y")) == 2
    assert E.value(e, Vals(B="y", C="y")) == 0


def test_tristate_arithmetic():
    v = Vals(A="m", B="y")
    assert E.value(E.parse("A && B"), v) == 1
    assert E.value(E.parse("A || B"), v) == 2
    assert E.value(E.parse("!A"), v) == 1


def test_comparisons_numeric_and_string():
    v = Vals(BITS="12", ARCH="x86")
    assert E.value(E.parse("BITS >= 8"), v) == 2
    assert E.value(E.parse("BITS < 9"), v) == 0
    assert E.value(E.parse('ARCH = "x86"'), v) == 2
    assert E.value(E.parse("IPV6 = y || IP_VS = IPV6"), Vals(IPV6="m", IP_VS="m")) == 2


def test_macro_is_unknown_and_counts_as_met():
    e = E.parse("X86 && $(cc-option,-mfoo)")
    assert any(isinstance(a, E.Unknown) for a in e.args)
    assert E.value(e, Vals(X86="y")) == 2


def test_unmet_names_each_failing_term_with_its_value():
    v = Vals(INET="y", NETFILTER="n", NF_CONNTRACK="n")
    terms = E.unmet(E.parse("INET && NETFILTER && (NF_CONNTRACK || NF_CONNTRACK=n)"), v)
    assert [t.text for t in terms] == ["NETFILTER (=n)"]
    assert terms[0].fixes == (("NETFILTER", "y"),)


def test_unmet_or_offers_alternatives_and_not_asks_for_n():
    v = Vals(ISA="n", PCI="n", COMPILE_TEST="n", UML="y")
    (t,) = E.unmet(E.parse("ISA || PCI"), v)
    assert t.text.startswith("one of:") and set(t.fixes) == {("ISA", "y"), ("PCI", "y")}
    (t,) = E.unmet(E.parse("!UML"), v)
    assert t.fixes == (("UML", "n"),)


def test_syntax_error_is_reported():
    with pytest.raises(E.ExprSyntaxError):
        E.parse("A && (B")
