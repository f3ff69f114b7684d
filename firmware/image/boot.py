"""The boot loader's configuration: syslinux.cfg and the kernel command line.

Pure. The serial console speed lives here only: syslinux talks on it (SERIAL), the kernel
logs on it (console=ttyS0,<baud>n8) and the console shell reads it back from /proc/cmdline
(overlay/usr/libexec/lvslite/console). Speeds: docs/reference/firmware.md#console-speeds (Soekris 19200, ALIX 38400,
APU 115200). The file sits on the FAT boot partition, so it can be edited after flashing.
"""
from __future__ import annotations

from typing import Sequence

from firmware.image.config import ROOT_PARTUUID

SPEEDS = (9600, 19200, 38400, 57600, 115200)


class BootConfigError(ValueError):
    """A console speed or kernel argument the boot loader cannot take."""


def cmdline(baud: int, extra: Sequence[str] = ()) -> str:
    if baud not in SPEEDS:
        raise BootConfigError(f"console speed {baud}: not a serial speed syslinux and the "
                              f"kernel both take (one of {', '.join(map(str, SPEEDS))})")
    for arg in extra:
        if not arg or any(c.isspace() for c in arg) or not arg.isprintable():
            raise BootConfigError(f"kernel argument {arg!r}: must be one printable word")
    # quiet: at 19200 baud the kernel's boot messages alone take seconds to print, and the
    # kernel waits for the UART (printk to a serial console is synchronous).
    args = [f"console=ttyS0,{baud}n8", f"root=PARTUUID={ROOT_PARTUUID}", "rootfstype=squashfs",
            "ro", "rootwait", "panic=10", "quiet", *extra]
    return " ".join(args)


def syslinux_cfg(baud: int, extra: Sequence[str] = ()) -> str:
    return (f"SERIAL 0 {baud}\n"
            "PROMPT 0\n"
            "TIMEOUT 20\n"
            "DEFAULT lvslite\n"
            "LABEL lvslite\n"
            "\tKERNEL /vmlinuz\n"
            "\tINITRD /initrd.gz\n"
            f"\tAPPEND {cmdline(baud, extra)}\n")
