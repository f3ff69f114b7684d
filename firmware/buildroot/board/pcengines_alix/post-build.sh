#!/bin/sh
# ALIX / net5501: see ../common/post-build.sh
exec "$(dirname "$0")/../common/post-build.sh" "$1" "${LVSLITE_BOARD:-alix}"
