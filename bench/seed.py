"""The seed thread's expert figures, recomputed by the models (docs/reference/models.md#the-seed-thread), with the gap.

Why a module of its own: the bench exists to turn that thread's estimates into models, so the
main job shows, figure by figure, what the models give, how far that is from the thread, and
why. A row is a check, not decoration: tests assert the agreements and the named gaps.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from bench.catalog import Catalog
from bench.cpu import box_costs, reference
from bench.ha import mgl_q
from bench.livelock import IrqCosts, livelock_onset, mlfrr
from bench.memory import CLOSE_HOLD_S, MIB, entry_size, fit, ipvs_memory
from bench.size import size
from bench.traffic import Workload, bits_per_second


@dataclass(frozen=True)
class SeedCheck:
    key: str
    claim: str                  # what the thread said, quoted or paraphrased
    seed_value: Optional[float]
    model_value: Optional[float]
    unit: str
    why: str                    # why they agree, or why they differ

    @property
    def delta(self) -> Optional[float]:
        """(model - seed) / seed."""
        if self.seed_value in (None, 0) or self.model_value is None:
            return None
        return (self.model_value - self.seed_value) / self.seed_value


def checks(catalog: Catalog) -> Tuple[SeedCheck, ...]:
    rows = []
    n4801 = catalog.box("net4801")
    n4501 = catalog.box("net4501")
    kconfig = catalog.kernels["kconfig"].per_entry_bytes
    thread = catalog.kernels["thread"].per_entry_bytes
    modern = entry_size(catalog.era(n4801), n4801.cpu.cache_line, catalog.base.page_bytes)

    mbit = bits_per_second(2000, 350) / 1e6
    rows.append(SeedCheck(
        "bits", "2000 pps at ~350 bytes/packet is ~5 Mbit/s", 5.0, mbit, "Mbit/s",
        "2000 x 350 B x 8 = 5.6 Mbit/s exactly; the thread rounded down"))

    m = ipvs_memory(2000, 60, entry_bytes=thread, bucket_bytes=0)
    rows.append(SeedCheck(
        "entries-30mb", "2000 new connections/s held 1 min use ~30 MB", 30.0, m.bytes / 1e6, "MB",
        f"Little's law: 2000/s x 60 s = {m.entries:,.0f} entries; ~30 MB needs {thread:.0f} "
        f"B/entry, twice Kconfig's {kconfig:.0f} B: the thread's implied entry size "
        f"(docs/reference/models.md#the-seed-thread), which no source explains"))

    m = ipvs_memory(2000, 60, entry_bytes=modern.per_entry_bytes, bucket_bytes=0)
    rows.append(SeedCheck(
        "entries-kernel", "the same 120,000 entries on the net4801's own kernel", 30.0,
        m.bytes / 1e6, "MB",
        f"a 6.x i386 ip_vs_conn is {modern.struct_bytes} B, {modern.objects_per_page} to a 4 KiB "
        f"slab page = {modern.per_entry_bytes:.0f} B/entry, not {thread:.0f} B"))

    hold = 1.0 + CLOSE_HOLD_S["dr"]
    m = ipvs_memory(2000, hold, entry_bytes=modern.per_entry_bytes, bucket_bytes=0)
    rows.append(SeedCheck(
        "entries-dr-hold", "... and held as long as LVS-DR really holds them", 30.0,
        m.bytes / 1e6, "MB",
        f"the thread assumed 1 min; the DR director's input-only state machine keeps a closed "
        f"connection {CLOSE_HOLD_S['dr']:.0f} s in FIN_WAIT (TIME_WAIT when it also routes the "
        f"replies; both 120 s in tcp_timeouts[], measured in the emulator), so "
        f"{m.entries:,.0f} entries"))

    m = ipvs_memory(25000, 60, entry_bytes=kconfig, bucket_bytes=8)
    f = fit(catalog.base, n4801.ram_mb, 32, m.bytes)
    rows.append(SeedCheck(
        "25k-memory", "25,000 new/s 'would consume about all the memory' (net4801, 128 MB)",
        n4801.ram_mb * MIB / 1e6, m.bytes / 1e6, "MB",
        f"{m.entries:,.0f} entries at Kconfig's {kconfig:.0f} B alone exceed the RAM: "
        f"{'fits' if f.fits else 'does not fit'} ({-f.margin_bytes / MIB:,.0f} MiB short); "
        f"with no defence strategy on (the default) the box runs out of memory"))

    ref = reference(catalog.calibration)
    gx1 = box_costs(n4801, catalog.calibration)
    rows.append(SeedCheck(
        "25k-capacity", "the net4801 'should be able to deliver 25000pps' (every packet new)",
        catalog.calibration.irq_ipvs_new_pps, 1.0 / (ref.entry + ref.check + ref.rx + ref.p
                                                     + ref.conn), "pps",
        "a calibration point (interrupt-driven 2004 natsemi), reproduced by construction"))
    rows.append(SeedCheck(
        "napi-capacity", "... the same box today (NAPI natsemi, established connections)",
        catalog.calibration.irq_ipvs_new_pps, gx1.capacity_pps, "pps",
        f"NAPI pays the interrupt once per poll of up to {ref.budget} packets and packets of "
        f"existing connections skip the {ref.conn * 1e6:.1f} us connection setup; laforge "
        f"measured {catalog.calibration.napi_route_pps:,.0f} pps routing on the same CPU"))

    cap45 = box_costs(n4501, catalog.calibration).capacity_pps
    rows.append(SeedCheck(
        "4501-vs-4801", "net4501 routes ~20 Mbit/s, net4801 'in excess of 50' (ratio 0.4)",
        20.0 / 50.0, cap45 / gx1.capacity_pps, "ratio",
        "per-cycle cost from m0n0wall's same-software figures (17 vs 40 Mbit/s, ratio 0.425) at "
        "half the clock; the thread's 4801 figure is a guess ('I would suspect')"))

    one = IrqCosts(rx=ref.rx, p=ref.p, entry=ref.entry, check=ref.check, shared=1)
    three = IrqCosts(rx=ref.rx, p=ref.p, entry=ref.entry, check=ref.check, shared=3)
    rows.append(SeedCheck(
        "shared-irq", "3 NICs on one IRQ: 'performance degradation is exponential'",
        None, mlfrr(three), "pps",
        f"interrupt-driven MLFRR {mlfrr(one):,.0f} -> {mlfrr(three):,.0f} pps "
        f"({mlfrr(three) / mlfrr(one) - 1:+.0%}) with 1 -> 3 handlers on the line; the livelock onset falls "
        f"{livelock_onset(one):,.0f} -> {livelock_onset(three):,.0f} pps and the slope past the "
        f"MLFRR steepens {one.ci / one.p:.2f} -> {three.ci / three.p:.2f}: steep and linear, "
        f"not exponential (Ratz: 'I never saw exponential behaviour')"))

    s = size(n4801, catalog, Workload(rps=300, kbps=150))
    rows.append(SeedCheck(
        "300rps", "300 req/s, 150 kB/s on a net4801: 'for your purpose enough'",
        None, s.utilisation[s.limiting], "utilisation",
        f"verdict {s.verdict}; limiting: {s.limiting} ({s.utilisation[s.limiting]:.0%}); CPU "
        f"{s.utilisation['cpu']:.1%}; IPVS {s.memory_bytes / 1e6:.1f} MB for {s.entries:,.0f} "
        f"entries"))

    rows.append(_cf_row())

    q1, q2 = mgl_q(1, 2, [0.1, 0.5], 1.0), mgl_q(2, 2, [0.1, 0.5], 1.0)
    rows.append(SeedCheck(
        "mgl-pair", "an MGL reliability analysis of a 2-box pair", None, q2, "Q2/Qt",
        f"for m = 2 MGL has only beta: Q1 = {q1:.2f} Qt, Q2 = {q2:.2f} Qt whatever gamma is; "
        f"gamma appears from m = 3, so the thread's pair model was the beta factor"))
    return tuple(rows)


def _cf_row() -> SeedCheck:
    """CF 'MTTF was 23 days': E x T_hot through the agent's wear model."""
    from bench.flash import lifetime
    life = lifetime(512.0, capacity_bytes=64 * 1000 ** 2, endurance_cycles=100_000,
                    wear_leveling="none", hot_interval_s=30.0)
    t_hot = 23 * 86400 / 100_000
    return SeedCheck(
        "cf-23d", "CF cards failed with an MTTF of 23 days (heat, I/O pressure)", 23.0,
        life.days, "days",
        f"no wear leveling, E = 100,000, hottest block rewritten at kernel writeback (every 30 "
        f"s); 23 days needs a rewrite every {t_hot:.1f} s, e.g. a journal commit plus a "
        f"syslog that syncs every line, and heat derates E further")
