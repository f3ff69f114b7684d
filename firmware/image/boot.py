"""The boot loader's configuration: syslinux.cfg and the kernel command line, for both routes.

Pure (reads only the template). The file is the overlay's template
(overlay/usr/share/lvslite/syslinux.cfg.in) filled in here; the Debian-based image calls
`syslinux_cfg`, the Buildroot tree's post-image.sh runs `python3 -m firmware.image.boot
--baud B --kernel /bzImage [ARG...]`. The serial console speed is chosen here only: syslinux
talks on it (SERIAL), the kernel logs on it (console=ttyS0,<baud>n8) and the console shell
reads it back from /proc/cmdline (overlay/usr/libexec/lvslite/console). Speeds per board:
firmware/boards.json. The file sits on the FAT boot partition, so it can be edited after
flashing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Optional, Sequence

TEMPLATE = Path(__file__).resolve().parents[2] / "overlay/usr/share/lvslite/syslinux.cfg.in"
SPEEDS = (9600, 19200, 38400, 57600, 115200)
# The Debian-based image's kernel and initramfs on the boot partition; quiet: at 19200 baud
# the kernel's boot messages alone take seconds to print, and the kernel waits for the UART
# (printk to a serial console is synchronous).
IMAGE_KERNEL, IMAGE_INITRD, IMAGE_ARGS = "/vmlinuz", "/initrd.gz", ("quiet",)


class BootConfigError(ValueError):
    """A console speed or kernel argument the boot loader cannot take."""


def render(baud: int, kernel: str, initrd: Optional[str], args: Sequence[str]) -> str:
    """The template filled in: comment lines dropped, the INITRD line only with an initrd."""
    if baud not in SPEEDS:
        raise BootConfigError(f"console speed {baud}: not a serial speed syslinux and the "
                              f"kernel both take (one of {', '.join(map(str, SPEEDS))})")
    for arg in args:
        if not arg or any(c.isspace() for c in arg) or not arg.isprintable():
            raise BootConfigError(f"kernel argument {arg!r}: must be one printable word")
    out = []
    for line in TEMPLATE.read_text().splitlines(keepends=True):
        if line.startswith("#") or ("@INITRD@" in line and not initrd):
            continue
        out.append(line.replace("@BAUD@", str(baud)).replace("@KERNEL@", kernel)
                   .replace("@INITRD@", initrd or "").replace("@ARGS@", " ".join(args)))
    return "".join(out)


def syslinux_cfg(baud: int, extra: Sequence[str] = ()) -> str:
    """The Debian-based image's syslinux.cfg."""
    return render(baud, IMAGE_KERNEL, IMAGE_INITRD, (*IMAGE_ARGS, *extra))


def cmdline(baud: int, extra: Sequence[str] = ()) -> str:
    """The Debian-based image's kernel command line (its APPEND line)."""
    cfg = syslinux_cfg(baud, extra)
    return next(line.split(None, 1)[1] for line in cfg.splitlines()
                if line.strip().startswith("APPEND ")).strip()


def main(argv: Optional[Sequence[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m firmware.image.boot",
                                 description="print syslinux.cfg for the card's boot partition")
    ap.add_argument("--baud", type=int, required=True, help="serial console speed")
    ap.add_argument("--kernel", required=True, help="the kernel's path on the boot partition")
    ap.add_argument("--initrd", help="the initramfs's path on the boot partition (none: no "
                    "INITRD line)")
    ap.add_argument("args", nargs="*", metavar="ARG", help="extra kernel argument")
    a = ap.parse_args(argv)
    try:
        sys.stdout.write(render(a.baud, a.kernel, a.initrd, a.args))
    except BootConfigError as e:
        print(f"boot: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
