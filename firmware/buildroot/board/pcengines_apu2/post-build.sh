#!/bin/sh
# apu2: see ../common/post-build.sh
exec "$(dirname "$0")/../common/post-build.sh" "$1" apu2
