"""IPVS memory: connection entries by Little's law, templates, the hash table, the base system.

Why Little's law: every new connection makes one entry, and the entry lives as long as the
connection plus the state timeout it ends in. The director in LVS-DR/TUN sees only the client's
half of the conversation, so its input-only state machine leaves a closed connection in
FIN_WAIT, and IPVS keeps it for that state's timeout (120 s); in LVS-NAT it ends in TIME_WAIT,
also 120 s (docs/reference/models.md#connection-timeouts, ip_vs_proto_tcp.c tcp_timeouts[]). Measured on 6.1 in the
emulator (tests/vm/test_bench_calibration.py): a DR director that also routes the replies
ends them in TIME_WAIT, with the same 120 s. The bytes per entry are the
slab object, not sizeof(): the cache is SLAB_HWCACHE_ALIGN and objects are packed whole into
pages (docs/reference/models.md#slab-rounding). Pure functions.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from bench.catalog import BaseSystem, KernelEra
from bench.errors import BenchError

MIB = 1024 * 1024
CLOSE_HOLD_S = {"dr": 120.0, "tun": 120.0, "nat": 120.0}   # FIN_WAIT (input-only) / TIME_WAIT
DEFAULT_TAB_BITS = 12          # CONFIG_IP_VS_TAB_BITS default (Kconfig; 4096 buckets)
TAB_BITS_RANGE = (8, 20)       # Kconfig range on 32-bit (docs/reference/models.md#hash-table)
SLAB24_DESCRIPTOR = 24         # 2.4 slab_t on i386: list_head 8 + colouroff, s_mem, inuse, free
SLAB24_BUFCTL = 4              # 2.4 kmem_bufctl_t per object (mm/slab.c kmem_cache_estimate)


def _align(n: float, a: int) -> int:
    return int(-(-int(math.ceil(n)) // a) * a)


def hwcache_align(size: int, line: int) -> int:
    """mm/slab_common.c calculate_alignment: halve the line while the object fits in half."""
    ralign = line
    while size <= ralign // 2:
        ralign //= 2
    return ralign


@dataclass(frozen=True)
class EntrySize:
    era: str
    struct_bytes: Optional[int]
    object_bytes: float
    objects_per_page: Optional[int]
    per_entry_bytes: float        # what one entry really takes: a page / objects in it
    bucket_bytes: int
    source: str


def entry_size(era: KernelEra, cache_line: int, page: int = 4096) -> EntrySize:
    if era.per_entry_bytes is not None:
        return EntrySize(era.key, None, era.per_entry_bytes, None, era.per_entry_bytes,
                         era.bucket_bytes, era.source)
    word = era.word_bits // 8
    size = era.struct_bytes
    # Aligned to the line (halved while the object fits twice), at least to a word.
    obj = _align(size, max(word, hwcache_align(size, cache_line)))
    if era.allocator == "slab24":
        # 2.4 SLAB: the descriptor and one bufctl per object share the page.
        n = 0
        while (n + 1) * obj + _align(SLAB24_DESCRIPTOR + (n + 1) * SLAB24_BUFCTL,
                                     cache_line) <= page:
            n += 1
    else:
        n = page // obj
    return EntrySize(era.key, size, obj, n, page / n, era.bucket_bytes, era.source)


@dataclass(frozen=True)
class IpvsMemory:
    entries: float
    templates: float
    entry_bytes: float            # per entry
    hash_bytes: int
    tab_bits: int
    bytes: float                  # entries + templates + hash table

    @property
    def mean_chain(self) -> float:
        return (self.entries + self.templates) / (1 << self.tab_bits)


def ipvs_memory(rate: float, hold_s: float, *, persistent_s: float = 0.0,
                entry_bytes: float, bucket_bytes: int,
                tab_bits: int = DEFAULT_TAB_BITS) -> IpvsMemory:
    """Little's law: N = rate x hold. A persistence template lives at least as long as the
    connection it controls and at least the persistence timeout; each connection is taken to be
    a new client (the seed's worst case), so templates = rate x max(P, hold)."""
    for name, value in (("--rate", rate), ("--hold", hold_s), ("--persistent", persistent_s),
                        ("--entry-bytes", entry_bytes)):
        if not math.isfinite(value) or value < 0:
            raise BenchError(name, f"is {value!r}", "a finite number >= 0")
    if not TAB_BITS_RANGE[0] <= tab_bits <= 27:
        raise BenchError("--tab-bits", f"is {tab_bits}", "8..20 (8..27 on 64-bit kernels)")
    entries = rate * hold_s
    templates = rate * max(persistent_s, hold_s) if persistent_s > 0 else 0.0
    hash_bytes = (1 << tab_bits) * bucket_bytes
    return IpvsMemory(entries=entries, templates=templates, entry_bytes=entry_bytes,
                      hash_bytes=hash_bytes, tab_bits=tab_bits,
                      bytes=(entries + templates) * entry_bytes + hash_bytes)


def recommended_tab_bits(entries: float) -> int:
    """Kconfig: the table size should be 'not far less than' the entries held."""
    bits = math.ceil(math.log2(entries)) if entries > 1 else TAB_BITS_RANGE[0]
    return max(TAB_BITS_RANGE[0], min(TAB_BITS_RANGE[1], bits))


@dataclass(frozen=True)
class Fit:
    ram_bytes: float
    base_bytes: float
    reserve_bytes: float          # IPVS amemthresh: below it the defence strategies start
    ipvs_bytes: float

    @property
    def margin_bytes(self) -> float:
        """What is left above the amemthresh line once the base system and IPVS are in."""
        return self.ram_bytes - self.base_bytes - self.ipvs_bytes - self.reserve_bytes

    @property
    def fits(self) -> bool:
        return self.margin_bytes >= 0

    @property
    def utilisation(self) -> float:
        usable = self.ram_bytes - self.reserve_bytes
        return (self.base_bytes + self.ipvs_bytes) / usable if usable > 0 else math.inf


def base_bytes(base: BaseSystem, ram_mb: float, word_bits: int) -> float:
    """Kernel (fixed part + one struct page per page of RAM), userland, the agent, tmpfs."""
    ram = ram_mb * MIB
    mem_map = ram / base.page_bytes * base.struct_page_bytes.get(word_bits, 64)
    return (base.kernel_fixed_mib + base.userland_mib + base.agent_mib + base.tmpfs_mib) * MIB \
        + mem_map


def fit(base: BaseSystem, ram_mb: float, word_bits: int, ipvs_bytes: float,
        base_override_mb: Optional[float] = None) -> Fit:
    b = base_bytes(base, ram_mb, word_bits) if base_override_mb is None \
        else base_override_mb * MIB
    return Fit(ram_bytes=ram_mb * MIB, base_bytes=b,
               reserve_bytes=base.amemthresh_pages * base.page_bytes, ipvs_bytes=ipvs_bytes)
