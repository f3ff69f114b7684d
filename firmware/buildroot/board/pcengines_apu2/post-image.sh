#!/bin/sh
# apu2: console 115200 8N1. See ../common/post-image.sh.
exec "$(dirname "$0")/../common/post-image.sh" "$1" "$(cd "$(dirname "$0")" && pwd)" 115200 ""
