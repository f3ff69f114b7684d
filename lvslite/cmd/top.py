"""`lvslite top [-i S] [--once]`: the live view (docs/operate.md#lvslite-top); its lines come
from lvslite.top. Plain curses on one persistent window: each refresh rewrites only the lines
that changed and never clears the screen, so a 19200-baud serial console keeps up. `--once`
prints one frame as plain text and never imports curses.
"""
from __future__ import annotations

import sys
import time

from lvslite import EXIT_OK, EXIT_USAGE, error

DEFAULT_INTERVAL = 2.0


def add_arguments(parser) -> None:
    parser.add_argument("-i", "--interval", type=float, default=DEFAULT_INTERVAL, metavar="S",
                        help=f"seconds between refreshes (default {DEFAULT_INTERVAL:g})")
    parser.add_argument("--once", action="store_true",
                        help="print one frame as plain text and exit (for scripts)")


def _frame(interval: float, width: int, height: int) -> list:
    from lvslite import top
    from lvslite.state import state_dir
    status, ip_vs, stats = top.read(state_dir())
    return top.frame(status, ip_vs, stats, time.time(), interval, width, height)


def run(args) -> int:
    if not args.interval > 0:
        error(f"--interval {args.interval:g}: must be more than 0 seconds")
        return EXIT_USAGE
    if args.once:
        sys.stdout.write("\n".join(_frame(args.interval, 10 ** 4, 10 ** 6)) + "\n")
        return EXIT_OK
    import curses
    try:
        curses.wrapper(_loop, args.interval)
    except curses.error as exc:
        error(f"cannot drive this terminal ({exc}); set TERM (vt100 on a serial console) "
              "or use --once")
        return EXIT_USAGE
    except KeyboardInterrupt:
        pass
    return EXIT_OK


def _loop(scr, interval: float) -> None:
    import curses
    try:
        curses.curs_set(0)
    except curses.error:
        pass
    scr.leaveok(True)               # no cursor positioning after each update
    shown: list = []
    wait_ms = max(int(interval * 1000), 1)
    while True:
        height, width = scr.getmaxyx()
        lines = _frame(interval, width, height)
        lines += [""] * (height - len(lines))
        for y, line in enumerate(lines[:height]):
            if y < len(shown) and shown[y] == line:
                continue
            try:
                scr.addstr(y, 0, line)
                scr.clrtoeol()
            except curses.error:
                pass                # a terminal shrunk under us: the next frame fits
        shown = lines
        scr.refresh()
        scr.timeout(wait_ms)
        key = scr.getch()
        if key in (ord("q"), ord("Q")):
            return
        if key == curses.KEY_RESIZE:
            shown = []
