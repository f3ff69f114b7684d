"""`python -m firmware.flash IMAGE DEVICE [--yes] [--force]` (and `make flash`).

Shows the target (model, size, partitions), refuses what policy.py refuses, asks the user to
type the device's name (or takes --yes), writes with a progress bar (tqdm, when stderr is a
terminal), reads back and compares.

Exit codes: 0 written and verified; 1 refused or bad input: the device was not touched;
2 usage; 3 the write or the read-back failed, or what was read back differs from the image:
the device holds something, but not the image (the message says where it differs).
"""
from __future__ import annotations

import argparse
import sys
from typing import Callable, List, Optional

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m firmware.flash",
                                 description="write a card image to a CF/SD card and verify it")
    ap.add_argument("image", help="the image (raw, or .gz), e.g. out/image/lvslite-i386.img")
    ap.add_argument("device", help="the whole card, e.g. /dev/sdX (never a partition)")
    ap.add_argument("--yes", action="store_true",
                    help="do not ask for confirmation (scripts)")
    ap.add_argument("--force", action="store_true",
                    help="write to a disk that does not look removable (only that rule)")
    return ap


class Bar:
    """tqdm on a terminal; elsewhere a line per quarter, so logs stay short."""

    def __init__(self, total: int, what: str, stream=None):
        self.stream = stream or sys.stderr
        self.total, self.what, self.done, self.shown = total, what, 0, 0
        self.tqdm = None
        if self.stream.isatty():
            try:
                from tqdm import tqdm
                self.tqdm = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024,
                                 desc=what, file=self.stream)
            except ImportError:
                pass

    def __call__(self, n: int) -> None:
        self.done += n
        if self.tqdm is not None:
            self.tqdm.update(n)
            return
        quarter = self.done * 4 // self.total if self.total else 4
        if quarter > self.shown:
            self.shown = quarter
            self.stream.write(f"flash: {self.what} {quarter * 25}%\n")
            self.stream.flush()

    def close(self) -> None:
        if self.tqdm is not None:
            self.tqdm.close()


def confirm(name: str, ask: Callable[[str], str]) -> bool:
    answer = ask(f"Type the device name ({name}) to overwrite it, anything else to stop: ")
    return answer.strip() in (name, f"/dev/{name}")


def main(argv: Optional[List[str]] = None, ask: Optional[Callable[[str], str]] = None,
         before_verify: Optional[Callable[[], None]] = None) -> int:
    """The command line. ask and before_verify are for in-process tests only: the answer to
    the confirmation, and a hook between write and read-back (write.flash)."""
    from firmware.flash import image as imagefile
    from firmware.flash.policy import describe, refusals
    from firmware.flash.target import inspect
    from firmware.flash.write import FlashError, flash

    args = parser().parse_args(argv)
    say = lambda m: print(f"flash: {m}", file=sys.stderr)  # noqa: E731
    try:
        total = imagefile.size(args.image)
    except imagefile.ImageFileError as exc:
        say(f"error: {exc}")
        return EXIT_REFUSED
    t = inspect(args.device)
    if t.exists and t.block:
        for line in describe(t):
            say(line)
    problems = refusals(t, total, args.force, imagefile.identity(args.image))
    if problems:
        for p in problems:
            say(f"refused: {p}")
        say(f"nothing was written to {args.device}")
        return EXIT_REFUSED
    say(f"image {args.image}: {total} bytes")
    if not args.yes:
        if ask is None:
            if not sys.stdin.isatty():
                say(f"refused: confirmation needed and standard input is not a terminal "
                    f"(run with --yes to write to {t.dev}); nothing was written")
                return EXIT_REFUSED
            ask = input
        if not confirm(t.name, ask):
            say(f"stopped: {t.dev} was not written")
            return EXIT_REFUSED
    bar = Bar(2 * total, "write + verify")
    try:
        out = flash(args.image, t.dev, total, bar, before_verify)
    except (FlashError, imagefile.ImageFileError) as exc:
        bar.close()
        say(f"error: {exc}")
        return EXIT_FAILED if "nothing was written" not in str(exc) else EXIT_REFUSED
    bar.close()
    how = "O_DIRECT" if out.direct_io else "after dropping the cache"
    if not out.ok:
        say(f"error: VERIFY FAILED: {t.dev} differs from the image: {out.mismatched_chunks} "
            f"chunk(s) of 1 MiB differ, the first at byte {out.first_mismatch} "
            f"(sector {out.first_mismatch // 512}); image sha256 {out.image_sha256}, read "
            f"back {out.device_sha256}. The card is bad or was disturbed: do not use it.")
        return EXIT_FAILED
    say(f"ok: {total} bytes written to {t.dev} and read back ({how}): sha256 "
        f"{out.image_sha256}")
    return EXIT_OK
