"""python -m firmware.cross.bench [--board B]: the firmware figures per board, one table.

Per cross-route board (firmware/cross) and, beside them, the Debian i386 flavour
(firmware/image): image size and the smallest CF card it fits, squashfs and kernel sizes,
build time cold (each cached part's own first build, added up, plus the image assembly), warm (the
last `make image` when every part came from the cache) and the last build's time as it was, and what the boot tests measured on the
board's emulated CPU model (tests/soekris, tests/image write measured.json beside their
console logs): boot to the daemon, boot to the IPVS table programmed, free memory with the
daemon running, the daemon's RSS, `lvslite check` wall time (interpreter start and imports),
and the daemon's CPU per health check during the steady-state minute. A figure not measured
yet prints as "-" (run `make image-bench`, which boots the cards first, or `make test`).
Printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Dict, List, Optional

from firmware.cross.card import cross_boards

REPO = Path(__file__).resolve().parents[2]
CARDS_MB = (16, 32, 64, 128, 256, 512)        # CompactFlash sizes, decimal megabytes


def run_dir() -> Path:
    return Path(os.environ.get("LVSLITE_IMAGE_OUT", REPO / ".cache/image/run"))


def load(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def smallest_card(size: Optional[int]) -> str:
    if not size:
        return "-"
    fit = next((mb for mb in CARDS_MB if size <= mb * 1000 * 1000 * 0.97), None)
    return f"{fit} MB" if fit else "> 512 MB"


def mib(n: Optional[float]) -> str:
    return "-" if n is None else f"{n / 2**20:.1f} MiB"


def kib_mib(n: Optional[float]) -> str:
    return "-" if n is None else f"{n / 1024:.1f} MiB"


def secs(n: Optional[float]) -> str:
    return "-" if n is None else f"{n:.0f} s" if n >= 10 else f"{n:.1f} s"


def column(manifest: dict, measured: dict) -> Dict[str, str]:
    cold_parts = manifest.get("cold_seconds") or {}
    cold = None
    if cold_parts and all(v is not None for v in cold_parts.values()):
        cold = sum(cold_parts.values()) + manifest.get("seconds", 0)
    built = manifest.get("built_seconds")
    warm = manifest.get("seconds") if built is not None and not any(built.values()) else None
    mem = measured.get("mem_available_kb")
    total = measured.get("mem_total_kb")
    return {
        "image": mib(manifest.get("bytes")),
        "smallest card": smallest_card(manifest.get("bytes")),
        "squashfs root": mib(manifest.get("squashfs_bytes")),
        "kernel": (f"{manifest['kernel']}, " + (mib(manifest["kernel_bytes"])
                   if manifest.get("kernel_bytes") else "modules")) if manifest else "-",
        "build cold": secs(cold),
        "build warm": secs(warm),
        "last `make image`": secs(manifest.get("seconds")),
        "emulated CPU, RAM": (f"-cpu {manifest.get('qemu_cpu') or 'qemu32'} -m "
                              f"{manifest.get('qemu_mb') or 128}") if manifest else "-",
        "boot to console shell": secs(measured.get("boot_shell_s")),
        "boot to `lvslite run`": secs(measured.get("daemon_up_s")),
        "boot to table programmed": secs(measured.get("table_up_s")),
        "free memory (MemAvailable)": (f"{kib_mib(mem)} of {kib_mib(total)}"
                                       if mem and total else "-"),
        "daemon RSS": kib_mib(measured.get("steady_rss_kb") or measured.get("daemon_rss_kb")),
        "`lvslite check` (start)": secs(measured.get("lvslite_check_s")),
        "daemon CPU per check": ("-" if measured.get("cpu_ms_per_check") is None
                                 else f"{measured['cpu_ms_per_check']:.1f} ms"),
        "steady minute: sectors written": ("-" if measured.get("steady_sectors") is None else
                                           str(sum(measured["steady_sectors"].values()))),
    }


def table(columns: Dict[str, Dict[str, str]]) -> str:
    names = list(columns)
    rows = list(next(iter(columns.values())))
    w0 = max(len(r) for r in rows)
    widths = [max(len(n), *(len(columns[n][r]) for r in rows)) for n in names]
    out = ["| " + " | ".join([" " * w0] + [n.ljust(w) for n, w in zip(names, widths)]) + " |",
           "|" + "|".join("-" * (w + 2) for w in [w0] + widths) + "|"]
    for r in rows:
        out.append("| " + " | ".join([r.ljust(w0)] + [columns[n][r].ljust(w)
                                                      for n, w in zip(names, widths)]) + " |")
    return "\n".join(out)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m firmware.cross.bench")
    ap.add_argument("--board", choices=sorted(cross_boards()))
    args = ap.parse_args(argv)
    boards = [args.board] if args.board else sorted(cross_boards(), reverse=True)
    columns = {}
    for b in boards:
        columns[f"{b} (cross)"] = column(load(REPO / "out/image" / b / "manifest.json"),
                                         load(run_dir() / b / "measured.json"))
    columns["Debian i386 (net5501/alix)"] = column(load(REPO / "out/image/manifest.json"),
                                                   load(run_dir() / "measured.json"))
    print(table(columns))
    return 0


if __name__ == "__main__":
    sys.exit(main())
