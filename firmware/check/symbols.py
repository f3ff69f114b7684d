"""Buildroot's symbol list: every Kconfig symbol a Buildroot tree defines, with its type.

Regenerate the list the checks read when no Buildroot tree is at hand (from the top of the
repository, with a Buildroot tree of the release the defconfigs are written against):

    python -m firmware.check.symbols BUILDROOT_DIR > firmware/buildroot/symbols-2026.08.tsv

Output: a header line `# Kconfig symbols defined by Buildroot <version> (commit <sha>), one
per line: NAME<TAB>TYPE`, then one NAME<TAB>TYPE line per symbol, sorted by name. The tree is
loaded with kconfiglib exactly as `check defconfig --buildroot` loads it, without any external
tree, so only Buildroot's own symbols are listed. The commit is the tree's git HEAD (a git
checkout) or `--commit SHA` (an unpacked archive); `unknown` otherwise.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence

from firmware.check import CheckError

HEADER = ("# Kconfig symbols defined by Buildroot {version} (commit {commit}), one per line: "
          "NAME<TAB>TYPE")


def symbols(br: Path) -> Dict[str, str]:
    """NAME -> TYPE of every symbol Buildroot's Config.in defines (no external tree)."""
    import kconfiglib

    from firmware.check import buildroot
    kconf = buildroot.load(br, [])
    return {s.name: kconfiglib.TYPE_TO_STR[s.type] for s in kconf.unique_defined_syms}


def git_commit(br: Path) -> Optional[str]:
    """The tree's HEAD, abbreviated as git does it (10 hex digits), or None outside git."""
    try:
        out = subprocess.run(["git", "-C", str(br), "rev-parse", "--short=10", "HEAD"],
                             capture_output=True, text=True)
    except OSError:
        return None
    sha = out.stdout.strip()
    return sha if out.returncode == 0 and sha else None


def render(syms: Dict[str, str], version: str, commit: str) -> str:
    lines = [HEADER.format(version=version, commit=commit)]
    lines += [f"{name}\t{typ}" for name, typ in sorted(syms.items())]
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m firmware.check.symbols",
                                 description="print the NAME<TAB>TYPE list of a Buildroot "
                                 "tree's Kconfig symbols")
    ap.add_argument("buildroot", type=Path, metavar="BUILDROOT_DIR")
    ap.add_argument("--commit", help="commit of the tree, when it is not a git checkout")
    args = ap.parse_args(argv)
    from firmware.check import buildroot
    try:
        syms = symbols(args.buildroot)
    except CheckError as e:
        print(f"symbols: error: {e}", file=sys.stderr)
        return 2
    commit = (args.commit or git_commit(args.buildroot) or "unknown")[:10]
    sys.stdout.write(render(syms, buildroot.buildroot_version(args.buildroot.resolve()), commit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
