"""CPU per packet and per new connection, per box, from two calibration points.

The reference core is the 266 MHz Geode GX1 (net4801, WRAP). Its deferred per-packet cost c_p
and its per-new-connection cost c_conn are solved from two published figures, so no number
here is a free guess beyond the interrupt-level fit parameters of docs/reference/models.md#shared-irq-lines:

  NAPI, plain routing (laforge 2004, WRAP):       1/34,000 s = rx + c_p + (entry + check)/B
  interrupt-driven IPVS, every packet a new
  connection (seed, Ratz: "technically ~25000pps"): 1/25,000 s = entry + check + rx + c_p + c_conn

Other boxes scale every cost by clock and by a per-cycle ratio (boxes.json cycle_ratio, with
its source). Utilisation counts one interrupt per packet (the light-load case, where NAPI also
takes about one interrupt per packet); the capacity under overload is the NAPI figure.
"""
from __future__ import annotations

from dataclasses import dataclass

from bench.catalog import Box, Calibration
from bench.livelock import IrqCosts, mlfrr, napi_capacity

US = 1e-6


@dataclass(frozen=True)
class BoxCosts:
    irq: IrqCosts        # interrupt-level and deferred per-packet costs (seconds)
    conn: float          # extra seconds per new connection (schedule, slab alloc, hash insert)
    napi: bool
    cores: int           # cores that share the receive work

    @property
    def per_packet(self) -> float:
        """One interrupt per packet: entry + n x check + rx + c_p."""
        return self.irq.ci + self.irq.p

    @property
    def capacity_pps(self) -> float:
        """Forwarded packets/s at 100% CPU under overload, all cores."""
        per_core = napi_capacity(self.irq) if self.napi else mlfrr(self.irq)
        return per_core * self.cores


@dataclass(frozen=True)
class Reference:
    """The solved reference costs (seconds at the reference clock)."""
    entry: float
    check: float
    rx: float
    p: float
    conn: float
    budget: int


def reference(cal: Calibration) -> Reference:
    entry, check, rx = cal.entry_us * US, cal.check_us * US, cal.rx_us * US
    p = 1.0 / cal.napi_route_pps - rx - (entry + check) / cal.napi_budget
    conn = 1.0 / cal.irq_ipvs_new_pps - (entry + check + rx + p)
    return Reference(entry=entry, check=check, rx=rx, p=p, conn=conn, budget=cal.napi_budget)


def box_costs(box: Box, cal: Calibration) -> BoxCosts:
    ref = reference(cal)
    scale = cal.reference_mhz / box.cpu.mhz * box.cpu.cycle_ratio
    irq = IrqCosts(rx=ref.rx * scale, p=ref.p * scale, entry=ref.entry * scale,
                   check=ref.check * scale, shared=box.shared_handlers, budget=ref.budget)
    return BoxCosts(irq=irq, conn=ref.conn * scale, napi=box.front.napi, cores=box.usable_cores)


def utilisation(costs: BoxCosts, forwarded_pps: float, conns_per_s: float) -> float:
    """Fraction of the receive cores busy with forwarding and connection setup."""
    busy = forwarded_pps * costs.per_packet + conns_per_s * costs.conn
    return busy / costs.cores
