"""The board table (firmware/boards.json): what each board is and how its firmware is built.

Stdlib only, no side effects: make reads it through `python3 -m firmware.boards make`
(one `name,defconfig,board_dir,arch,console` word per board) and `... route cross` (the
names of the boards a route builds), the image builders through `boards()`. A board's RAM comes from the sizing catalog (bench/boxes.json), which already
holds it under the same name.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Optional, Tuple

HERE = Path(__file__).resolve().parent
TABLE = HERE / "boards.json"
CATALOG = HERE.parent / "bench" / "boxes.json"
MAKE_FIELDS = ("name", "defconfig", "board_dir", "arch", "console")


@dataclass(frozen=True)
class Board:
    name: str
    defconfig: str            # firmware/buildroot/configs/<defconfig>
    board_dir: str            # firmware/buildroot/board/<board_dir>/linux.fragment
    arch: str                 # the kernel's ARCH: i386 or x86_64
    buildroot_cpu: str        # Buildroot's target CPU symbol
    kernel_cpu: Optional[str]  # the kernel's processor family (CONFIG_<kernel_cpu>=y)
    console: int              # serial console speed, 8N1 (boot loader, kernel, shell)
    kernel_args: Tuple[str, ...]
    routes: Tuple[str, ...]   # buildroot, debian-i386, cross
    isa: Optional[str] = None           # cross: the audited instruction set (i486, i586)
    userland_cpu: Optional[str] = None  # cross: the CPU the userland is compiled for
    qemu_cpu: Optional[str] = None      # cross: the boot test's emulated CPU model
    qemu_mb: Optional[int] = None       # cross: and its RAM, MB

    def post_script_args(self) -> str:
        """BR2_ROOTFS_POST_SCRIPT_ARGS of the board's defconfig."""
        return " ".join((self.name, str(self.console), *self.kernel_args))

    def ram_mb(self) -> Optional[int]:
        boxes = json.loads(CATALOG.read_text())["boxes"]
        return next((b["ram_mb"] for b in boxes if b["name"] == self.name), None)


def boards() -> Dict[str, Board]:
    out = {}
    for row in json.loads(TABLE.read_text())["boards"]:
        row = dict(row, kernel_args=tuple(row["kernel_args"]), routes=tuple(row["routes"]))
        out[row["name"]] = Board(**row)
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 2 and argv[0] == "route":       # the boards one route builds
        print(" ".join(b.name for b in boards().values() if argv[1] in b.routes))
        return 0
    if argv != ["make"]:
        print("usage: python3 -m firmware.boards make | route ROUTE", file=sys.stderr)
        return 2
    print(" ".join(",".join(str(getattr(b, f)) for f in MAKE_FIELDS)
                   for b in boards().values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
