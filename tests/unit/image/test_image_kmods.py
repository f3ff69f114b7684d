"""Kernel module selection and load order (firmware/image/kmods.py)."""
import pytest

from firmware.image import kmods

DEP = """\
kernel/net/netfilter/ipvs/ip_vs.ko: kernel/net/netfilter/nf_conntrack.ko kernel/lib/libcrc32c.ko
kernel/net/netfilter/nf_conntrack.ko: kernel/lib/libcrc32c.ko
kernel/lib/libcrc32c.ko:
kernel/crypto/crc32c_generic.ko:
kernel/arch/x86/crypto/crc32c-intel.ko:
kernel/drivers/net/veth.ko:
kernel/fs/fat/vfat.ko: kernel/fs/fat/fat.ko
kernel/fs/fat/fat.ko:
"""
SOFT = "# comment\nsoftdep libcrc32c pre: crc32c\nsoftdep vfat post: nls_cp437\n"
ALIAS = ("alias crc32c crc32c_generic\nalias crc32c crc32c_intel\n"
         "alias crypto-crc32c crc32c_generic\nalias fs-vfat vfat\n")


def test_names_ignore_dash_and_underscore_and_extensions():
    assert kmods.name_of("kernel/arch/x86/crypto/crc32c-intel.ko") == "crc32c_intel"
    assert kmods.name_of("a/b/ip_vs.ko.xz") == "ip_vs"


def test_dependencies_load_before_the_module():
    dep = kmods.parse_dep(DEP)
    order, missing = kmods.resolve(dep, ["ip_vs"])
    assert missing == []
    assert order == ["kernel/lib/libcrc32c.ko", "kernel/net/netfilter/nf_conntrack.ko",
                     "kernel/net/netfilter/ipvs/ip_vs.ko"]


def test_soft_dependencies_come_in_through_their_aliases():
    """libcrc32c needs the crc32c algorithm at init or ip_vs fails with ENOENT (found by
    booting the image: modprobe ip_vs said 'Unknown symbol in module')."""
    dep = kmods.parse_dep(DEP)
    order, _ = kmods.resolve(dep, ["ip_vs"], kmods.parse_softdep(SOFT),
                             kmods.parse_alias(ALIAS))
    assert order.index("kernel/crypto/crc32c_generic.ko") < order.index("kernel/lib/libcrc32c.ko")
    assert "kernel/arch/x86/crypto/crc32c-intel.ko" in order


def test_a_module_not_in_this_kernel_is_reported_not_fatal():
    dep = kmods.parse_dep(DEP)
    order, missing = kmods.resolve(dep, ["veth", "sc520_wdt", "geode-wdt"])
    assert order == ["kernel/drivers/net/veth.ko"]
    assert missing == ["sc520_wdt", "geode-wdt"]
    assert kmods.missing_required(missing, ["geode_wdt", "veth"]) == ["geode-wdt"]


def test_each_module_appears_once():
    dep = kmods.parse_dep(DEP)
    order, _ = kmods.resolve(dep, ["ip_vs", "nf_conntrack", "ip_vs", "vfat"])
    assert len(order) == len(set(order))


def test_a_cycle_is_an_error_naming_it():
    dep = kmods.parse_dep("a.ko: b.ko\nb.ko: a.ko\n")
    with pytest.raises(ValueError, match="cycle: a -> b -> a"):
        kmods.resolve(dep, ["a"])
