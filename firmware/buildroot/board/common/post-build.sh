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
