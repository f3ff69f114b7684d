#!/bin/sh
# net4501: console 19200 8N1. See ../common/post-image.sh.
exec "$(dirname "$0")/../common/post-image.sh" "$1" "$(cd "$(dirname "$0")" && pwd)" 19200 ""
