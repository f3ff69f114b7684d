"""Kernel fragments: run the kernel's own kconfig on them and explain what it dropped.

The verdict comes from the kernel tree's own tools (`make allnoconfig`, its
`scripts/kconfig/merge_config.sh -m`, `make olddefconfig`), run with O= in a scratch folder so
the source tree is never written (docs/reference/emulator.md#kernel-configuration-checks). The
reasons come from a tolerant line scanner of the tree's Kconfig files, because kconfiglib
14.1 cannot parse Linux >= 5.13 (docs/reference/firmware.md#kconfiglib-and-modern-kernels); the scanner reads only what an
explanation needs (types, prompts, depends on, if/menu/choice blocks, selects, ranges).
Bases: `allnoconfig` is `make allnoconfig KCONFIG_ALLCONFIG=<the merged fragments>` (the
kernel's own tinyconfig mechanism): every option the fragments do not name is off wherever it
can be, so a fragment must stand on its own (a NIC without its vendor menu is dropped).
`defaults` starts from an empty .config, merges the fragments with the tree's
merge_config.sh -m and runs olddefconfig, so unnamed options take their defaults: exactly what
Buildroot does with BR2_LINUX_KERNEL_USE_CUSTOM_CONFIG plus fragments (pkg-kconfig.mk).
"""
from __future__ import annotations

import glob
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from firmware.check import CheckError
from firmware.check import expr as E
from firmware.check.explain import Choice

BASES = ("allnoconfig", "defaults")
SRCARCH = {"i386": "x86", "x86_64": "x86"}


@dataclass
class _Def:
    name: str
    type: str = "unknown"
    deps: E.Expr = E.YES                  # enclosing if/menu/choice conditions and own depends
    prompts: List[E.Expr] = field(default_factory=list)
    ranges: List[Tuple[str, str, E.Expr]] = field(default_factory=list)
    choice: Optional[int] = None
    where: str = ""


@dataclass
class _Choice:
    prompt: str = "(choice)"
    deps: E.Expr = E.YES
    members: List[str] = field(default_factory=list)


@dataclass
class Index:
    """What the scanner learnt from a tree's Kconfig files."""
    defs: Dict[str, List[_Def]]
    selects: Dict[str, List[Tuple[str, E.Expr]]]
    choices: List[_Choice]
    files: int


_TYPES = {"bool": "bool", "tristate": "tristate", "int": "int", "hex": "hex",
          "string": "string", "def_bool": "bool", "def_tristate": "tristate"}
_ASSIGN = re.compile(r"^[A-Za-z0-9_-]+\s*(:=|\+=|=)")
_QUOTED = re.compile(r'^"((?:[^"\\]|\\.)*)"\s*(?:if\s+(.*))?$')


def _strip_comment(line: str) -> str:
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote and line[i - 1] != "\\":
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return line[:i]
    return line


def _cond(text: str) -> E.Expr:
    try:
        return E.parse(text)
    except E.ExprSyntaxError:
        return E.Unknown(text)


def scan(srctree: Path, arch: str) -> Index:
    """Read every Kconfig file reachable from `srctree/Kconfig` for `arch`."""
    vars_ = {"SRCARCH": SRCARCH.get(arch, arch), "ARCH": arch, "srctree": str(srctree),
             "HEADER_ARCH": SRCARCH.get(arch, arch)}
    defs: Dict[str, List[_Def]] = {}
    selects: Dict[str, List[Tuple[str, E.Expr]]] = {}
    choices: List[_Choice] = []
    # Block stack: each entry is a mutable list of conditions (if/menu/choice), and whether
    # it is a choice (index into choices) so members can be recorded.
    stack: List[Tuple[str, List[E.Expr], Optional[int]]] = []
    nfiles = [0]

    def expand(path: str) -> str:
        return re.sub(r"\$\(?([A-Za-z_]+)\)?", lambda m: vars_.get(m.group(1), m.group(0)), path)

    def read_file(path: Path) -> None:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError:
            return
        nfiles[0] += 1
        cur: Optional[_Def] = None
        cur_kind = None          # "config", "choice", "menu", "comment", None
        cur_sym = None
        help_indent = None       # indentation of the `help` line while in help text
        help_body = None
        logical: List[Tuple[int, str]] = []
        buf, start = "", 0
        for n, raw in enumerate(lines, 1):
            if buf:
                buf += " " + raw.strip()
            else:
                buf, start = raw, n
            if buf.endswith("\\"):
                buf = buf[:-1]
                continue
            logical.append((start, buf))
            buf = ""
        for n, raw in logical:
            expanded = raw.expandtabs(8)
            indent = len(expanded) - len(expanded.lstrip())
            if help_indent is not None:
                if not expanded.strip():
                    continue
                if help_body is None and indent > help_indent:
                    help_body = indent
                if help_body is not None and indent >= help_body:
                    continue
                help_indent = help_body = None
            line = _strip_comment(raw).strip()
            if not line:
                continue
            line = " ".join(line.split())
            word, _, rest = line.partition(" ")
            if word in ("help", "---help---"):
                help_indent, help_body = indent, None
                continue
            if word in ("config", "menuconfig"):
                cur_sym = rest.split()[0] if rest else ""
                deps = E.conj(*[c for _, conds, _ in stack for c in conds])
                choice_id = stack[-1][2] if stack and stack[-1][2] is not None else None
                cur = _Def(cur_sym, deps=deps, choice=choice_id, where=f"{path}:{n}")
                defs.setdefault(cur_sym, []).append(cur)
                if choice_id is not None:
                    choices[choice_id].members.append(cur_sym)
                cur_kind = "config"
                continue
            if word == "choice":
                choices.append(_Choice())
                stack.append(("choice", [], len(choices) - 1))
                cur, cur_kind = None, "choice"
                continue
            if word == "menu":
                stack.append(("menu", [], None))
                cur, cur_kind = None, "menu"
                continue
            if word == "if":
                stack.append(("if", [_cond(rest)], None))
                cur, cur_kind = None, None
                continue
            if word in ("endchoice", "endmenu", "endif"):
                _pop(stack, word[3:])
                cur, cur_kind = None, None
                continue
            if word in ("comment", "mainmenu"):
                cur, cur_kind = None, "comment"
                continue
            if word in ("source", "rsource", "osource", "orsource"):
                m = re.match(r'^"([^"]*)"', rest)
                target = expand(m.group(1) if m else rest)
                base = path.parent if word.startswith(("r", "or")) else srctree
                for p in sorted(glob.glob(str(base / target))):
                    read_file(Path(p))
                cur, cur_kind = None, None
                continue
            if _ASSIGN.match(line) and word not in _TYPES and word not in (
                    "depends", "select", "imply", "default", "range", "prompt", "visible"):
                continue  # a macro definition (Kconfig.include)
            if word == "depends" and rest.startswith("on"):
                c = _cond(rest[2:].strip())
                if cur_kind == "config" and cur is not None:
                    cur.deps = E.conj(cur.deps, c)
                elif cur_kind in ("menu", "choice") and stack:
                    stack[-1][1].append(c)
                    if cur_kind == "choice":
                        choices[stack[-1][2]].deps = E.conj(choices[stack[-1][2]].deps, c)
                continue
            if cur_kind == "choice" and stack and stack[-1][2] is not None:
                ch = choices[stack[-1][2]]
                if word == "prompt" or word in _TYPES:
                    m = _QUOTED.match(rest)
                    if m:
                        ch.prompt = m.group(1)
                continue
            if cur_kind != "config" or cur is None:
                continue
            if word in _TYPES:
                cur.type = _TYPES[word]
                if not word.startswith("def_"):
                    m = _QUOTED.match(rest)
                    if m:
                        cur.prompts.append(_cond(m.group(2)) if m.group(2) else E.YES)
                continue
            if word == "prompt":
                m = _QUOTED.match(rest)
                cur.prompts.append(_cond(m.group(2)) if m and m.group(2) else E.YES)
                continue
            if word == "select":
                target, _, cond = rest.partition(" if ")
                selects.setdefault(target.strip(), []).append(
                    (cur.name, E.conj(cur.deps, _cond(cond)) if cond else cur.deps))
                continue
            if word == "range":
                body, _, cond = rest.partition(" if ")
                parts = body.split()
                if len(parts) == 2:
                    cur.ranges.append((parts[0], parts[1], _cond(cond) if cond else E.YES))
                continue

    read_file(srctree / "Kconfig")
    return Index(defs, selects, choices, nfiles[0])


def _pop(stack, kind) -> None:
    while stack:
        k = stack.pop()[0]
        if k == kind:
            return


class KernelModel:
    """The explain.Model of a kernel tree: structure from `scan`, values from a .config."""

    prefix = "CONFIG_"

    def __init__(self, index: Index, values: Dict[str, str], what: str):
        self.index, self.values, self.what = index, values, what

    def defined(self, name):
        return name in self.index.defs

    def type(self, name):
        for d in self.index.defs.get(name, ()):
            if d.type != "unknown":
                return d.type
        return "unknown"

    def str_value(self, name):
        v = self.values.get(name)
        if v is None:
            return "n" if self.type(name) in ("bool", "tristate") else ""
        return v

    def tri(self, name):
        if self.type(name) not in ("bool", "tristate"):
            return 0
        return E.TRI.get(self.str_value(name), 0)

    def dep(self, name):
        return E.disj(*[d.deps for d in self.index.defs.get(name, ())]) if self.defined(name) \
            else E.Const("n")

    def prompts(self, name):
        return tuple(E.conj(d.deps, c) for d in self.index.defs.get(name, ()) for c in d.prompts)

    def selectors(self, name):
        return tuple(self.index.selects.get(name, ()))

    def choice(self, name):
        for d in self.index.defs.get(name, ()):
            if d.choice is not None:
                ch = self.index.choices[d.choice]
                sel = next((m for m in ch.members if self.values.get(m) == "y"), None)
                return Choice(ch.prompt, ch.deps, tuple(ch.members), sel)
        return None

    def ranges(self, name):
        return tuple(r for d in self.index.defs.get(name, ()) for r in d.ranges)

    def names(self):
        return self.index.defs.keys()


def kernel_version(linux: Path) -> str:
    try:
        head = (linux / "Makefile").read_text().splitlines()[:6]
    except OSError:
        return "?"
    kv = dict(l.replace(" ", "").split("=", 1) for l in head if "=" in l and not l.startswith("#"))
    ver = ".".join(x for x in (kv.get("VERSION"), kv.get("PATCHLEVEL"), kv.get("SUBLEVEL")) if x)
    return ver or "?"


def _run(cmd: Sequence[str], cwd: Path) -> str:
    proc = subprocess.run(list(cmd), cwd=str(cwd), capture_output=True, text=True)
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-12:]
        raise CheckError(f"{' '.join(cmd)} failed (exit {proc.returncode}):\n  "
                         + "\n  ".join(tail) + "\n(is flex, bison and bc installed?)")
    return proc.stdout + proc.stderr


def _seed(linux: Path, arch: str, base: str, scratch: Path) -> Path:
    """An O= folder with the kconfig tools built and the base .config, made once per tree,
    arch and base, so each check only merges and runs olddefconfig (about 1.5 s)."""
    mk = linux / "Makefile"
    key = hashlib.sha1(f"{linux.resolve()}|{arch}|{base}|{mk.stat().st_mtime_ns}".encode())
    seed = scratch / f"seed-{arch}-{base}-{key.hexdigest()[:12]}"
    if (seed / ".config").exists():
        return seed
    scratch.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".seed-{arch}-", dir=str(scratch)))
    _run(["make", "-s", "-C", str(linux.resolve()), f"ARCH={arch}", f"O={tmp}", "allnoconfig"],
         cwd=tmp)
    if base == "defaults":
        (tmp / ".config").write_text("")
    try:
        os.rename(tmp, seed)
    except OSError:  # another run made it first
        shutil.rmtree(tmp, ignore_errors=True)
    return seed


def merged_text(requests) -> str:
    """The merged fragments as one kconfig file (later assignments already won)."""
    out = []
    for r in requests:
        if r.value == "n" and not r.quoted:
            out.append(f"# CONFIG_{r.name} is not set")
        elif r.quoted:
            v = r.value.replace("\\", "\\\\").replace('"', '\\"')
            out.append(f'CONFIG_{r.name}="{v}"')
        else:
            out.append(f"CONFIG_{r.name}={r.value}")
    return "\n".join(out) + "\n"


def run_kconfig(linux: Path, arch: str, fragments: Sequence[Path], base: str,
                scratch: Path, keep: bool = False, requests=None) -> Tuple[str, str, Path]:
    """Final .config text, merge log, and the run folder (deleted unless `keep`)."""
    if not (linux / "Makefile").is_file() or not (linux / "Kconfig").is_file():
        raise CheckError(f"{linux}: not a Linux source tree (no Makefile/Kconfig); give "
                         "--linux the unpacked tree, e.g. .cache/linux-source/linux-source-6.1")
    merge = linux / "scripts" / "kconfig" / "merge_config.sh"
    if not merge.is_file():
        raise CheckError(f"{merge}: missing; this tree cannot merge fragments")
    if base not in BASES:
        raise CheckError(f"base {base!r} unknown (one of {', '.join(BASES)})")
    for tool in ("make", "flex", "bison", "bc", "gcc"):
        if shutil.which(tool) is None:
            raise CheckError(f"{tool} not found: the kernel's kconfig needs make, gcc, flex, "
                             "bison and bc (apt-get install flex bison bc)")
    seed = _seed(linux, arch, base, scratch)
    run = Path(tempfile.mkdtemp(prefix=f"run-{arch}-", dir=str(scratch)))
    try:
        shutil.copytree(seed, run, symlinks=True, dirs_exist_ok=True)
        make = ["make", "-s", "-C", str(linux.resolve()), f"ARCH={arch}", f"O={run}"]
        if base == "allnoconfig":
            if requests is None:
                from firmware.check import dotconfig
                requests, _ = dotconfig.read(fragments, "CONFIG_")
            allconfig = run / "lvslite.allconfig"
            allconfig.write_text(merged_text(requests))
            log = _run(make + [f"KCONFIG_ALLCONFIG={allconfig}", "allnoconfig"], cwd=run)
        else:
            frags = [str(Path(f).resolve()) for f in fragments]
            # merge_config.sh makes its temp file in the current folder: run it in `run`.
            log = _run(["sh", str(merge.resolve()), "-O", str(run), "-m", str(run / ".config")]
                       + frags, cwd=run)
            log += _run(make + ["olddefconfig"], cwd=run)
        text = (run / ".config").read_text()
    finally:
        if not keep:
            shutil.rmtree(run, ignore_errors=True)
    return text, log, run
