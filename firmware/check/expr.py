"""Kconfig conditions: parse `depends on` text, evaluate it, and list the terms that fail.

Both front ends use it: the kernel scanner parses condition text itself (kconfiglib cannot
read Linux >= 5.13, docs/reference/firmware.md#kconfiglib-and-modern-kernels), and the Buildroot front end converts kconfiglib's
expression tuples into the same nodes. Values come from a `Values` object (the final .config
the real kconfig produced), so this module only explains; it never decides what is set.
Tristate arithmetic follows Documentation/kbuild/kconfig-language.rst: n=0, m=1, y=2,
`&&` is min, `||` is max, `!x` is 2-x, a comparison is y or n.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, Tuple, Union

TRI = {"n": 0, "m": 1, "y": 2}
TRI_NAME = {0: "n", 1: "m", 2: "y"}


@dataclass(frozen=True)
class Sym:
    name: str


@dataclass(frozen=True)
class Const:
    value: str


@dataclass(frozen=True)
class Unknown:
    """A macro such as $(cc-option,...): its value is only known to the real kconfig."""
    text: str


@dataclass(frozen=True)
class Not:
    arg: "Expr"


@dataclass(frozen=True)
class And:
    args: Tuple["Expr", ...]


@dataclass(frozen=True)
class Or:
    args: Tuple["Expr", ...]


@dataclass(frozen=True)
class Cmp:
    op: str
    left: "Expr"
    right: "Expr"


Expr = Union[Sym, Const, Unknown, Not, And, Or, Cmp]
YES = Const("y")


class Values(Protocol):
    def tri(self, name: str) -> int: ...
    def str_value(self, name: str) -> str: ...


class ExprSyntaxError(ValueError):
    pass


_TOKEN = re.compile(r"""\s*(?:(&&|\|\||!=|<=|>=|=|<|>|!|\(|\))|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([A-Za-z0-9_.+\-/]+))""")
_NUMBER = re.compile(r"^(-?[0-9]+|0[xX][0-9a-fA-F]+)$")


def _tokens(text: str):
    out, i = [], 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        if text.startswith("$(", i):
            depth, j = 0, i + 1
            while j < len(text):
                depth += text[j] == "("
                depth -= text[j] == ")"
                j += 1
                if depth == 0:
                    break
            out.append(("macro", text[i:j]))
            i = j
            continue
        m = _TOKEN.match(text, i)
        if not m or m.end() == i:
            raise ExprSyntaxError(f"cannot parse condition {text!r} at {text[i:]!r}")
        if m.group(1):
            out.append(("op", m.group(1)))
        elif m.group(2) is not None or m.group(3) is not None:
            s = m.group(2) if m.group(2) is not None else m.group(3)
            out.append(("str", s.replace('\\"', '"').replace("\\\\", "\\")))
        else:
            out.append(("word", m.group(4)))
        i = m.end()
    return out


def parse(text: str) -> Expr:
    """Parse a Kconfig condition (`A && (B || !C) && D=y`)."""
    toks = _tokens(text)
    pos = [0]

    def peek():
        return toks[pos[0]] if pos[0] < len(toks) else (None, None)

    def take():
        tok = peek()
        pos[0] += 1
        return tok

    def operand(tok, error: str) -> Expr:
        kind, val = tok
        if kind == "macro":
            return Unknown(val)
        if kind == "str":
            return Const(val)
        if kind == "word":
            return Const(val) if val in TRI or _NUMBER.match(val) else Sym(val)
        raise ExprSyntaxError(error)

    def primary() -> Expr:
        kind, val = take()
        if kind == "op" and val == "!":
            return Not(primary())
        if kind == "op" and val == "(":
            e = or_expr()
            if take() != ("op", ")"):
                raise ExprSyntaxError(f"unbalanced parentheses in {text!r}")
            return e
        left = operand((kind, val), f"unexpected {val!r} in {text!r}")
        k2, v2 = peek()
        if k2 == "op" and v2 in ("=", "!=", "<", "<=", ">", ">="):
            take()
            return Cmp(v2, left, operand(take(), f"missing right side of {v2} in {text!r}"))
        return left

    def and_expr() -> Expr:
        args = [primary()]
        while peek() == ("op", "&&"):
            take()
            args.append(primary())
        return args[0] if len(args) == 1 else And(tuple(args))

    def or_expr() -> Expr:
        args = [and_expr()]
        while peek() == ("op", "||"):
            take()
            args.append(and_expr())
        return args[0] if len(args) == 1 else Or(tuple(args))

    if not toks:
        return YES
    e = or_expr()
    if pos[0] != len(toks):
        raise ExprSyntaxError(f"trailing text in condition {text!r}")
    return e


def conj(*exprs: Expr) -> Expr:
    """AND of the given conditions, dropping the ones that are plainly y."""
    parts = []
    for e in exprs:
        if e == YES:
            continue
        parts.extend(e.args if isinstance(e, And) else (e,))
    if not parts:
        return YES
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def disj(*exprs: Expr) -> Expr:
    parts = []
    for e in exprs:
        if e == YES:
            return YES
        parts.extend(e.args if isinstance(e, Or) else (e,))
    if not parts:
        return YES
    return parts[0] if len(parts) == 1 else Or(tuple(parts))


def _num(s: str):
    try:
        return int(s, 16) if s.lower().startswith(("0x", "-0x")) else int(s)
    except ValueError:
        return None


def _operand(e: Expr, v: Values) -> str:
    if isinstance(e, Sym):
        return v.str_value(e.name)
    if isinstance(e, Const):
        return e.value
    return ""


def value(e: Expr, v: Values) -> int:
    """Tristate value of a condition. An Unknown macro counts as y: the real kconfig decided."""
    if isinstance(e, Const):
        return TRI.get(e.value, 0)
    if isinstance(e, Sym):
        return v.tri(e.name)
    if isinstance(e, Unknown):
        return 2
    if isinstance(e, Not):
        return 2 - value(e.arg, v)
    if isinstance(e, And):
        return min(value(a, v) for a in e.args)
    if isinstance(e, Or):
        return max(value(a, v) for a in e.args)
    if isinstance(e, Cmp):
        if isinstance(e.left, Unknown) or isinstance(e.right, Unknown):
            return 2
        a, b = _operand(e.left, v), _operand(e.right, v)
        na, nb = _num(a), _num(b)
        if e.op in ("=", "!="):
            same = (na == nb) if na is not None and nb is not None else a == b
            return 2 if same == (e.op == "=") else 0
        x, y = (na, nb) if na is not None and nb is not None else (a, b)
        ok = {"<": x < y, "<=": x <= y, ">": x > y, ">=": x >= y}[e.op]
        return 2 if ok else 0
    raise TypeError(e)


def text(e: Expr) -> str:
    """Kconfig spelling of a condition."""
    if isinstance(e, Sym):
        return e.name
    if isinstance(e, Const):
        return e.value if e.value in TRI or _NUMBER.match(e.value) else f'"{e.value}"'
    if isinstance(e, Unknown):
        return e.text
    if isinstance(e, Not):
        inner = text(e.arg)
        return f"!{inner}" if isinstance(e.arg, (Sym, Const, Unknown)) else f"!({inner})"
    if isinstance(e, Cmp):
        return f"{text(e.left)}{e.op}{text(e.right)}"
    sep = " && " if isinstance(e, And) else " || "
    parts = []
    for a in e.args:
        t = text(a)
        parts.append(f"({t})" if isinstance(a, (And, Or)) else t)
    return sep.join(parts)


def symbols(e: Expr):
    """Symbol names a condition mentions, in order, once each."""
    seen = []

    def walk(x):
        if isinstance(x, Sym) and x.name not in seen:
            seen.append(x.name)
        elif isinstance(x, Not):
            walk(x.arg)
        elif isinstance(x, (And, Or)):
            for a in x.args:
                walk(a)
        elif isinstance(x, Cmp):
            walk(x.left)
            walk(x.right)

    walk(e)
    return seen


@dataclass(frozen=True)
class Term:
    """One failing piece of a condition, and the assignments that would make it hold."""
    text: str
    fixes: Tuple[Tuple[str, str], ...]  # (symbol, value); any one of them is enough


def unmet(e: Expr, v: Values, want: int = 2) -> Tuple[Term, ...]:
    """The parts of `e` that keep it below `want`, each with its current value shown."""
    if value(e, v) >= want:
        return ()
    if isinstance(e, Sym):
        return (Term(f"{e.name} (={TRI_NAME[v.tri(e.name)]})", ((e.name, TRI_NAME[want]),)),)
    if isinstance(e, Const):
        return (Term(f"{e.value} (constant)", ()),)
    if isinstance(e, And):
        out = []
        for a in e.args:
            out.extend(unmet(a, v, want))
        return tuple(out)
    if isinstance(e, Or):
        alts = [t for a in e.args for t in unmet(a, v, want)]
        fixes = tuple(f for t in alts for f in t.fixes)
        return (Term("one of: " + " | ".join(t.text for t in alts), fixes),)
    if isinstance(e, Not):
        inner = e.arg
        if isinstance(inner, Sym):
            return (Term(f"!{inner.name} ({inner.name}={TRI_NAME[v.tri(inner.name)]})",
                         ((inner.name, "n"),)),)
        return (Term(f"!({text(inner)}) (it holds)", ()),)
    if isinstance(e, Cmp):
        left = e.left
        if isinstance(left, Sym):
            cur = v.str_value(left.name) or "n"
            fix = ((left.name, e.right.value),) if e.op == "=" and isinstance(e.right, Const) else ()
            return (Term(f"{text(e)} ({left.name} is {cur})", fix),)
        return (Term(f"{text(e)} (false)", ()),)
    return (Term(text(e), ()),)
