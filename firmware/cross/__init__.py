"""The cross route: firmware for the Soekris boards (net4801 Geode GX1 i586, net4501 Elan i486)
built here, offline once warm, from Debian's source packages.

Debian's i386 binaries are built for i686 (CMOV), which neither board has, so this route
compiles its own: the kernel from Debian's linux-source-6.1 with the host gcc (tinyconfig +
the board fragments, per board), and a static musl userland (busybox, CPython) with the
clang + musl that the ziglang wheel ships, for the oldest CPU of the boards (i486). The card
is firmware/image's: same partitions, MBR, syslinux.cfg, overlay/. The slow parts are cached
by a hash of their inputs in the per-user cache (cache.py), outside the checkout.

Modules: cache (the per-user cache), debian (source and binary packages from the machine's
apt archive, through a private apt state), toolchain (zig cc for a CPU), kernel, userland,
card (the root and the card image), audit (every ELF against the board's instruction set).
"""
