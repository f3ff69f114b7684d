"""lvslite: the on-box IPVS agent. Standard library only on its core path (docs/design.md#rules).

What every command shares lives here, in the package every lvslite import loads anyway (a
module of its own would be one more import on each command): the exit codes, the way an error
is printed, and where the config is.
"""
__version__ = "0.1.0"

import sys

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_KERNEL = 0, 1, 2, 3
# 4: the kernel was changed but the state directory could not record it (run apply again);
# 5: another lvslite holds the state directory's lock (docs/config.md#exit-codes).
EXIT_UNRECORDED, EXIT_BUSY = 4, 5
# 6: `lvslite doctor` found warnings and no error.
EXIT_WARNINGS = 6


def error(message: object) -> None:
    """Each line of `message` on stderr as `lvslite: error: ...`."""
    for line in str(message).splitlines() or [""]:
        if not line.startswith("lvslite: "):
            line = f"lvslite: error: {line}"
        sys.stderr.write(line + "\n")


def config_path(args) -> str:
    """-c FILE, else $LVSLITE_CONFIG, else /etc/lvslite.json. `-c ""` is a usage error (exit
    2), never a silent fall back to another file."""
    given = getattr(args, "config", None)
    if given == "":
        error('-c: the file name is empty (a config file, "-" for standard input, or no -c '
              "for $LVSLITE_CONFIG or /etc/lvslite.json)")
        raise SystemExit(EXIT_USAGE)
    if given is not None:
        return given
    from lvslite.config import default_path
    return default_path()
