"""What goes into the Debian-based i386 card image: the one place to change it.

Data only. Sources: docs/reference/emulator.md#i386-packages and
#an-i386-squashfs-root-booted-like-a-cf-card, docs/reference/firmware.md (#console-speeds,
#drivers-per-board, #keeping-compactflash-alive: card layout of m0n0wall/NanoBSD), and the Buildroot flavour's card layout
(firmware/buildroot/board/common/post-image.sh), which this image shares partition for
partition so one flasher and one `lvslite save` serve both.
"""
from __future__ import annotations

from firmware.boards import boards

# ------------------------------------------------------------------ the Debian root (stage 1)
ARCH = "i386"
SUITE = "bookworm"
# The archive is the build machine's own (firmware/image/apt.py reads its apt sources) or
# `--mirror`; only its main component is given to mmdebstrap, explicitly: the i386 security
# index fails to sync here, so mmdebstrap's default (which adds the security suite) fails
# (docs/reference/emulator.md#i386-packages).
# The kernel: the metapackage is resolved to its ABI package inside the archive at build
# time (linux-image-6.1.0-<abi>-686). Debian's 686 flavour is built for MGEODE_LX (its
# config says CONFIG_MGEODE_LX=y, X86_CMOV=y): it boots Geode LX (ALIX, net5501) and every
# newer x86, not the net4501's 486 nor the net4801's GX1; those need the Buildroot flavour.
KERNEL_META = "linux-image-686"
# Userland (docs/reference/emulator.md#an-i386-squashfs-root-booted-like-a-cf-card: this set was measured to mmdebstrap in ~95 s). busybox-static, not
# busybox: it has init, syslogd -C (ring buffer), logread, httpd and switch_root, and being
# static it also runs in the initramfs. ipvsadm for the console (Buildroot ships it too).
PACKAGES = ("busybox-static", "python3-minimal", "libpython3.11-stdlib", "iproute2", "kmod",
            "ipvsadm")
PYTHON = "python3.11"

# ------------------------------------------------------------------ pruning (stage 2)
# Packages whose files are deleted from the image: package management, perl (pulled in by
# usrmerge), login/PAM (the console is a root shell, as on m0n0wall), and libraries only
# those need. build.py proves afterwards that every remaining ELF file finds its libraries.
DROP_PACKAGES = (
    "apt", "libapt-pkg6.0", "gpgv", "debian-archive-keyring", "debconf", "adduser",
    "perl", "perl-base", "perl-modules-5.36", "libperl5.36", "libfile-find-rule-perl",
    "libnumber-compare-perl", "libtext-glob-perl", "usrmerge", "dpkg", "tzdata",
    "e2fsprogs", "libext2fs2", "libss2", "logsave", "login", "passwd", "libsemanage2",
    "libsemanage-common", "libsepol2",
    "libgnutls30", "libnettle8", "libhogweed6", "libp11-kit0", "libtasn1-6", "libidn2-0",
    "libunistring2", "libdb5.3", "libsqlite3-0", "libgdbm6", "libgdbm-compat4",
    "init-system-helpers", "util-linux-extra", "diffutils", "libpam-modules",
    "libpam-modules-bin", "libpam-runtime",
)
# Paths (relative to the root, a trailing / = the folder and everything under it) deleted
# after the packages. /var goes entirely: a tmpfs is mounted over it at boot.
DROP_PATHS = (
    "usr/share/doc/", "usr/share/man/", "usr/share/info/", "usr/share/locale/",
    "usr/share/lintian/", "usr/share/bug/", "usr/share/bash-completion/", "usr/share/menu/",
    "usr/share/zoneinfo/", "usr/share/perl5/", "usr/share/perl/", "usr/share/common-licenses/",
    "usr/share/gcc/", "usr/share/gdb/", "usr/share/pixmaps/", "usr/share/applications/",
    "usr/lib/i386-linux-gnu/gconv/", "usr/lib/i386-linux-gnu/perl/",
    "usr/lib/i386-linux-gnu/perl-base/", "usr/lib/i386-linux-gnu/security/",
    "usr/lib/i386-linux-gnu/tc/", "usr/sbin/arpd", "usr/include/", "var/", "etc/apt/",
    "etc/dpkg/", "etc/cron.daily/", "etc/logrotate.d/", "etc/systemd/", "etc/init.d/",
    "etc/rc0.d/", "etc/rc1.d/", "etc/rc2.d/", "etc/rc3.d/", "etc/rc4.d/", "etc/rc5.d/",
    "etc/rc6.d/", "etc/rcS.d/", "usr/lib/systemd/", "usr/lib/python3/dist-packages/",
)
# Copyright files stay (licence compliance); everything else under usr/share/doc goes.
KEEP_PATHS = ("usr/share/doc/*/copyright",)
# Python modules kept beyond what lvslite imports (found by modulefinder in the target):
# the ones the interpreter loads by name from C, which modulefinder cannot see.
PYTHON_ALWAYS = ("site", "sitecustomize", "encodings", "_strptime", "traceback", "linecache",
                 "tokenize", "warnings", "locale", "codecs", "io", "abc", "stat", "_collections_abc",
                 "_sitebuiltins", "posixpath", "genericpath", "os")
# Never followed by modulefinder: the standard library reaches these only through paths the
# agent does not take (logging.handlers' HTTP and SMTP handlers, inspect's doc helpers,
# ...). build.py refuses to build if an lvslite module imports one of them itself.
PYTHON_EXCLUDE = (
    "asyncio", "bdb", "cmd", "code", "codeop", "concurrent", "ctypes", "dbm",
    "decimal", "_pydecimal", "distutils", "doctest", "email", "ensurepip", "ftplib",
    "getpass", "html", "http", "idlelib", "imaplib", "lib2to3", "mailbox", "mimetypes",
    "multiprocessing", "netrc", "nntplib", "pdb", "pickletools", "plistlib", "poplib",
    "pydoc", "pydoc_data", "readline", "rlcompleter", "smtplib", "sqlite3", "tarfile", "test",
    "tkinter", "turtle", "turtledemo", "unittest", "urllib", "venv", "wsgiref", "xml",
    "xmlrpc", "zipfile", "_testcapi", "_testinternalcapi", "_testbuffer",
    "_testmultiphase", "_xxtestfuzz", "_ctypes_test", "_testimportmultiple", "_testclinic",
    "lzma", "bz2", "_lzma", "_bz2", "_codecs_cn", "_codecs_hk", "_codecs_iso2022",
    "_codecs_jp", "_codecs_kr", "_codecs_tw", "_multibytecodec",
)

# ------------------------------------------------------------------ kernel modules
# Loaded by the initramfs to reach the squashfs root: CF and disks on every supported board
# (docs/reference/firmware.md#drivers-per-board: pata_cs5536/pata_amd ALIX and net5501, pata_legacy/pata_sc1200 Soekris,
# ahci and SD/USB for APU-class boxes), ata_piix for the emulator's IDE, and squashfs.
BOOT_MODULES = ("ata_piix", "pata_amd", "pata_cs5536", "pata_sc1200", "ata_generic",
                "pata_legacy", "ahci", "sd_mod", "sdhci-pci", "sdhci-acpi", "mmc_block",
                "ehci-pci", "ohci-pci", "uhci-hcd", "xhci-pci", "usb-storage", "squashfs")
BOOT_REQUIRED = ("ata_piix", "sd_mod", "squashfs")
# In the root: the boot set, IPVS (every scheduler), networking the director and the test
# namespaces use, NICs of the boards (natsemi Soekris, via-rhine ALIX/net5501, igb APU,
# e1000 the emulator's default) and watchdogs, the /cfg filesystem and its code pages.
ROOT_MODULES = BOOT_MODULES + (
    "ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_lc", "ip_vs_wlc", "ip_vs_lblc", "ip_vs_lblcr",
    "ip_vs_dh", "ip_vs_sh", "ip_vs_sed", "ip_vs_nq", "ip_vs_fo", "ip_vs_ovf", "ip_vs_mh",
    "ip_vs_ftp", "veth", "bridge", "8021q", "dummy", "ipip",
    "natsemi", "via-rhine", "igb", "e1000", "e1000e", "8139too", "8139cp", "r8169",
    "pcnet32", "ne2k-pci",
    "scx200_wdt", "sc1200wdt", "sp5100_tco", "softdog", "geode-rng", "geode-aes",
    "cs5535-mfgpt", "vfat", "nls_cp437", "nls_ascii", "nls_utf8", "nls_iso8859-1",
)
ROOT_REQUIRED = BOOT_REQUIRED + ("ip_vs", "ip_vs_wlc", "veth", "bridge", "vfat", "nls_cp437",
                                 "nls_ascii")

# ------------------------------------------------------------------ the card
# Same layout as the Buildroot flavour (firmware/buildroot/board/common/post-image.sh):
# MBR with disk signature "LVSL"; p1 FAT16 boot (syslinux, kernel, initramfs), active;
# p2 squashfs root, mounted as root=PARTUUID=4c56534c-02; p3 FAT /cfg labelled LVSCFG.
DISK_SIGNATURE = 0x4C56534C
ROOT_PARTUUID = f"{DISK_SIGNATURE:08x}-02"
BOOT_LABEL, CFG_LABEL = "LVSBOOT", "LVSCFG"
ALIGN = 1 << 20                 # first partition at 1 MiB, every partition MiB-aligned
BOOT_SIZE = 16 << 20            # FAT16 needs ~16 MiB; kernel ~5.6 MiB + initramfs ~3 MiB
CFG_SIZE = 4 << 20              # NanoBSD's /cfg is 1 MiB (NANO_CONFSIZE=2048 sectors)
PART_TYPE = {"boot": 0x0E, "root": 0x83, "cfg": 0x01}   # as genimage.cfg of the Buildroot tree
CARD_BYTES = 256 * 1000 * 1000  # the smallest card targeted ("256 MB", decimal)
# The boards this image boots and their console speeds: firmware/boards.json (route
# debian-i386). Without --board or --baud the console runs at the net5501's 19200, the
# Soekris comBIOS speed.
DEFAULT_BOARD = "net5501"
IMAGE_NAME = "lvslite-i386.img"
ROUTE = "debian-i386"
BOARDS = {n: b for n, b in boards().items() if ROUTE in b.routes}
DEFAULT_BAUD = BOARDS[DEFAULT_BOARD].console
