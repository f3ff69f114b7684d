#!/bin/sh
# net4801: console 19200 8N1; kernel arguments: libata.dma=0 clocksource=scx200_hrt. See ../common/post-image.sh.
exec "$(dirname "$0")/../common/post-image.sh" "$1" "$(cd "$(dirname "$0")" && pwd)" 19200 "libata.dma=0 clocksource=scx200_hrt"
