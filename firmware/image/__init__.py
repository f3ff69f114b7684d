"""The Debian-based i386 firmware image: `make image` -> out/image/lvslite-i386.img.

Built here from Debian's archive alone (Buildroot cannot download its sources on these
machines), sharing overlay/ and the card layout with the Buildroot flavour:

    MBR (syslinux mbr.bin, disk signature 0x4c56534c "LVSL")
    p1  FAT16 LVSBOOT, active: syslinux, vmlinuz (linux-image-686), initrd.gz
    p2  squashfs (xz), the read-only root, found by root=PARTUUID=4c56534c-02
    p3  FAT LVSCFG: lvslite.json, the only thing ever written (`lvslite save`)

Stage 1 (root.py) makes the Debian root once and caches it; stage 2 (build.py) turns it into
the image in a minute or two. Pure parts (mbr, cpio, kmods, elf, prune, boot) are unit-tested
in tests/unit/image; the image itself is booted in tests/image.
"""
