"""`python -m firmware.image build [options]`: make the card image (see __init__.py).

Exit codes: 0 built; 1 the build failed (the message says which step and what to do);
2 usage.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from firmware.image import config


def main(argv=None) -> int:
    repo = Path(__file__).resolve().parents[2]
    ap = argparse.ArgumentParser(prog="python -m firmware.image",
                                 description="build the Debian-based i386 card image")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")
    b = sub.add_parser("build", help="build out/image/lvslite-i386.img")
    b.add_argument("--out", type=Path, default=repo / "out/image", help="output folder")
    b.add_argument("--cache", type=Path, default=repo / ".cache/image",
                   help="where the Debian root and kernel package are cached")
    b.add_argument("--baud", type=int, default=config.DEFAULT_BAUD,
                   help=f"serial console speed (default {config.DEFAULT_BAUD}); "
                   + ", ".join(f"{b.name} {b.console}" for b in config.BOARDS.values()))
    b.add_argument("--board", choices=sorted(config.BOARDS),
                   help="the board's console speed and kernel arguments (firmware/boards.json)")
    b.add_argument("--append", action="append", default=[], metavar="ARG",
                   help="extra kernel argument (repeatable), e.g. libata.dma=0")
    b.add_argument("--mirror", metavar="URI", help="Debian archive (main component used; "
                   "default: the first one in this machine's apt sources)")
    b.add_argument("--keep-work", action="store_true", help="keep out/image/work")
    args = ap.parse_args(argv)
    if args.command != "build":
        ap.print_help(sys.stderr)
        return 2
    from firmware.image.boot import BootConfigError
    from firmware.image.build import Options, build
    from firmware.image.errors import ImageError

    board = config.BOARDS.get(args.board)
    baud = board.console if board else args.baud
    append = (*(board.kernel_args if board else ()), *args.append)
    opts = Options(repo=repo, out=args.out, cache=args.cache, baud=baud,
                   append=append, mirror=args.mirror, keep_work=args.keep_work)
    try:
        res = build(opts, lambda m: print(f"image: {m}", flush=True))
    except (ImageError, BootConfigError) as exc:
        print(f"image: error: {exc}", file=sys.stderr)
        return 1
    print(f"image: {res.image} {res.image_bytes / 2**20:.1f} MiB "
          f"({res.image_bytes} bytes; fits a 256 MB card: "
          f"{res.image_bytes <= config.CARD_BYTES}); root squashfs "
          f"{res.squashfs_bytes / 2**20:.1f} MiB, initramfs {res.initrd_bytes / 2**10:.0f} KiB, "
          f"kernel {res.kernel}, console ttyS0 {baud} 8N1, {res.seconds:.0f} s")
    for p in res.partitions:
        print(f"image:   {p.name:5s} start {p.start // 2**20:4d} MiB  size {p.size / 2**20:6.1f} MiB"
              f"  type 0x{p.type:02x}{'  active' if p.active else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
