#!/bin/sh
# lvslite card image, the one for every board. Buildroot runs it as
#   post-image.sh BINARIES_DIR BOARD BAUD [KERNEL ARGUMENT...]
# (the arguments after BINARIES_DIR are the defconfig's BR2_ROOTFS_POST_SCRIPT_ARGS: the
# board's name, console speed and extra kernel arguments, as firmware/boards.json has them).
# Layout (same as the Debian-based image): MBR with syslinux's mbr.bin and disk signature
# 0x4c56534c ("LVSL"); p1 FAT16 "LVSBOOT" (bootable: syslinux, bzImage); p2 squashfs root,
# mounted read-only as root=PARTUUID=4c56534c-02; p3 FAT "LVSCFG" holding lvslite.json.
# Buildroot runs post-image scripts from its top folder with BINARIES_DIR, TARGET_DIR,
# HOST_DIR and BUILD_DIR in the environment.
set -eu
die() { echo "post-image: $*" >&2; exit 1; }
[ $# -ge 3 ] || die "usage: post-image.sh BINARIES_DIR BOARD BAUD [ARG...]: set BR2_ROOTFS_POST_SCRIPT_ARGS"
BINARIES_DIR=$1 BOARD=$2 BAUD=$3
shift 3
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../../../.." && pwd)
# No Buildroot package installs a host syslinux installer (syslinux.mk deletes it), so the
# build host's is used; the MBR code comes from Buildroot's syslinux (BR2_TARGET_SYSLINUX_MBR).
command -v syslinux >/dev/null || die "syslinux not found on the build host: apt-get install syslinux mtools"
[ -f "$BINARIES_DIR/bzImage" ] || die "$BINARIES_DIR/bzImage missing (BR2_LINUX_KERNEL_BZIMAGE)"
[ -f "$BINARIES_DIR/rootfs.squashfs" ] || die "rootfs.squashfs missing (BR2_TARGET_ROOTFS_SQUASHFS)"
[ -f "$BINARIES_DIR/syslinux/mbr.bin" ] || die "syslinux/mbr.bin missing (BR2_TARGET_SYSLINUX_MBR)"
MKFS=$HOST_DIR/sbin/mkfs.vfat
[ -x "$MKFS" ] || MKFS=$(command -v mkfs.vfat) || die "mkfs.vfat missing (BR2_PACKAGE_HOST_DOSFSTOOLS)"
export PATH="$HOST_DIR/bin:$HOST_DIR/sbin:$PATH"
# The boot loader's configuration: the overlay's template, filled in by the same code as the
# Debian-based image's (firmware/image/boot.py; it refuses a speed the boot loader cannot take).
(cd "$REPO" && python3 -m firmware.image.boot --baud "$BAUD" --kernel /bzImage "$@") \
	> "$BINARIES_DIR/syslinux.cfg" || die "cannot write syslinux.cfg for $BOARD"
boot=$BINARIES_DIR/boot.vfat
rm -f "$boot"
dd if=/dev/zero of="$boot" bs=1M count=16 2>/dev/null
"$MKFS" -F 16 -n LVSBOOT "$boot" >/dev/null
mmd -i "$boot" ::/syslinux
mcopy -i "$boot" "$BINARIES_DIR/bzImage" ::/bzImage
mcopy -i "$boot" "$BINARIES_DIR/syslinux.cfg" ::/syslinux/syslinux.cfg
syslinux --install --directory /syslinux "$boot"
# The /cfg partition starts with the overlay's default config, or an empty one.
if [ -f "$TARGET_DIR/usr/share/lvslite/lvslite.json" ]; then
	cp "$TARGET_DIR/usr/share/lvslite/lvslite.json" "$BINARIES_DIR/lvslite.json"
else
	printf '{"services": []}\n' > "$BINARIES_DIR/lvslite.json"
fi
support/scripts/genimage.sh -c "$HERE/genimage.cfg"
# Boot code into the first 440 bytes; the disk signature and partition table follow it.
dd if="$BINARIES_DIR/syslinux/mbr.bin" of="$BINARIES_DIR/lvslite.img" bs=440 count=1 conv=notrunc 2>/dev/null
echo "post-image: $BINARIES_DIR/lvslite.img for $BOARD (console ${BAUD} 8N1)"
