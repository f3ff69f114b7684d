"""Compares requested assignments with final values and says why each miss happened.

The final values always come from the real configuration tool (the kernel's conf, or
kconfiglib for Buildroot); this module only reads the dependency structure a `Model` exposes
(direct dependencies, prompts, selects, choices, ranges) to name the unmet condition and the
assignments that would satisfy it. Same logic for the kernel and for Buildroot.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Protocol, Sequence, Tuple

from firmware.check import expr as E
from firmware.check.dotconfig import Request


@dataclass(frozen=True)
class Choice:
    prompt: str
    dep: E.Expr
    members: Tuple[str, ...]
    selected: Optional[str]


class Model(Protocol):
    prefix: str
    what: str  # "Linux 6.1.192 (i386)", "Buildroot 2026.08": names the tree in messages

    def defined(self, name: str) -> bool: ...
    def type(self, name: str) -> str: ...        # bool tristate int hex string unknown
    def tri(self, name: str) -> int: ...
    def str_value(self, name: str) -> str: ...
    def dep(self, name: str) -> E.Expr: ...
    def prompts(self, name: str) -> Tuple[E.Expr, ...]: ...   # visibility of each prompt
    def selectors(self, name: str) -> Tuple[Tuple[str, E.Expr], ...]: ...
    def choice(self, name: str) -> Optional[Choice]: ...
    def ranges(self, name: str) -> Tuple[Tuple[str, str, E.Expr], ...]: ...
    def names(self) -> Iterable[str]: ...


@dataclass(frozen=True)
class Finding:
    """A requested line that did not take effect, or could not be read."""
    name: str       # with its prefix, as written in the file
    requested: str
    got: str
    where: str
    reason: str
    fixes: Tuple[str, ...] = ()

    def render(self) -> str:
        head = f"{self.where}: {self.name}: requested {self.requested}, got {self.got}"
        lines = [f"{head}: {self.reason}"]
        lines += [f"    fix: {f}" for f in self.fixes]
        return "\n".join(lines)


def _shown(model: Model, name: str, val: str) -> str:
    t = model.type(name)
    if t in ("bool", "tristate", "unknown"):
        return "not set" if val in ("", "n") else val
    if t == "string":
        return f'"{val}"'
    return val if val != "" else "not set"


def _norm(model: Model, name: str, val: str) -> str:
    t = model.type(name)
    if t in ("bool", "tristate"):
        return val or "n"
    if t in ("int", "hex"):
        n = E._num(val)
        return str(n) if n is not None else val
    return val


def took_effect(model: Model, req: Request) -> bool:
    if not model.defined(req.name):
        return False
    return _norm(model, req.name, model.str_value(req.name)) == _norm(model, req.name, req.value)


def compare(model: Model, requests: Sequence[Request]) -> List[Finding]:
    """Every request whose final value differs, explained."""
    by_name = {r.name: r for r in requests}
    missed = {r.name for r in requests if not took_effect(model, r)}
    return [explain(model, r, by_name, missed) for r in requests if r.name in missed]


def _suggest(model: Model, name: str) -> Tuple[str, ...]:
    close = difflib.get_close_matches(name, list(model.names()), n=3, cutoff=0.75)
    return tuple(f"did you mean {model.prefix}{c}?" for c in close)


def explain(model: Model, req: Request, requested: Dict[str, Request],
            missed: Iterable[str] = ()) -> Finding:
    p, name = model.prefix, req.name
    missed = set(missed)
    got = model.str_value(name) if model.defined(name) else ""
    base = dict(name=p + name, requested=_shown(model, name, req.value) if model.defined(name)
                else req.value, got=_shown(model, name, got), where=req.where)
    if not model.defined(name):
        return Finding(reason=f"no such symbol in {model.what} (misspelt, renamed or removed); "
                       "kconfig ignores the line", fixes=_suggest(model, name), **base)
    t = model.type(name)
    want = E.TRI.get(req.value)
    have = model.tri(name)
    ctx = _Ctx(model, requested, missed)
    if t in ("bool", "tristate") and want is not None and have < want:
        reason, fixes = _why_lower(ctx, name, want)
    elif t in ("bool", "tristate") and want is not None and have > want:
        reason, fixes = _why_higher(ctx, name, want, have)
    elif t in ("bool", "tristate"):
        reason, fixes = f"{req.value!r} is not a value for a {t} symbol", (f"{p}{name}=y or n",)
    else:
        reason, fixes = _why_value(ctx, name, req.value)
    return Finding(reason=reason, fixes=tuple(dict.fromkeys(fixes)), **base)


@dataclass
class _Ctx:
    model: Model
    requested: Dict[str, Request]
    missed: set


def _visible(m: Model, name: str) -> int:
    return max((E.value(c, m) for c in m.prompts(name)), default=0)


def _why_lower(ctx: _Ctx, name: str, want: int) -> Tuple[str, List[str]]:
    m, p = ctx.model, ctx.model.prefix
    ch = m.choice(name)
    dep = m.dep(name)
    dv = E.value(dep, m)
    if dv < want:
        terms = E.unmet(dep, m, want)
        limit = "is limited to m by" if dv == 1 else "depends on"
        reason = f"{limit} {_terms(p, terms)}"
        return reason, _fixes_for(ctx, terms, depth=0)
    if ch is not None:
        cv = E.value(ch.dep, m)
        if cv == 0:
            terms = E.unmet(ch.dep, m)
            return (f"its choice '{ch.prompt}' depends on {_terms(p, terms)}",
                    _fixes_for(ctx, terms, 0))
        if not m.prompts(name) or _visible(m, name) == 0:
            return _hidden(ctx, name)
        other = ctx.requested.get(ch.selected) if ch.selected else None
        if other is not None:
            return (f"it is one option of the choice '{ch.prompt}', and {p}{ch.selected}="
                    f"{other.value} at {other.where} asks for another one",
                    [f"keep only one of {p}{name}=y and {p}{ch.selected}=y"])
        took = f"{p}{ch.selected}" if ch.selected else "nothing"
        return (f"it is one option of the choice '{ch.prompt}', which took {took}", [])
    if not m.prompts(name) or _visible(m, name) < want:
        return _hidden(ctx, name)
    return ("kconfig reset it; no unmet dependency was found by this scanner "
            "(check the symbol's defaults and selects)", [])


def _hidden(ctx: _Ctx, name: str) -> Tuple[str, List[str]]:
    m, p = ctx.model, ctx.model.prefix
    sels = _likely(m, m.selectors(name))
    fixes = [f"{p}{s}=y (selects {p}{name})" for s, _ in sels][:6]
    if not m.prompts(name):
        reason = "it has no prompt, so a config file cannot set it; only select/default can"
    else:
        conds = [c for c in m.prompts(name) if E.value(c, m) == 0]
        terms = E.unmet(conds[0], m) if conds else ()
        reason = f"its prompt is hidden: needs {_terms(p, terms)}"
        fixes = _fixes_for(ctx, terms, 0) + fixes
    if sels:
        reason += "; selected by " + ", ".join(f"{p}{s}" for s, _ in sels[:6])
    return reason, fixes


def _likely(m: Model, sels):
    """Selectors that could be turned on in this configuration (their own dependencies
    hold), or all of them when none can: the first are the useful suggestions."""
    ok = [(s, c) for s, c in sels if E.value(m.dep(s), m) > 0]
    return tuple(ok or sels)


def _why_higher(ctx: _Ctx, name: str, want: int, have: int) -> Tuple[str, List[str]]:
    m, p = ctx.model, ctx.model.prefix
    on = [(s, c) for s, c in m.selectors(name) if min(m.tri(s), E.value(c, m)) >= have]
    if on:
        who = ", ".join(f"{p}{s} (={E.TRI_NAME[m.tri(s)]})" for s, _ in on)
        return f"selected by {who}", [f"{p}{s}=n" for s, _ in on]
    ch = m.choice(name)
    if ch is not None and ch.selected == name:
        return (f"it is the selection of the choice '{ch.prompt}'; a choice always keeps one "
                "option: request the other one instead", [])
    if want == 1 and have == 2 and m.defined("MODULES") and m.tri("MODULES") == 0:
        return f"{p}MODULES is not set, so m is built in (y)", [f"{p}{name}=y", f"{p}MODULES=y"]
    if not m.prompts(name) or _visible(m, name) == 0:
        return "it has no visible prompt; its default sets it", []
    return "kconfig set it from a default or select this scanner could not trace", []


def _why_value(ctx: _Ctx, name: str, wanted: str) -> Tuple[str, List[str]]:
    m, p = ctx.model, ctx.model.prefix
    dep = m.dep(name)
    if E.value(dep, m) == 0:
        terms = E.unmet(dep, m)
        return f"depends on {_terms(p, terms)}", _fixes_for(ctx, terms, 0)
    if not m.prompts(name) or _visible(m, name) == 0:
        return _hidden(ctx, name)
    n = E._num(wanted)
    for lo, hi, cond in m.ranges(name):
        if E.value(cond, m) and n is not None:
            a, b = E._num(_resolve(m, lo)), E._num(_resolve(m, hi))
            if a is not None and b is not None and not a <= n <= b:
                return f"outside its range {a}..{b}", [f"{p}{name} between {a} and {b}"]
    return f"kconfig kept {_shown(m, name, m.str_value(name))}", []


def _resolve(m: Model, s: str) -> str:
    return m.str_value(s) if m.defined(s) else s


def _terms(p: str, terms: Sequence[E.Term]) -> str:
    return "; ".join(dict.fromkeys(t.text for t in terms)) or "(nothing found)"


def _fixes_for(ctx: _Ctx, terms: Sequence[E.Term], depth: int) -> List[str]:
    """Assignments that would satisfy the failing terms: a promptless symbol is replaced by
    the symbols that select it, and (two levels deep) a fix's own unmet dependencies are
    added after it, marked with what needs them. Each assignment appears once."""
    out: Dict[str, None] = {}
    _collect(ctx, terms, depth, None, out)
    return list(out)


def _collect(ctx: _Ctx, terms: Sequence[E.Term], depth: int, needed_by: Optional[str],
             out: Dict[str, None]) -> None:
    m, p = ctx.model, ctx.model.prefix
    note = f" (needed by {p}{needed_by})" if needed_by else ""
    have = {k.split(" ", 1)[0] for k in out}
    for t in terms:
        for sym, val in t.fixes[:6]:
            key = f"{p}{sym}={val}"
            if key in have:
                continue
            have.add(key)
            if not m.defined(sym):
                out[f"{p}{sym} does not exist in {m.what}{note}"] = None
                continue
            req = ctx.requested.get(sym)
            if req is not None and req.value == val and sym in ctx.missed:
                out[f"{key} is requested ({req.where}) but did not take effect either: "
                    "see its own line"] = None
                continue
            if req is not None and req.value != val:
                out[f"{key}{note} (conflicts with {p}{sym}={req.value} at {req.where})"] = None
                continue
            if val != "n" and not m.prompts(sym):
                sels = _likely(m, m.selectors(sym))
                for s, _ in sels[:6]:
                    out[f"{p}{s}=y (selects {p}{sym}){note}"] = None
                if not sels:
                    out[f"{p}{sym} has no prompt and nothing selects it"] = None
                continue
            out[key + note] = None
            if depth < 2 and val != "n":
                dep = m.dep(sym)
                if E.value(dep, m) < E.TRI.get(val, 2):
                    _collect(ctx, E.unmet(dep, m, E.TRI.get(val, 2)), depth + 1, sym, out)
