"""`lvslite save`: write the running config back to the card's /cfg partition.

lvslite.cardsave does the work (validate, compare, remount read-write, write, remount
read-only, count the card's written sectors); this prints what it did.

Exit codes: 0 saved (or nothing to save); 1 invalid config, or /cfg cannot be written (the
message says what to do); 2 usage.
"""
from __future__ import annotations

import os

from lvslite import EXIT_INVALID, EXIT_OK, config_path, error
from lvslite import cardsave

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import List


def add_arguments(parser) -> None:
    parser.add_argument("-c", "--config", metavar="FILE",
                        help="the config to save (default $LVSLITE_CONFIG or "
                             "/etc/lvslite.json, the RAM copy the daemon runs)")
    parser.add_argument("--cfg", metavar="DIR", default=cardsave.DEFAULT_CFG,
                        help="mount point of the card's config partition "
                             f"(default {cardsave.DEFAULT_CFG})")
    parser.add_argument("--json", action="store_true",
                        help="print one JSON document (saved, bytes, sectors per device)")


def describe(r: dict) -> List[str]:
    if not r["saved"]:
        return [f"lvslite: {r['saved_to']} already holds {r['config']}; nothing written "
                "(0 sectors)"]
    lines = [f"lvslite: saved {r['config']} to {r['saved_to']} ({r['bytes']} bytes)"]
    if r["sectors"]:
        parts = ", ".join(f"{n} {s} sectors ({s * 512 / 1024:.1f} KiB)"
                          for n, s in r["sectors"].items())
        lines.append(f"lvslite: card writes during the save: {parts}")
    else:
        lines.append(f"lvslite: card writes during the save: unknown ({r['device']} is not "
                     "in /proc/diskstats)")
    if not r["was_read_only"]:
        lines.append(f"lvslite: warning: {os.path.dirname(r['saved_to'])} was mounted "
                     "read-write before the save and is left so; the card is written outside "
                     "`lvslite save` while it is")
    return lines


def run(args) -> int:
    from lvslite.config import ConfigError

    path = config_path(args)
    try:
        report = cardsave.save(path, args.cfg)
    except ConfigError as exc:
        error(exc)
        error(f"{path}: not saved, the card is untouched (fix the config; "
              "`lvslite check` lists the same problems)")
        return EXIT_INVALID
    except cardsave.SaveError as exc:
        error(exc)
        return EXIT_INVALID
    if args.json:
        import json
        print(json.dumps(report, sort_keys=True))
    else:
        for line in describe(report):
            print(line)
    return EXIT_OK
