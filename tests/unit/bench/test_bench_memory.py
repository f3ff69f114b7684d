"""IPVS memory: docs/reference/models.md#worked-examples examples 2-4, slab rounding (docs/reference/models.md#slab-rounding), templates, fit."""
import pytest

from bench.catalog import load_catalog
from bench.errors import BenchError
from bench.memory import (CLOSE_HOLD_S, MIB, entry_size, fit, hwcache_align, ipvs_memory,
                          recommended_tab_bits)

CAT = load_catalog()


def test_example_2_thirty_megabytes():
    m128 = ipvs_memory(2000, 60, entry_bytes=128, bucket_bytes=8)
    m256 = ipvs_memory(2000, 60, entry_bytes=256, bucket_bytes=8)
    assert m128.entries == 120_000
    assert m128.bytes - m128.hash_bytes == pytest.approx(15.36e6)
    assert m256.bytes - m256.hash_bytes == pytest.approx(30.72e6)


def test_example_3_twenty_five_thousand_per_second_does_not_fit_128_mib():
    m = ipvs_memory(25000, 60, entry_bytes=128, bucket_bytes=8)
    assert m.entries == 1_500_000
    assert m.bytes - m.hash_bytes == pytest.approx(192e6)
    f = fit(CAT.base, 128, 32, m.bytes, base_override_mb=0)
    assert not f.fits and f.margin_bytes < 0


def test_example_4_default_hash_table():
    m = ipvs_memory(0, 0, entry_bytes=128, bucket_bytes=8, tab_bits=12)
    assert m.hash_bytes == 4096 * 8 == 32 * 1024
    assert m.bytes == m.hash_bytes       # nothing held, only the table


def test_slab_rounding_reproduces_models_md_1_2():
    x64 = entry_size(CAT.kernels["modern-x86_64"], 64)
    assert (x64.struct_bytes, x64.object_bytes, x64.objects_per_page) == (288, 320, 12)
    assert x64.per_entry_bytes == pytest.approx(4096 / 12)
    i386 = entry_size(CAT.kernels["modern-i386"], 16)
    assert i386.object_bytes == 192 and i386.objects_per_page == 21
    # a kernel built for 128-byte lines (Pentium 4) pads the 192 B entry to 256 B: one
    # candidate for the thread's implied 256 B (docs/reference/models.md#slab-rounding)
    assert entry_size(CAT.kernels["modern-i386"], 128).object_bytes == 256
    old = entry_size(CAT.kernels["2.4-i386"], 32)
    assert old.object_bytes == 128 and old.objects_per_page == 30      # ~136 B effective
    assert old.per_entry_bytes == pytest.approx(136.5, abs=0.1)


def test_hwcache_align_halves_the_line_for_small_objects():
    assert hwcache_align(20, 64) == 32
    assert hwcache_align(33, 64) == 64
    assert hwcache_align(288, 64) == 64


def test_flat_eras_are_taken_as_given():
    assert entry_size(CAT.kernels["kconfig"], 16).per_entry_bytes == 128
    assert entry_size(CAT.kernels["thread"], 16).per_entry_bytes == 256


def test_no_persistence_no_templates_and_persistence_adds_them():
    hold = 1 + CLOSE_HOLD_S["dr"]
    plain = ipvs_memory(300, hold, entry_bytes=195, bucket_bytes=4)
    sticky = ipvs_memory(300, hold, persistent_s=1800, entry_bytes=195, bucket_bytes=4)
    assert plain.templates == 0
    assert sticky.templates == 300 * 1800          # the timeout outlives the connection
    short = ipvs_memory(300, hold, persistent_s=10, entry_bytes=195, bucket_bytes=4)
    assert short.templates == 300 * hold           # a template outlives its connections
    assert sticky.bytes > plain.bytes


def test_recommended_table_follows_kconfig_advice():
    assert recommended_tab_bits(200 * 200) == 16   # 40,000 entries -> 2^16 >= 40,000
    assert recommended_tab_bits(0) == 8
    assert recommended_tab_bits(10 ** 9) == 20


def test_base_system_counts_struct_pages():
    small, big = (fit(CAT.base, ram, 32, 0) for ram in (64, 128))
    assert big.base_bytes - small.base_bytes == pytest.approx(64 * MIB / 4096 * 32)
    assert small.reserve_bytes == 1024 * 4096


@pytest.mark.parametrize("kw", [dict(rate=-1, hold_s=1), dict(rate=1, hold_s=-1),
                                dict(rate=1, hold_s=1, persistent_s=-2)])
def test_negative_inputs_are_refused(kw):
    with pytest.raises(BenchError):
        ipvs_memory(entry_bytes=128, bucket_bytes=8, **kw)
