"""Which kernel modules the image carries, and in which order the initramfs loads them.

Pure: modules.dep text in, module paths out. The Debian kernel package ships ~180 MB of
modules; the card carries the few the boards and the director need plus everything they
depend on (modules.dep, written by depmod: "path: dep dep ...", each dep itself a path).
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence, Tuple


def canonical(name: str) -> str:
    """Module names treat '-' and '_' alike (modprobe does the same)."""
    return name.replace("-", "_")


def name_of(path: str) -> str:
    base = path.rsplit("/", 1)[-1]
    for ext in (".ko.xz", ".ko.zst", ".ko.gz", ".ko"):
        if base.endswith(ext):
            base = base[: -len(ext)]
            break
    return canonical(base)


def parse_dep(text: str) -> Dict[str, Tuple[str, List[str]]]:
    """modules.dep -> {module name: (path, [paths it depends on])}."""
    out: Dict[str, Tuple[str, List[str]]] = {}
    for line in text.splitlines():
        if ":" not in line:
            continue
        path, _, rest = line.partition(":")
        out[name_of(path)] = (path.strip(), rest.split())
    return out


def parse_softdep(text: str) -> Dict[str, List[str]]:
    """modules.softdep ("softdep libcrc32c pre: crc32c") -> {module: [names, pre and post]}.

    Soft dependencies are loaded by modprobe but not named in modules.dep: libcrc32c needs
    the crc32c crypto module at init, or ip_vs fails to load (ENOENT).
    """
    out: Dict[str, List[str]] = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) < 3 or f[0] != "softdep":
            continue
        out.setdefault(canonical(f[1]), []).extend(
            w for w in f[2:] if w not in ("pre:", "post:"))
    return out


def parse_alias(text: str) -> Dict[str, List[str]]:
    """modules.alias ("alias crypto-crc32c crc32c_generic") -> {alias: [modules]}."""
    out: Dict[str, List[str]] = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) == 3 and f[0] == "alias":
            out.setdefault(f[1], []).append(canonical(f[2]))
    return out


def resolve(dep: Dict[str, Tuple[str, List[str]]], wanted: Iterable[str],
            softdep: Optional[Dict[str, List[str]]] = None,
            alias: Optional[Dict[str, List[str]]] = None) -> Tuple[List[str], List[str]]:
    """(module paths in load order, dependencies first; the wanted names not found).

    Order: a depth-first walk, each module after everything it depends on (hard ones from
    modules.dep, soft ones from modules.softdep through modules.alias), so insmod in this
    order never meets an unresolved symbol or a missing crypto algorithm.
    """
    softdep, alias = softdep or {}, alias or {}
    by_path = {p: n for n, (p, _) in dep.items()}
    order: List[str] = []
    seen = set()
    missing: List[str] = []

    def visit(name: str, stack: Tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in stack:
            raise ValueError(f"modules.dep has a cycle: {' -> '.join(stack + (name,))}")
        path, deps = dep[name]
        for d in deps:
            visit(by_path.get(d, name_of(d)), stack + (name,))
        for soft in softdep.get(name, ()):
            for m in ([canonical(soft)] if canonical(soft) in dep else alias.get(soft, [])):
                if m in dep and m not in stack:
                    visit(m, stack + (name,))
        seen.add(name)
        order.append(path)

    for w in wanted:
        n = canonical(w)
        if n not in dep:
            missing.append(w)
            continue
        visit(n, ())
    return order, missing


def missing_required(missing: Sequence[str], required: Sequence[str]) -> List[str]:
    req = {canonical(r) for r in required}
    return [m for m in missing if canonical(m) in req]
