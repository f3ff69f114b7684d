#!/bin/sh
# lvslite post-build, the one for every board. Buildroot runs it after the overlay is copied:
#   post-build.sh TARGET_DIR BOARD BAUD [KERNEL ARGUMENT...]
# (the arguments after TARGET_DIR are the defconfig's BR2_ROOTFS_POST_SCRIPT_ARGS; only BOARD
# is used here). Job: the mount point of the /cfg partition and a note of which board this
# root is for. It never writes outside TARGET_DIR and never touches the shared overlay/ folder.
set -eu
TARGET_DIR=$1
BOARD=${2:?"post-build: no board name: set BR2_ROOTFS_POST_SCRIPT_ARGS=\"BOARD BAUD [ARGS]\""}

mkdir -p "$TARGET_DIR/cfg"
printf 'BOARD=%s\n' "$BOARD" > "$TARGET_DIR/etc/lvslite-board"
