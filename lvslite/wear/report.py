"""Turns per-device write series into rates, projections and lifetimes, as text or JSON.

Pure: series, card and capacities in, a report out (cli.py reads files and /sys). The text
fits 80 columns and starts with the one-line verdict the user came for.
"""
from __future__ import annotations

from lvslite.model import Record
from lvslite.wear import model
from lvslite.wear.diskstats import SECTOR_BYTES

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Dict, List, Optional, Sequence, Tuple

    from lvslite.wear.diskstats import Interval, Series

HOUR = 3600.0
HOUR_MIN_COVER_S = 1800.0       # an hour of day counts once half of it was sampled
SLICES = 6                      # rate range over sixths of a window shorter than 2 hours


class Card(Record):
    """The card being modelled: a profile's figures, overridden by explicit options."""
    __slots__ = ()
    _fields = ("profile", "endurance_cycles", "wear_leveling", "waf", "hot_interval_s", "temp_c",
               "free_fraction", "capacity_bytes", "source")

    def __new__(cls, profile: str, endurance_cycles: float, wear_leveling: str,
                waf: float = 1.0, hot_interval_s: Optional[float] = None,
                temp_c: Optional[float] = None, free_fraction: Optional[float] = None,
                capacity_bytes: Optional[int] = None, source: str = ""):
        return tuple.__new__(cls, (profile, endurance_cycles, wear_leveling, waf, hot_interval_s,
                                   temp_c, free_fraction, capacity_bytes, source))


def make_card(profile: Optional[str] = None, endurance: Optional[float] = None,
              wear_leveling: Optional[str] = None, waf: Optional[float] = None,
              hot_interval_s: Optional[float] = None, temp_c: Optional[float] = None,
              free_fraction: Optional[float] = None,
              capacity_bytes: Optional[int] = None) -> Card:
    name = profile or model.DEFAULT_CARD
    p = model.CARD_PROFILES.get(name)
    if p is None:
        raise model.WearModelError(f"--card: unknown profile {name!r} (one of: "
                                   f"{', '.join(model.CARD_PROFILES)})")
    explicit = endurance is not None
    return Card(
        profile=name if not explicit else (f"{name}, E given" if profile else "custom"),
        endurance_cycles=p.endurance_cycles if endurance is None else endurance,
        wear_leveling=wear_leveling or p.wear_leveling,
        waf=1.0 if waf is None else waf,
        hot_interval_s=hot_interval_s, temp_c=temp_c, free_fraction=free_fraction,
        capacity_bytes=capacity_bytes,
        source="--endurance" if explicit else p.source)


class HourRate(Record):
    __slots__ = ()
    _fields = ("hour", "seconds", "write_rate_Bps")

    def __new__(cls, hour: int, seconds: float, write_rate_Bps: float):
        return tuple.__new__(cls, (hour, seconds, write_rate_Bps))


class DeviceReport(Record):
    __slots__ = ()
    _fields = ("device", "window_s", "sectors_written", "write_rate_Bps", "bytes_per_day",
               "per_day_basis", "rate_low_Bps", "rate_high_Bps", "range_basis", "by_hour",
               "lifetime", "days_low", "days_high", "capacity_bytes", "capacity_source",
               "segments", "wraps", "resets", "parent", "note", "dropped_s")
    # by_hour:  tuple of HourRate
    # lifetime: model.Lifetime, None when it cannot be told

    def __new__(cls, device: str, window_s: float, sectors_written: int, write_rate_Bps: float,
                bytes_per_day: float, per_day_basis: str, rate_low_Bps: float,
                rate_high_Bps: float, range_basis: str, by_hour: Tuple[HourRate, ...],
                lifetime: Optional[model.Lifetime], days_low: Optional[float],
                days_high: Optional[float], capacity_bytes: Optional[int],
                capacity_source: str, segments: int, wraps: int, resets: int,
                parent: Optional[str] = None, note: str = "", dropped_s: float = 0.0):
        return tuple.__new__(cls, (device, window_s, sectors_written, write_rate_Bps,
                                   bytes_per_day, per_day_basis, rate_low_Bps, rate_high_Bps,
                                   range_basis, by_hour, lifetime, days_low, days_high,
                                   capacity_bytes, capacity_source, segments, wraps, resets,
                                   parent, note, dropped_s))

    @property
    def bytes_written(self) -> int:
        return self.sectors_written * SECTOR_BYTES


def split_by_hour(intervals: Sequence[Interval], utc_offset_s: float = 0.0
                  ) -> Dict[int, Tuple[float, float]]:
    """hour of day -> (seconds sampled, sectors), spreading each interval evenly over its span."""
    out: Dict[int, List[float]] = {}
    for iv in intervals:
        if iv.seconds <= 0:
            continue
        rate = iv.sectors / iv.seconds
        a = iv.t0 + utc_offset_s
        end = iv.t1 + utc_offset_s
        while a < end:
            b = min(end, (a // HOUR + 1) * HOUR)
            h = int(a // HOUR) % 24
            acc = out.setdefault(h, [0.0, 0.0])
            acc[0] += b - a
            acc[1] += rate * (b - a)
            a = b
    return {h: (v[0], v[1]) for h, v in out.items()}


def slice_rates(intervals: Sequence[Interval], n: int = SLICES) -> List[float]:
    """Mean rate (B/s) in each of n equal shares of the sampled time, gaps closed up."""
    total = sum(iv.seconds for iv in intervals)
    if total <= 0:
        return []
    width = total / n
    sectors = [0.0] * n
    pos = 0.0
    for iv in intervals:
        if iv.seconds <= 0:
            continue
        rate = iv.sectors / iv.seconds
        a, end = pos, pos + iv.seconds
        while a < end - 1e-12:
            k = min(n - 1, int(a / width))
            b = min(end, (k + 1) * width) if k < n - 1 else end
            sectors[k] += rate * (b - a)
            a = b
        pos = end
    return [s * SECTOR_BYTES / width for s in sectors]


def _lifetime(rate: float, card: Card, capacity: Optional[int],
              busy_gap_s: Optional[float]) -> Optional[model.Lifetime]:
    if capacity is None and card.wear_leveling != "none" and rate > 0:
        return None                              # no writes needs no capacity
    return model.lifetime(
        rate, capacity_bytes=capacity or 1,      # E x T_hot does not use the capacity
        endurance_cycles=card.endurance_cycles, wear_leveling=card.wear_leveling,
        waf=card.waf, hot_interval_s=card.hot_interval_s, temp_c=card.temp_c,
        free_fraction=card.free_fraction, busy_gap_s=busy_gap_s)


def analyze(series: Series, card: Card, capacity: Optional[int] = None,
            capacity_source: str = "", utc_offset_s: float = 0.0,
            parent: Optional[str] = None) -> DeviceReport:
    """One device's report: totals, rates, projection and lifetime with its range."""
    ivs = series.intervals
    window = series.window_s
    sectors = series.sectors_written
    rate = sectors * SECTOR_BYTES / window if window > 0 else 0.0

    hours = split_by_hour(ivs, utc_offset_s)
    by_hour = tuple(HourRate(h, s, sec * SECTOR_BYTES / s)
                    for h, (s, sec) in sorted(hours.items()) if s >= HOUR_MIN_COVER_S)
    if len(by_hour) == 24:
        per_day = sum(hr.write_rate_Bps for hr in by_hour) * HOUR
        per_day_basis = "sum over the 24 hours of day"
    else:
        per_day = rate * 86400.0
        per_day_basis = "mean rate x 24 h"
    if len(by_hour) >= 2:
        rates = [hr.write_rate_Bps for hr in by_hour]
        range_basis = "hours of day"
    else:
        rates = slice_rates(ivs)
        range_basis = "sixths of the window"
    low, high = (min(rates), max(rates)) if rates else (rate, rate)

    busy = sum(1 for iv in ivs if iv.sectors > 0)
    busy_gap = window / busy if busy else None   # T_hot's estimate without leveling

    note = ""
    if window <= 0:
        note = "seen in one sample only: no rate"
    lt = _lifetime(rate, card, capacity, busy_gap)
    if lt is None:
        note = note or (f"capacity of {series.name} unknown: pass --capacity BYTES")
    days_low = days_high = None
    if lt is not None and lt.days is not None:
        if card.wear_leveling == "none":
            days_low = days_high = lt.days           # E x T_hot does not depend on the rate
        else:
            lo = _lifetime(high, card, capacity, busy_gap)
            hi = _lifetime(low, card, capacity, busy_gap)
            days_low = lo.days if lo else None
            days_high = hi.days if hi else None
    return DeviceReport(
        device=series.name, window_s=window, sectors_written=sectors, write_rate_Bps=rate,
        bytes_per_day=per_day, per_day_basis=per_day_basis, rate_low_Bps=low,
        rate_high_Bps=high, range_basis=range_basis, by_hour=by_hour, lifetime=lt,
        days_low=days_low, days_high=days_high, capacity_bytes=capacity,
        capacity_source=capacity_source, segments=series.segments, wraps=series.wraps,
        resets=series.resets, parent=parent, note=note, dropped_s=series.dropped_s)


# ------------------------------------------------------------------------------ output

def fmt_bytes(n: float) -> str:
    """Decimal units as card makers use them: 2.3 KB, 128 MB."""
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 999.5 or unit == "PB":
            if unit == "B":
                return f"{n:.0f} B"
            return f"{n:.1f} {unit}" if abs(n) < 9.95 else f"{n:.0f} {unit}"
        n /= 1000.0
    return f"{n:.0f} PB"


def fmt_duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 2 * HOUR:
        return f"{seconds / 60:.1f} min"
    if seconds < 2 * 86400:
        return f"{seconds / HOUR:.1f} h"
    return f"{seconds / 86400:.1f} days"


def fmt_life(days: Optional[float]) -> str:
    if days is None:
        return "not limited by wear"
    if days < 2:
        return f"{days * 24:.0f} hours"
    if days < 60:
        return f"{days:.0f} days"
    if days < 730:
        return f"{days / 30.44:.0f} months"
    years = days / model.DAYS_PER_YEAR
    return f"{years:.1f} years" if years < 10 else f"{years:,.0f} years"


def verdict(r: DeviceReport, card: Card) -> str:
    """The one line first: 'at 2.3 KB/s this 128 MB card without wear leveling lasts about 23 days'."""
    if r.note and r.lifetime is None:
        return f"{r.device}: {r.note}"
    if r.lifetime is None or r.lifetime.days is None:
        return f"{r.device}: no writes: not limited by wear"
    cap = f"{fmt_bytes(r.capacity_bytes)} " if r.capacity_bytes else ""
    words = model.leveling_words(card.wear_leveling)
    life = fmt_life(r.lifetime.days)
    for text in (f"{r.device}: at {fmt_bytes(r.write_rate_Bps)}/s this {cap}card {words} "
                 f"lasts about {life}",
                 f"at {fmt_bytes(r.write_rate_Bps)}/s this {cap}card {words} lasts about "
                 f"{life}",
                 f"{r.device}: at {fmt_bytes(r.write_rate_Bps)}/s the card lasts about {life}"):
        if len(text) <= 80:
            return text
    return text[:80]


def pick_verdict_device(reports: Sequence[DeviceReport]) -> Optional[DeviceReport]:
    """The whole disk that dies first; the user's card is the one that matters."""
    if not reports:
        return None
    disks = [r for r in reports if r.parent is None] or list(reports)
    dying = [r for r in disks if r.lifetime is not None and r.lifetime.days is not None]
    if dying:
        return min(dying, key=lambda r: r.lifetime.days)
    return disks[0]


def _wrap(prefix: str, text: str, width: int = 80) -> List[str]:
    import textwrap
    return textwrap.wrap(text, width=width, initial_indent=prefix,
                         subsequent_indent=" " * len(prefix)) or [prefix.rstrip()]


def render(reports: Sequence[DeviceReport], card: Card, writers: Optional[dict] = None,
           header: Sequence[str] = (), writers_note: str = "") -> str:
    """The human report; every line at most 80 columns, the verdict first. `writers` maps a
    device to the processes with files open on it, or None to all-device totals (a side
    log that did not record devices)."""
    lines: List[str] = []
    top = pick_verdict_device(reports)
    if top is not None:
        lines.append(verdict(top, card))
    for h in header:
        lines.extend(_wrap("", h))
    lines.extend(_wrap("card: ", f"{card.profile}, E = {card.endurance_cycles:,.0f} cycles, "
                       f"{model.leveling_words(card.wear_leveling)}, WAF {card.waf:g}"
                       + (f", {card.temp_c:g} C" if card.temp_c is not None else "")))
    lines.extend(_wrap("      source: ", card.source))
    idle = [r for r in reports if r.sectors_written == 0 and r.lifetime is not None
            and len(reports) > 1]
    if idle:
        lines.append("")
        lines.extend(_wrap("no writes (not limited by wear): ",
                           " ".join(r.device for r in idle)))
    for r in reports:
        if r in idle:
            continue
        lines.append("")
        cap = (f"{fmt_bytes(r.capacity_bytes)} ({r.capacity_source})" if r.capacity_bytes
               else "capacity unknown")
        lines.extend(_wrap("", f"{r.device}" + (f" (partition of {r.parent})" if r.parent
                                                 else "") + f": {cap}"))
        lines.append(f"  written   {fmt_bytes(r.bytes_written)} ({r.sectors_written:,} "
                     f"sectors) in {fmt_duration(r.window_s)}")
        seg = []
        if r.segments > 1:
            seg.append(f"{r.segments} segments")
        if r.resets:
            seg.append(f"{r.resets} counter reset(s) (a reboot or the device re-created): "
                       f"{fmt_duration(r.dropped_s)} not counted")
        if r.wraps:
            seg.append(f"{r.wraps} 32-bit wrap(s)")
        if seg:
            lines.extend(_wrap("  log       ", ", ".join(seg)))
        lines.append(f"  rate      {fmt_bytes(r.write_rate_Bps)}/s (low "
                     f"{fmt_bytes(r.rate_low_Bps)}/s, high {fmt_bytes(r.rate_high_Bps)}/s "
                     f"over {r.range_basis})"[:80])
        lines.append(f"  per day   {fmt_bytes(r.bytes_per_day)} projected ({r.per_day_basis})")
        lt = r.lifetime
        if lt is None:
            lines.extend(_wrap("  lifetime  ", r.note))
        elif lt.days is None:
            lines.append("  lifetime  no writes: not limited by wear")
        else:
            rng = ""
            if r.days_low is not None and r.days_low != r.days_high:
                rng = f" (range {fmt_life(r.days_low)} to {fmt_life(r.days_high)})"
            elif card.wear_leveling == "none":
                rng = " (does not depend on the rate)"
            lines.extend(_wrap("  lifetime  ", f"about {fmt_life(lt.days)}{rng}; "
                               f"{lt.formula}"))
            lines.extend(_wrap("            ", lt.explanation))
        if len(r.by_hour) >= 2:
            cells = [f"{hr.hour:02d}h {fmt_bytes(hr.write_rate_Bps) + '/s':<10}"
                     for hr in r.by_hour]
            for i in range(0, len(cells), 4):
                lines.append(("  by hour   " if i == 0 else " " * 12)
                             + " ".join(cells[i:i + 4]).rstrip())
    lines.append("")
    writers = writers or {}
    if any(writers.values()):
        for device, ws in writers.items():
            if device is None:
                title = ("writers (totals over all devices, over the window: this log did "
                         "not record which device each process had files open on):")
            else:
                title = (f"writers with files open on {device} (each one's writes to all "
                         "devices, over the window):" if ws else
                         f"writers of {device}: no writing process had a file open on it")
            lines.extend(_wrap("", title))
            for w in ws:
                lines.append(f"  {w.pid:>7}  {w.name[:40]:<40} {fmt_bytes(w.write_bytes):>10}")
    else:
        lines.extend(_wrap("writers: ", writers_note or "none seen"))
    return "\n".join(line[:80] for line in lines) + "\n"


def to_json(reports: Sequence[DeviceReport], writers: Optional[dict] = None) -> dict:
    """The fixed JSON document of `lvslite wear --json` (extra fields only add detail).
    Each device's `writers` are the processes with files open on it (writers_scope "open
    files"), or every writer when the log did not record that ("all devices")."""
    devices = []
    writers = writers or {}
    for r in reports:
        own = writers.get(r.device, writers.get(None, ()))
        ws = [{"pid": w.pid, "name": w.name, "write_bytes": w.write_bytes} for w in own]
        lt = r.lifetime
        life = {
            "model": lt.model if lt else "unknown",
            "days": lt.days if lt else None,
            "years": lt.years if lt else None,
            "days_low": r.days_low,
            "days_high": r.days_high,
            "explanation": lt.explanation if lt else r.note,
        }
        if lt is not None:
            life.update(formula=lt.formula, endurance_cycles=lt.endurance_cycles,
                        waf=lt.waf, hot_interval_s=lt.hot_interval_s,
                        free_fraction=lt.free_fraction)
        devices.append({
            "device": r.device,
            "window_s": float(r.window_s),
            "sectors_written": int(r.sectors_written),
            "bytes_written": int(r.bytes_written),
            "write_rate_Bps": float(r.write_rate_Bps),
            "bytes_per_day": float(r.bytes_per_day),
            "lifetime": life,
            "writers": ws,
            "writers_scope": "all devices" if None in writers else "open files",
            "rate_low_Bps": float(r.rate_low_Bps),
            "rate_high_Bps": float(r.rate_high_Bps),
            "capacity_bytes": r.capacity_bytes,
            "segments": r.segments,
            "resets": r.resets,
            "dropped_s": float(r.dropped_s),
            "wraps": r.wraps,
            "by_hour": [{"hour": h.hour, "seconds": h.seconds,
                         "write_rate_Bps": h.write_rate_Bps} for h in r.by_hour],
        })
    return {"devices": devices}
