"""`python -m firmware check`: the defconfig and kernel-fragment checks as a command.

Exit codes: 0 every requested option took effect; 1 something did not (or a file is
malformed); 2 usage, or a tree/tool the check needs is missing; 4 nothing wrong was found but
the check was partial (no Buildroot tree given, so dependencies were not evaluated).
Output: one summary line per file checked, then one block per line that did not take effect:
`file:line: NAME: requested X, got Y: reason` and `fix:` lines.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence

from firmware.check import CheckError

EXIT_OK, EXIT_MISSED, EXIT_USAGE, EXIT_PARTIAL = 0, 1, 2, 4
REPO = Path(__file__).resolve().parents[2]
DEFAULT_SCRATCH = REPO / ".cache" / "firmware"


def add_arguments(ap: argparse.ArgumentParser) -> None:
    sub = ap.add_subparsers(dest="check", metavar="CHECK")
    d = sub.add_parser("defconfig", help="a Buildroot defconfig with this external tree",
                       description="Apply a defconfig to Buildroot's Config.in with the external "
                       "tree (kconfiglib) and report every symbol whose final value differs.")
    d.add_argument("--buildroot", type=Path, help="top folder of a Buildroot tree")
    d.add_argument("--symbols", type=Path, help="NAME<TAB>TYPE list of Buildroot's symbols, "
                   "checked when no tree is given (or in addition)")
    d.add_argument("--external", type=Path, action="append",
                   help="BR2_EXTERNAL tree(s); default: the tree holding the defconfig")
    d.add_argument("defconfigs", type=Path, nargs="+", metavar="DEFCONFIG")
    d.set_defaults(func=run_defconfig)

    k = sub.add_parser("kernel-fragment", help="kernel fragments against a Linux tree",
                       description="Run the kernel's own kconfig on the fragments (in a scratch "
                       "folder) and report every fragment line missing or different.")
    k.add_argument("--linux", type=Path, required=True, help="Linux source tree")
    k.add_argument("--arch", choices=("i386", "x86_64"), required=True)
    k.add_argument("--base", choices=("allnoconfig", "defaults"), default="allnoconfig",
                   help="allnoconfig (default): every option the fragments do not name is "
                   "off, so they must stand alone; defaults: unnamed options at their "
                   "defaults, as Buildroot builds it")
    k.add_argument("--dotconfig", type=Path,
                   help="compare with this existing .config instead of running kconfig")
    k.add_argument("--scratch", type=Path, default=DEFAULT_SCRATCH,
                   help=f"folder for the O= runs (default {DEFAULT_SCRATCH})")
    k.add_argument("--keep", action="store_true", help="keep the O= run folder")
    k.add_argument("fragments", type=Path, nargs="+", metavar="FRAGMENT")
    k.set_defaults(func=run_kernel)


def _print_findings(findings) -> None:
    for f in findings:
        print(f.render())


def _external_of(defconfig: Path) -> Optional[Path]:
    for cand in (defconfig.resolve().parent.parent, defconfig.resolve().parent):
        if (cand / "external.desc").is_file():
            return cand
    return None


def run_defconfig(args) -> int:
    from firmware.check import buildroot, dotconfig
    worst = EXIT_OK
    for dc in args.defconfigs:
        t0 = time.monotonic()
        exts = args.external or [e for e in [_external_of(dc)] if e]
        reqs, errors = dotconfig.read([dc], prefix="")
        for e in errors:
            print(f"{e}")
        findings = []
        ext_map = {buildroot.external_name(e)[0]: e.resolve() for e in exts}
        findings += buildroot.check_paths(reqs, ext_map)
        checked = []
        if args.symbols:
            known = buildroot.read_symbols(args.symbols)
            for e in exts:
                known.update(buildroot.external_symbols(e))
            findings += buildroot.check_names(reqs, known, f"the symbol list {args.symbols.name}"
                                              + (" or the external tree" if exts else ""))
            checked.append("names")
        if args.buildroot:
            kconf = buildroot.load(args.buildroot, exts, dc)
            model = buildroot.BuildrootModel(
                kconf, f"Buildroot {buildroot.buildroot_version(args.buildroot.resolve())}"
                + (" with " + ", ".join(ext_map) if ext_map else ""))
            from firmware.check.explain import compare
            have = {(f.where, f.name) for f in findings}
            findings += [f for f in compare(model, reqs) if (f.where, f.name) not in have]
            checked.append("values")
        findings.sort(key=lambda f: _line_of(f.where))
        scope = {("names",): "names only", ("values",): "values", ("names", "values"):
                 "names and values"}.get(tuple(checked), "file syntax and paths only")
        print(f"defconfig {dc}: {len(reqs)} symbols, {len(findings)} problem(s) "
              f"[{scope}] ({time.monotonic() - t0:.1f} s)")
        if not args.buildroot:
            print(f"defconfig {dc}: no Buildroot tree given (--buildroot DIR): dependencies and "
                  "final values were NOT checked" + ("" if args.symbols else
                                                     "; give --symbols FILE to check names"))
        _print_findings(findings)
        if findings or errors:
            worst = EXIT_MISSED
        elif not args.buildroot and worst == EXIT_OK:
            worst = EXIT_PARTIAL
    return worst


def _line_of(where: str):
    path, _, line = where.rpartition(":")
    return (path, int(line) if line.isdigit() else 0)


def run_kernel(args) -> int:
    from firmware.check import dotconfig, kernel
    from firmware.check.explain import compare
    t0 = time.monotonic()
    notes: List[str] = []
    reqs, errors = dotconfig.read(args.fragments, prefix="CONFIG_", notes=notes)
    for e in errors:
        print(e)
    linux = args.linux
    if args.dotconfig:
        try:
            text = args.dotconfig.read_text()
        except OSError as e:
            raise CheckError(f"{args.dotconfig}: cannot read ({e.strerror})")
        how = f"compared with {args.dotconfig}"
    else:
        text, _log, _ = kernel.run_kconfig(linux, args.arch, args.fragments, args.base,
                                          args.scratch, args.keep, reqs)
        how = ("allnoconfig with the fragments as KCONFIG_ALLCONFIG"
               if args.base == "allnoconfig"
               else "fragments merged on an empty .config, olddefconfig")
    t_conf = time.monotonic() - t0
    values = dotconfig.values(text, "CONFIG_")
    what = f"Linux {kernel.kernel_version(linux)} ({args.arch})"
    # Explaining needs the Kconfig scan (about 1 s): only when something looks dropped.
    findings = []
    if any(not _same(values.get(r.name), r.value) for r in reqs):
        model = kernel.KernelModel(kernel.scan(linux, args.arch), values, what)
        findings = compare(model, reqs)
    for note in notes:
        print(f"note: {note}")
    print(f"kernel-fragment {what}, {how}: {len(reqs)} options from "
          f"{len(args.fragments)} fragment(s), {len(findings)} did not take effect "
          f"(kconfig {t_conf:.1f} s, total {time.monotonic() - t0:.1f} s)")
    _print_findings(findings)
    return EXIT_MISSED if findings or errors else EXIT_OK


def _same(got: Optional[str], want: str) -> bool:
    if got is None:
        return want in ("n", "")
    return got == want


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m firmware check",
                                 description="check that every requested option took effect")
    add_arguments(ap)
    args = ap.parse_args(argv)
    if not getattr(args, "func", None):
        ap.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return args.func(args)
    except CheckError as e:
        print(f"firmware check: error: {e}", file=sys.stderr)
        return EXIT_USAGE
