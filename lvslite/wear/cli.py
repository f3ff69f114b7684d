"""`lvslite wear sample|report|watch`: the command line of the CF wear estimator.

The edge: parses arguments, reads logs, /proc and /sys, prints. Modelling is in model.py
and report.py, parsing in diskstats.py, sampling in sample.py. Bad input exits 1 with
`lvslite: error: <path>: <problem> (<expected>)`, never a traceback.
"""
from __future__ import annotations

import argparse
import os
import sys

from lvslite import EXIT_INVALID, EXIT_OK, EXIT_USAGE, error

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional, Tuple


def _number(lo: float, hi: float, integer: bool = False, unit: str = ""):
    """An argparse type: a finite number lo..hi (NaN, infinities and 1e308 are usage errors)."""
    expected = f"{'a whole number' if integer else 'a number'} {lo:g}..{hi:g}{unit}"

    def conv(text: str):
        try:
            v = float(text) if not integer else int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {expected}") from None
        if not lo <= v <= hi:                           # False for NaN too
            raise argparse.ArgumentTypeError(f"{text!r} is out of range ({expected})")
        return v
    conv.__name__ = "whole number" if integer else "number"
    return conv


_SUFFIX = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12,
           "ki": 1 << 10, "mi": 1 << 20, "gi": 1 << 30, "ti": 1 << 40}


def _size(lo: int, hi: int):
    """An argparse type: bytes lo..hi, optionally with a k/M/G (decimal) or Ki/Mi/Gi (binary)
    suffix."""
    def conv(text: str) -> int:
        t = text.strip().lower().rstrip("b")
        num = t.rstrip("kmgti")
        mult = _SUFFIX.get(t[len(num):], 1 if t == num else None)
        try:
            if mult is None:
                raise ValueError
            v = float(num) * mult
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a size (bytes, or e.g. 128M, "
                                             "1Gi)") from None
        if not lo <= v <= hi:                           # False for NaN too
            raise argparse.ArgumentTypeError(f"{text!r} is out of range ({lo}..{hi} bytes)")
        return int(v)
    conv.__name__ = "size"
    return conv


# Bounds of the sampling options (docs/config.md#limits). Samples closer than 0.1 s would
# spin the box for counters that move every writeback; --count past ten million is forever
# anyway; watch keeps its samples in memory, at most MAX_WATCH_SAMPLES (~2 MB).
INTERVAL = (0.1, 86400.0)
WATCH_INTERVAL = (0.1, 3600.0)
DURATION = (0.1, 7 * 86400.0)
MAX_COUNT = 10_000_000
MAX_WATCH_SAMPLES = 10_000


def _card_options(p: argparse.ArgumentParser) -> None:
    from lvslite.wear.model import CARD_PROFILES, DEFAULT_CARD, LEVELING, OPTION_BOUNDS as B
    g = p.add_argument_group("card options (a profile's figures, overridden by the others)")
    g.add_argument("--card", metavar="PROFILE", choices=sorted(CARD_PROFILES),
                   help=f"card class: {', '.join(CARD_PROFILES)} (default {DEFAULT_CARD}; "
                        "figures and sources: docs/reference/models.md#flash-endurance-and-lifetime)")
    g.add_argument("--endurance", metavar="CYCLES", type=_number(*B["--endurance"]),
                   help="rated program/erase cycles per block")
    g.add_argument("--capacity", metavar="BYTES", type=_size(*B["--capacity"]),
                   help="card capacity (default: from /sys/block, or the 2.4 log's "
                        "/proc/partitions)")
    g.add_argument("--wear-leveling", choices=LEVELING, help="the card's algorithm")
    g.add_argument("--waf", metavar="W", type=_number(*B["--waf"]),
                   help="write amplification, >= 1 (2-4 for small FAT/ext3 writes)")
    g.add_argument("--hot-interval", metavar="S", type=_number(*B["--hot-interval"]),
                   help="seconds between rewrites of the hottest block (no wear leveling; "
                        "estimated from the samples when not given)")
    g.add_argument("--free-fraction", metavar="F", type=_number(*B["--free-fraction"]),
                   help="share of the card never written (dynamic leveling; default 0.2)")
    g.add_argument("--temp", metavar="C", type=_number(*B["--temp"]),
                   help="card temperature in C: derates endurance (Arrhenius, 1.1 eV)")
    p.add_argument("--json", action="store_true", help="print one JSON document")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from lvslite.wear.sample import DEFAULT_LOG, DEFAULT_MAX_BYTES, LOG_MAX_BYTES
    sub = parser.add_subparsers(dest="wear_command", metavar="ACTION")
    sp = sub.add_parser("sample", help="append counter snapshots to a log on tmpfs",
                        description="Append snapshots of /proc/diskstats (or 2.4 "
                                    "/proc/partitions) to a bounded log; about 4 hours of "
                                    "samples give a useful estimate.")
    sp.add_argument("--interval", metavar="S", type=_number(*INTERVAL), default=60.0,
                    help="seconds between samples (default 60)")
    sp.add_argument("--count", metavar="N", type=_number(0, MAX_COUNT, integer=True), default=240,
                    help="samples to take, 0 = until stopped (default 240: 4 h at 60 s)")
    # The defaults are the box's settings file; where there is none (an install away from the
    # box and the source tree), the option must be given instead of failing later.
    unset = "required here: no setting in /etc/default/lvslite"
    sp.add_argument("--out", metavar="FILE", default=None, required=DEFAULT_LOG is None,
                    help=f"the log, on tmpfs, in an existing folder (default {DEFAULT_LOG or unset})")
    sp.add_argument("--max-bytes", metavar="B", type=_size(4096, LOG_MAX_BYTES),
                    default=DEFAULT_MAX_BYTES,
                    required=DEFAULT_MAX_BYTES is None,
                    help=f"past this size the oldest samples are dropped "
                         f"(default {DEFAULT_MAX_BYTES or unset})")
    sp.add_argument("--source", metavar="FILE", help="counter file (default /proc/diskstats, "
                    "else /proc/partitions)")

    rp = sub.add_parser("report", help="write rates and card lifetime from a sample log",
                        description="Bytes written, write rate, rate by hour of day, "
                                    "projected bytes per day and predicted card lifetime for "
                                    "every device in a sample log.")
    rp.add_argument("file", metavar="FILE", nargs="?" if DEFAULT_LOG else None,
                    default=DEFAULT_LOG, help=f"sample log (default {DEFAULT_LOG or unset})")
    rp.add_argument("--device", metavar="NAME", help="only this device or partition")
    _card_options(rp)

    wp = sub.add_parser("watch", help="sample one device live, then report",
                        description="Sample one device in memory for a while and report; "
                                    "Ctrl-C ends early and reports what was seen.")
    wp.add_argument("--device", metavar="NAME", required=True, help="e.g. sda, hda, mmcblk0")
    wp.add_argument("--interval", metavar="S", type=_number(*WATCH_INTERVAL), default=10.0,
                    help="seconds between samples (default 10)")
    wp.add_argument("--duration", metavar="S", type=_number(*DURATION), default=600.0,
                    help="seconds to watch (default 600)")
    wp.add_argument("--source", metavar="FILE", help="counter file (default /proc/diskstats, "
                    "else /proc/partitions)")
    _card_options(wp)
    parser.set_defaults(wear_parser=parser)


def _error(msg: str) -> int:
    error(msg)
    return EXIT_INVALID


def _read_int(path: str) -> Optional[int]:
    from lvslite.files import read_text
    try:
        return int(read_text(path, 64).strip())
    except (OSError, ValueError):
        return None


def sys_capacity(name: str, parent: Optional[str] = None, sys_root: str = "/sys"
                 ) -> Optional[Tuple[int, str]]:
    """(bytes, where from) for a block device from sysfs: size is in 512-byte sectors."""
    candidates = [f"{sys_root}/class/block/{name}/size", f"{sys_root}/block/{name}/size"]
    if parent:
        candidates.append(f"{sys_root}/block/{parent}/{name}/size")
    for path in candidates:
        n = _read_int(path)
        if n:
            return n * 512, f"from {path}"
    return None


def _card(args):
    from lvslite.wear.report import make_card
    return make_card(profile=args.card, endurance=args.endurance,
                     wear_leveling=args.wear_leveling, waf=args.waf,
                     hot_interval_s=args.hot_interval, temp_c=args.temp,
                     free_fraction=args.free_fraction, capacity_bytes=args.capacity)


def _reports(series: Dict, names: List[str], card, first_t: float) -> List:
    import time

    from lvslite.wear.diskstats import parent_of
    from lvslite.wear.report import analyze
    offset = time.localtime(first_t).tm_gmtoff or 0
    out = []
    for name in names:
        s = series[name]
        parent = parent_of(name, series)
        if card.capacity_bytes:
            cap = (card.capacity_bytes, "--capacity")
        else:
            # A controller levels wear across the whole card, not one partition.
            whole = parent if (parent and card.wear_leveling != "none") else name
            ws = series.get(whole, s)
            if ws.blocks_kib:
                cap = (ws.blocks_kib * 1024, "from /proc/partitions in the log")
            else:
                cap = sys_capacity(whole, parent_of(whole, series)) or (None, "")
            if cap[0] and whole != name:
                cap = (cap[0], f"the card {whole}, {cap[1]}")
        out.append(analyze(s, card, cap[0], cap[1], offset, parent))
    return out


def _writers(psnaps, names: List[str], devices: Dict) -> Dict:
    """Device name -> the writers with files open on it; {None: all writers} when the
    snapshots did not record open files (a side log written before they were)."""
    from lvslite.wear import writers
    from lvslite.wear.diskstats import numbers_of
    if not writers.attributed(psnaps):
        return {None: writers.top_writers(psnaps)}
    return {n: writers.top_writers(psnaps, devices=numbers_of(n, devices)) for n in names}


def _emit(args, reports, card, writers_list, header, writers_note) -> None:
    from lvslite.wear import report
    if args.json:
        import json
        print(json.dumps(report.to_json(reports, writers_list), indent=1))
    else:
        sys.stdout.write(report.render(reports, card, writers_list, header, writers_note))


def _when(t: float) -> str:
    import time
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(t))


def cmd_report(args) -> int:
    from lvslite.wear import diskstats, sample, writers
    from lvslite.wear.model import WearModelError
    path = args.file
    try:
        text = sample.read_text(path, sample.LOG_MAX_BYTES)
    except FileNotFoundError:
        return _error(f"{path}: no such sample log (run `lvslite wear sample` first, or name "
                      "the log)")
    except OSError as exc:
        return _error(f"{path}: cannot read: {exc.strerror or exc} (a sample log of at most "
                      f"{sample.LOG_MAX_BYTES} bytes)")
    try:
        snaps = diskstats.parse_log(text, path)
    except diskstats.WearLogError as exc:
        return _error(str(exc))
    if len(snaps) < 2:
        return _error(f"{path}: {len(snaps)} sample(s) (at least two are needed for a rate; "
                      "let `lvslite wear sample` run longer)")
    series = diskstats.build_series(snaps)
    if not series:
        return _error(f"{path}: no write counters in {len(snaps)} samples (a 2.4 "
                      "/proc/partitions needs 2.4.20+ or the sard patch for statistics)")
    if args.device:
        if args.device not in series:
            return _error(f"{path}: no device {args.device!r} in the log (one of: "
                          f"{', '.join(series)})")
        names = [args.device]
    else:
        names = list(series)
    try:
        card = _card(args)
        reports = _reports(series, names, card, snaps[0].t)
    except WearModelError as exc:
        return _error(str(exc))

    t0, t1 = snaps[0].t, snaps[-1].t
    top, note = {}, ""
    ppath = sample.procs_path(path)
    if os.path.exists(ppath):
        try:
            psnaps = writers.within(writers.parse_snapshots(
                sample.read_text(ppath, sample.LOG_MAX_BYTES)), t0, t1)
        except OSError:
            psnaps = []
        top = _writers(psnaps, names, snaps[-1].devices)
        note = "" if any(top.values()) else "no process wrote over the window"
    else:
        note = (f"not recorded (`lvslite wear sample` records them in {ppath}; "
                "`lvslite wear watch` shows them live)")
    resets = max((r.resets for r in reports), default=0)
    header = [f"log {path}: {len(snaps)} samples, {_when(t0)} to {_when(t1)}"
              + (f", {resets} reboot(s)" if resets else "")]
    _emit(args, reports, card, top, header, note)
    return EXIT_OK


def cmd_sample(args) -> int:
    from lvslite.wear import sample
    default = args.out is None
    out = sample.DEFAULT_LOG if default else args.out
    warn = sample.ram_warning(out)
    if warn:
        print(f"lvslite: warning: {warn}", file=sys.stderr)
    n = 0
    try:
        n = sample.run_sample(out, args.interval, args.count, args.max_bytes,
                              source=args.source, make_folder=default)
    except sample.WearSampleError as exc:
        return _error(str(exc))
    except KeyboardInterrupt:
        print(f"stopped; the log is {out}", file=sys.stderr)
        return EXIT_OK
    print(f"{n} samples appended to {out}", file=sys.stderr)
    return EXIT_OK


def cmd_watch(args) -> int:
    from lvslite.wear import diskstats, report, sample, writers
    from lvslite.wear.model import WearModelError
    if args.duration / args.interval > MAX_WATCH_SAMPLES:
        error(f"--duration {args.duration:g} / --interval {args.interval:g} is "
              f"{args.duration / args.interval:.0f} samples, more than {MAX_WATCH_SAMPLES} "
              "(watch keeps them in memory: use a longer --interval, or `wear sample`)")
        return EXIT_USAGE
    try:
        card = _card(args)
    except WearModelError as exc:
        return _error(str(exc))
    tty = sys.stderr.isatty()
    state: dict = {}

    def progress(snap) -> None:
        c = snap.devices.get(args.device)
        if c is None:
            return
        first = state.setdefault("first", (snap.t, c.sectors_written))
        dt = snap.t - first[0]
        b = max(0, c.sectors_written - first[1]) * diskstats.SECTOR_BYTES
        rate = b / dt if dt > 0 else 0.0
        line = (f"watching {args.device}: {dt:.0f}/{args.duration:.0f} s, "
                f"{report.fmt_bytes(b)} written, {report.fmt_bytes(rate)}/s")
        sys.stderr.write("\r" + line[:79].ljust(79))
        sys.stderr.flush()

    try:
        snaps, psnaps, cut = sample.run_watch(args.device, args.interval, args.duration,
                                              source=args.source,
                                              on_sample=progress if tty else None)
    except sample.WearSampleError as exc:
        return _error(str(exc))
    finally:
        if tty:
            sys.stderr.write("\r" + " " * 79 + "\r")
            sys.stderr.flush()
    if len(snaps) < 2:
        return _error(f"{args.device}: stopped before a second sample (watch at least one "
                      "--interval)")
    series = diskstats.build_series(snaps)
    if args.device not in series:
        return _error(f"{args.device}: disappeared during the watch")
    try:
        reports = _reports(series, [args.device], card, snaps[0].t)
    except WearModelError as exc:
        return _error(str(exc))
    if writers.available():
        top = _writers(psnaps, [args.device], sample.read_counters(args.source or sample.source_path())[1])
        note = "no process wrote over the window"
    else:
        top, note = {}, "unknown: this kernel has no /proc/PID/io (2.6.20+ with " \
                        "CONFIG_TASK_IO_ACCOUNTING)"
    header = [f"watched {args.device} for {report.fmt_duration(snaps[-1].t - snaps[0].t)}, "
              f"{len(snaps)} samples" + (" (stopped early)" if cut else "")]
    _emit(args, reports, card, top, header, note)
    return EXIT_OK


def run(args) -> int:
    cmd = getattr(args, "wear_command", None)
    if cmd == "sample":
        return cmd_sample(args)
    if cmd == "report":
        return cmd_report(args)
    if cmd == "watch":
        return cmd_watch(args)
    args.wear_parser.print_help(sys.stderr)
    return EXIT_USAGE
