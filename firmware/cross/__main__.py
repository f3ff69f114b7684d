"""python -m firmware.cross build --board net4801|net4501 [--mirror URI] [--refresh]
   python -m firmware.cross audit --isa i486|i586 [--kernel] PATH...

build: the board's card image (out/image/<board>/lvslite-<board>.img; see card.py).
audit: every ELF file under the paths against the instruction set; exit 1 when one has an
instruction the CPU lacks (each named by file and offset), 0 when none has.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from firmware.cross import audit, card

REPO = Path(__file__).resolve().parents[2]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m firmware.cross")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build a Soekris board's card image")
    b.add_argument("--board", required=True, choices=sorted(card.cross_boards()))
    b.add_argument("--out", type=Path, help="output folder (default out/image/<board>)")
    b.add_argument("--mirror", help="Debian archive URI (default: this machine's apt sources)")
    b.add_argument("--refresh", action="store_true",
                   help="fetch the Debian package lists again (new point releases)")
    b.add_argument("--keep-work", action="store_true", help="keep the root folder")
    a = sub.add_parser("audit", help="instructions a CPU lacks, in every ELF file")
    a.add_argument("--isa", required=True, choices=audit.ISAS)
    a.add_argument("--kernel", action="store_true",
                   help="the files are kernels: CPUID is not counted (they probe the CPU)")
    a.add_argument("--limit", type=int, default=20, help="findings shown per file")
    a.add_argument("paths", type=Path, nargs="+", metavar="PATH")
    args = ap.parse_args(argv)
    if args.cmd == "build":
        out = args.out or REPO / "out/image" / args.board
        return card.main_build(args.board, REPO, out, args.mirror, args.refresh,
                               args.keep_work)
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        print(f"audit: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    seen, found = audit.audit(args.paths, args.isa, userland=not args.kernel)
    print(audit.report(seen, found, args.isa, args.limit))
    if not seen:
        print("audit: no ELF file found", file=sys.stderr)
        return 2
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
