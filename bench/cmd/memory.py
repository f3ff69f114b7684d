"""`python -m bench memory`: IPVS entries and bytes for a connection rate and hold time.

The seed's own question ("some RAM overhead per connection"): Little's law over the entry
lifetime, persistence templates, slab-rounded bytes per entry for a kernel era, the hash
table, and, given the RAM, whether it fits above IPVS's amemthresh line.
"""
from __future__ import annotations

from bench.catalog import ARCHES, ERAS, check_cache_line, load_catalog
from bench.cmd.common import add_json, emit, finite, number
from bench.errors import BenchError
from bench.memory import (DEFAULT_TAB_BITS, MIB, entry_size, fit, ipvs_memory,
                          recommended_tab_bits)


def add_arguments(p) -> None:
    p.add_argument("--rate", metavar="R", help="new connections per second")
    p.add_argument("--hold", metavar="S", help="seconds an entry lives (open time + the state "
                                               "timeout it ends in: 120 s FIN_WAIT in LVS-DR)")
    p.add_argument("--persistent", metavar="P", help="persistence timeout in s (default none)")
    p.add_argument("--entry-bytes", metavar="B", help="flat bytes per entry (overrides --kernel)")
    p.add_argument("--kernel", default="modern", choices=ERAS,
                   help="kernel era for the entry size (default modern)")
    p.add_argument("--arch", default="i386", choices=ARCHES, help="word size (default i386)")
    p.add_argument("--cache-line", metavar="B", help="L1 line the kernel was built for "
                                                     "(default 16: Geode GX1, Elan)")
    p.add_argument("--tab-bits", metavar="N", help=f"IP_VS_TAB_BITS (default {DEFAULT_TAB_BITS})")
    p.add_argument("--ram-mb", metavar="M", help="installed RAM in MiB: says whether it fits")
    p.add_argument("--base-mb", metavar="M", help="base system in MiB (default: the catalog's "
                                                  "kernel + userland + agent + tmpfs estimate)")
    add_json(p)


def run(args) -> int:
    if args.rate is None or args.hold is None:
        raise BenchError("--rate/--hold", "missing",
                         "e.g. --rate 2000 --hold 60 (new connections/s and seconds held)")
    catalog = load_catalog()
    rate = number(args.rate, "--rate")
    hold = number(args.hold, "--hold")
    era = catalog.kernel(args.kernel, args.arch, f"--kernel {args.kernel} --arch {args.arch}")
    line = check_cache_line(number(args.cache_line, "--cache-line", integer=True,
                                   default=16), "--cache-line")
    es = entry_size(era, line, catalog.base.page_bytes)
    eb = number(args.entry_bytes, "--entry-bytes")
    m = ipvs_memory(rate, hold, persistent_s=number(args.persistent, "--persistent", default=0.0),
                    entry_bytes=eb if eb is not None else es.per_entry_bytes,
                    bucket_bytes=es.bucket_bytes,
                    tab_bits=number(args.tab_bits, "--tab-bits", integer=True,
                                    default=DEFAULT_TAB_BITS))
    ram = number(args.ram_mb, "--ram-mb")
    base_mb = number(args.base_mb, "--base-mb")
    f = None
    if ram is not None:
        f = fit(catalog.base, ram, era.word_bits, m.bytes, base_override_mb=base_mb)
    doc = {
        "entries": m.entries, "templates": m.templates, "bytes": m.bytes,
        "fits": None if f is None else f.fits,
        "entry_bytes": m.entry_bytes,
        "entry_source": "--entry-bytes" if eb is not None else f"{es.era}: {es.source}",
        "struct_bytes": None if eb is not None else es.struct_bytes,
        "slab_object_bytes": None if eb is not None else es.object_bytes,
        "hash_bytes": m.hash_bytes, "tab_bits": m.tab_bits, "mean_chain": m.mean_chain,
        "recommended_tab_bits": recommended_tab_bits(m.entries + m.templates),
        "ram_bytes": None if f is None else f.ram_bytes,
        "base_bytes": None if f is None else f.base_bytes,
        "reserve_bytes": None if f is None else f.reserve_bytes,
        "margin_bytes": None if f is None else f.margin_bytes,
    }
    if args.json:
        emit({k: finite(v) for k, v in doc.items()})
        return 0
    print(f"{m.entries:,.0f} connection entries + {m.templates:,.0f} persistence templates "
          f"x {m.entry_bytes:,.1f} B = {(m.bytes - m.hash_bytes) / 1e6:,.2f} MB")
    print(f"  entry size: {doc['entry_source']}")
    print(f"hash table: 2^{m.tab_bits} buckets x {es.bucket_bytes} B = {m.hash_bytes / 1024:,.0f}"
          f" KiB; mean chain {m.mean_chain:,.1f} (Kconfig advice: IP_VS_TAB_BITS = "
          f"{doc['recommended_tab_bits']})")
    print(f"IPVS total: {m.bytes / 1e6:,.2f} MB ({m.bytes / MIB:,.2f} MiB)")
    if f is not None:
        state = "fits" if f.fits else "DOES NOT FIT"
        print(f"RAM {ram:g} MiB: base {f.base_bytes / MIB:,.1f} MiB + IPVS "
              f"{m.bytes / MIB:,.1f} MiB + amemthresh {f.reserve_bytes / MIB:,.0f} MiB -> "
              f"{state} (margin {f.margin_bytes / MIB:,.1f} MiB)")
    return 0
