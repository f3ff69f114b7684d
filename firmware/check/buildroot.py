"""Buildroot defconfigs: load Buildroot's Config.in with our external tree via kconfiglib.

Recipe (docs/reference/firmware.md#buildroots-kconfig, docs/reference/emulator.md#kernel-configuration-checks): write the `.br2-external.in.*` includes
Buildroot's support/scripts/br2-external would write (our own small generator, same format),
set CONFIG_ to "" because Buildroot's symbols carry their own BR2_ prefix, point $srctree
at the Buildroot tree and $BR2_BASE_DIR at the includes, then `load_config(defconfig)` the
way `make X_defconfig` applies it. Without a tree, `check_names` compares the names with
the symbol list firmware/buildroot/symbols-2026.08.tsv (made by firmware/check/symbols.py)
plus the external tree's own symbols. The environment is changed only inside `_env` and
restored after.
"""
from __future__ import annotations

import contextlib
import difflib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

from firmware.check import CheckError
from firmware.check import expr as E
from firmware.check.dotconfig import Request
from firmware.check.explain import Choice, Finding

INCLUDES = ("paths", "menus", "toolchains", "jpeg", "openssl", "skeleton", "init", "linux")
PROVIDES = {"toolchains": "provides/toolchains.in", "jpeg": "provides/jpeg.in",
            "openssl": "provides/openssl.in", "skeleton": "provides/skeleton.in",
            "init": "provides/init.in", "linux": "linux/Config.ext.in"}


def external_name(ext: Path) -> Tuple[str, str]:
    """(name, desc) from external.desc, with Buildroot's rules for the name."""
    desc_file = ext / "external.desc"
    try:
        text = desc_file.read_text()
    except OSError:
        raise CheckError(f"{ext}: no external.desc; a BR2_EXTERNAL tree needs external.desc, "
                         "external.mk and Config.in")
    name = re.search(r"^name: +(.*)$", text, re.M)
    desc = re.search(r"^desc: +(.*)$", text, re.M)
    if not name or not re.fullmatch(r"[A-Za-z0-9_]+", name.group(1).strip()):
        raise CheckError(f"{desc_file}: needs a 'name: NAME' line of [A-Za-z0-9_]")
    for f in ("external.mk", "Config.in"):
        if not (ext / f).is_file():
            raise CheckError(f"{ext}/{f}: missing; Buildroot refuses an external tree without it")
    n = name.group(1).strip()
    return n, (desc.group(1).strip() if desc else n)


def write_includes(outdir: Path, externals: Sequence[Path]) -> Dict[str, str]:
    """The .br2-external.in.* files, and the BR2_EXTERNAL_<NAME>_PATH variables to export."""
    outdir.mkdir(parents=True, exist_ok=True)
    files = {k: ["#\n# Automatically generated file; DO NOT EDIT.\n#\n\n"] for k in INCLUDES}
    env: Dict[str, str] = {}
    names = []
    for ext in externals:
        ext = Path(ext).resolve()
        name, desc = external_name(ext)
        names.append((name, desc, ext))
        env[f"BR2_EXTERNAL_{name}_PATH"] = str(ext)
    if not names:
        for k in INCLUDES:
            files[k].append("# No br2-external tree defined.\n")
    else:
        files["paths"].append('config BR2_EXTERNAL_NAMES\n\tstring\n\tdefault "%s"\n\n'
                              % " ".join(n for n, _, _ in names))
        files["menus"].append('menu "External options"\n\n')
        for name, desc, ext in names:
            files["paths"].append(f'config BR2_EXTERNAL_{name}_PATH\n\tstring\n\tdefault "{ext}"\n'
                                  f'config BR2_EXTERNAL_{name}_VERSION\n\tstring\n\tdefault ""\n\n')
            wrap = len(names) > 1
            if wrap:
                files["menus"].append(f'menu "{desc}"\n')
            files["menus"].append(f'comment "{desc} (in {ext})"\nsource "{ext}/Config.in"\n')
            if wrap:
                files["menus"].append(f"endmenu # {name}\n")
            files["menus"].append("\n")
            for key, rel in PROVIDES.items():
                if (ext / rel).is_file():
                    files[key].append(f'source "{ext}/{rel}"\n\n')
        files["menus"].append("endmenu\n")
    for k, parts in files.items():
        (outdir / f".br2-external.in.{k}").write_text("".join(parts))
    return env


def buildroot_version(br: Path) -> str:
    try:
        m = re.search(r"^export BR2_VERSION := (\S+)", (br / "Makefile").read_text(), re.M)
    except OSError:
        m = None
    return m.group(1) if m else "unknown"


def _host_gcc_version() -> str:
    """What Buildroot's Makefile computes: the host gcc's major version (or "4 9" style)."""
    gcc = shutil.which("gcc")
    if gcc:
        out = subprocess.run([gcc, "-dumpfullversion", "-dumpversion"], capture_output=True,
                             text=True).stdout.strip().split(".")
        if out and out[0].isdigit():
            return out[0] if int(out[0]) > 4 else " ".join(out[:2])
    return "12"


@contextlib.contextmanager
def _env(values: Dict[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def load(br: Path, externals: Sequence[Path], defconfig: Optional[Path] = None):
    """A kconfiglib.Kconfig of Buildroot with the externals, with `defconfig` applied."""
    try:
        import kconfiglib
    except ImportError:
        raise CheckError("kconfiglib is not installed: pip install kconfiglib==14.1.0 "
                         "(make setup does it)")
    br = Path(br).resolve()
    if not (br / "Config.in").is_file():
        raise CheckError(f"{br}: not a Buildroot tree (no Config.in); give --buildroot the "
                         "top folder of an unpacked Buildroot release")
    work = Path(tempfile.mkdtemp(prefix="lvslite-br2-"))
    try:
        env = write_includes(work, externals)
        env.update({"CONFIG_": "", "srctree": str(br), "BR2_BASE_DIR": str(work),
                    "BASE_DIR": str(work), "BR2_VERSION_FULL": buildroot_version(br),
                    "HOSTARCH": "x86_64", "HOST_GCC_VERSION": _host_gcc_version(),
                    "BR2_HIDE_SECONDARY_TARGET_OPTIONS": "n", "SKIP_LEGACY": "",
                    "BR2_DEFCONFIG_FROM_ENV": "", "KCONFIG_WARN_UNDEF_ASSIGN": "y"})
        with _env(env):
            try:
                kconf = kconfiglib.Kconfig(str(br / "Config.in"), warn_to_stderr=False)
                if defconfig is not None:
                    kconf.load_config(str(defconfig), replace=True)
            except kconfiglib.KconfigError as e:
                raise CheckError(f"kconfiglib cannot load {br}/Config.in with "
                                 f"{', '.join(map(str, externals))}: {e}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return kconf


class BuildrootModel:
    """The explain.Model of a loaded kconfiglib.Kconfig (names keep their BR2_ prefix)."""

    prefix = ""

    def __init__(self, kconf, what: str):
        import kconfiglib
        self.k, self.kl, self.what = kconf, kconfiglib, what
        self._sel: Optional[Dict[str, List[Tuple[str, E.Expr]]]] = None

    def _sym(self, name):
        s = self.k.syms.get(name)
        return s if s is not None and s.nodes else None

    def defined(self, name):
        return self._sym(name) is not None

    def type(self, name):
        s = self._sym(name)
        return self.kl.TYPE_TO_STR[s.type] if s is not None else "unknown"

    def str_value(self, name):
        s = self._sym(name)
        return s.str_value if s is not None else ""

    def tri(self, name):
        s = self._sym(name)
        return s.tri_value if s is not None and s.type in (self.kl.BOOL, self.kl.TRISTATE) else 0

    def convert(self, e) -> E.Expr:
        kl = self.kl
        if isinstance(e, kl.Symbol):
            return E.Const(e.name) if e.is_constant else E.Sym(e.name)
        if isinstance(e, kl.Choice):
            return E.Unknown("<choice>")
        op = e[0]
        if op == kl.AND:
            return E.conj(self.convert(e[1]), self.convert(e[2]))
        if op == kl.OR:
            return E.disj(self.convert(e[1]), self.convert(e[2]))
        if op == kl.NOT:
            return E.Not(self.convert(e[1]))
        return E.Cmp(kl.REL_TO_STR[op], self.convert(e[1]), self.convert(e[2]))

    def dep(self, name):
        s = self._sym(name)
        return self.convert(s.direct_dep) if s is not None else E.Const("n")

    def prompts(self, name):
        s = self._sym(name)
        if s is None:
            return ()
        return tuple(self.convert(n.prompt[1]) for n in s.nodes if n.prompt)

    def selectors(self, name):
        if self._sel is None:
            self._sel = {}
            for s in self.k.unique_defined_syms:
                for target, cond in s.orig_selects:
                    self._sel.setdefault(target.name, []).append(
                        (s.name, E.conj(self.convert(s.direct_dep), self.convert(cond))))
        return tuple(self._sel.get(name, ()))

    def choice(self, name):
        s = self._sym(name)
        if s is None or s.choice is None:
            return None
        ch = s.choice
        prompt = next((n.prompt[0] for n in ch.nodes if n.prompt), "(choice)")
        sel = ch.selection.name if ch.selection is not None else None
        return Choice(prompt, self.convert(ch.direct_dep), tuple(m.name for m in ch.syms), sel)

    def ranges(self, name):
        s = self._sym(name)
        if s is None:
            return ()
        return tuple((lo.name, hi.name, self.convert(c)) for lo, hi, c in s.ranges)

    def names(self):
        return [s.name for s in self.k.unique_defined_syms]


def read_symbols(path: Path) -> Dict[str, str]:
    """NAME -> TYPE from the exported symbol list (tab separated, # comments)."""
    out = {}
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith("#") or not line.strip():
                continue
            name, _, typ = line.partition("\t")
            out[name.strip()] = typ.strip() or "unknown"
    except OSError as e:
        raise CheckError(f"{path}: cannot read the symbol list ({e.strerror})")
    return out


def external_symbols(ext: Path) -> Dict[str, str]:
    """The symbols our external tree defines itself, read with kconfiglib from its Config.in
    alone (which also proves the file parses); references to Buildroot symbols stay n."""
    import kconfiglib
    ext = Path(ext).resolve()
    name, _ = external_name(ext)
    work = Path(tempfile.mkdtemp(prefix="lvslite-ext-"))
    try:
        top = work / "Config.in"
        top.write_text(f'source "{ext}/Config.in"\n')
        with _env({"CONFIG_": "", "srctree": str(work), f"BR2_EXTERNAL_{name}_PATH": str(ext)}):
            try:
                k = kconfiglib.Kconfig(str(top), warn_to_stderr=False)
            except kconfiglib.KconfigError as e:
                raise CheckError(f"{ext}/Config.in does not parse: {e}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return {s.name: kconfiglib.TYPE_TO_STR[s.type] for s in k.unique_defined_syms}


def check_names(requests: Sequence[Request], known: Dict[str, str], what: str) -> List[Finding]:
    """Names that are not symbols at all, and values of the wrong kind for the symbol's type."""
    out = []
    for r in requests:
        typ = known.get(r.name)
        if typ is None:
            close = difflib.get_close_matches(r.name, list(known), n=3, cutoff=0.75)
            out.append(Finding(r.name, r.value, "(ignored)", r.where,
                               f"no such symbol in {what} (misspelt, renamed or removed); "
                               "kconfig ignores the line",
                               tuple(f"did you mean {c}?" for c in close)))
        elif typ in ("bool", "tristate") and (r.quoted or r.value not in ("y", "m", "n")):
            out.append(Finding(r.name, r.value, "(invalid)", r.where,
                               f"{r.name} is a {typ}: the value must be y or n", ()))
        elif typ == "string" and not r.quoted:
            out.append(Finding(r.name, r.value, "(invalid)", r.where,
                               f"{r.name} is a string: the value needs double quotes", ()))
        elif typ in ("int", "hex") and r.quoted:
            out.append(Finding(r.name, r.value, "(invalid)", r.where,
                               f"{r.name} is an {typ}: write the number without quotes", ()))
    return out


_EXT_REF = re.compile(r"\$\(BR2_EXTERNAL_([A-Za-z0-9_]+)_PATH\)")


def check_paths(requests: Sequence[Request], externals: Dict[str, Path]) -> List[Finding]:
    """Files named through $(BR2_EXTERNAL_<NAME>_PATH) must exist (scripts executable);
    Buildroot only finds out at the end of a long build."""
    out = []
    for r in requests:
        if not r.quoted or "$(BR2_EXTERNAL_" not in r.value:
            continue
        for word in r.value.split():
            m = _EXT_REF.search(word)
            if not m:
                continue
            ext = externals.get(m.group(1))
            if ext is None:
                out.append(Finding(r.name, r.value, "(unresolved)", r.where,
                                   f"no external tree named {m.group(1)} is loaded", ()))
                continue
            path = Path(_EXT_REF.sub(str(ext), word))
            if not path.exists():
                out.append(Finding(r.name, word, "(missing)", r.where,
                                   f"{path} does not exist", ()))
            elif r.name.endswith("_SCRIPT") and path.is_file() and not os.access(path, os.X_OK):
                out.append(Finding(r.name, word, "(not executable)", r.where,
                                   f"{path} is not executable; Buildroot runs it directly",
                                   (f"chmod +x {path}",)))
    return out
