#!/bin/sh
# net4501: see ../common/post-build.sh
exec "$(dirname "$0")/../common/post-build.sh" "$1" net4501
