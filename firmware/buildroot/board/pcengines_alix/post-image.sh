#!/bin/sh
# ALIX: console 38400 8N1; Soekris net5501 (same defconfig): 19200 8N1. make firmware
# BOARD=net5501 sets LVSLITE_CONSOLE_BAUD=19200. See ../common/post-image.sh.
baud=${LVSLITE_CONSOLE_BAUD:-38400}
case $baud in 9600|19200|38400|57600|115200) ;; *) echo "post-image: bad LVSLITE_CONSOLE_BAUD=$baud" >&2; exit 1;; esac
exec "$(dirname "$0")/../common/post-image.sh" "$1" "$(cd "$(dirname "$0")" && pwd)" "$baud" ""
