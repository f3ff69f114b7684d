"""`python -m firmware check ...`: the firmware tooling's command line.

Only `check` lives here; the image builder and the flasher are `python -m firmware.image`
and `python -m firmware.flash`.
"""
import sys


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if not argv or argv[0] not in ("check",):
        print("usage: python -m firmware check {defconfig,kernel-fragment} ...", file=sys.stderr)
        return 2
    from firmware.check.cli import main as check_main
    return check_main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
