#!/bin/sh
# lvslite post-build, shared by every board (Buildroot runs it after the overlay is copied,
# with TARGET_DIR as $1). Board scripts call it as: common/post-build.sh TARGET_DIR BOARD.
# Job: the mount point of the /cfg partition and a note of which board this root is for.
# It never writes outside TARGET_DIR and never touches the shared overlay/ folder.
set -eu
TARGET_DIR=$1
BOARD=$2

mkdir -p "$TARGET_DIR/cfg"
printf 'BOARD=%s\n' "$BOARD" > "$TARGET_DIR/etc/lvslite-board"

# The agent's code is byte-compiled by the python-package infrastructure (site-packages);
# anything the overlay adds under /usr/lib/lvslite stays .py (firmware.md §0.5), so
# compile it here with the host python that matches the target's.
if [ -d "$TARGET_DIR/usr/lib/lvslite" ] && [ -x "${HOST_DIR:-/nonexistent}/bin/python3" ]; then
	"$HOST_DIR/bin/python3" -m compileall -q -b "$TARGET_DIR/usr/lib/lvslite"
fi
