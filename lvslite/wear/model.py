"""Flash lifetime model: how long a card lasts at a given host write rate.

Pure functions, standard library only; bench/ imports this module, so it must not import
anything else from lvslite and must not touch the system. Formulas and figures come from
docs/reference/models.md#flash-endurance-and-lifetime and are checked against its worked
examples (#worked-examples) in tests/unit/wear/test_wear_model.py.

Three wear-leveling classes (docs/reference/models.md#lifetime-formulas, after B&R's three algorithms, #endurance-figures):

  none     the hottest logical block is erased in place every time it is rewritten, so the
           card dies when that block has seen E erases:   life = E x T_hot
  dynamic  only free blocks rotate:   life = E x f_free x C / (W x WAF)
  static   every block rotates:       life = E x C / (W x WAF)  (= TBW / W)

Heat shortens flash life; the model derates E by the Arrhenius acceleration factor with
Ea = 1.1 eV from 30 C (JESD218's client retention figures follow it, docs/reference/models.md#jedec-classes-and-heat).
"""
from __future__ import annotations

import math
from collections import namedtuple     # loaded anyway (re -> functools); not dataclasses

TYPE_CHECKING = False
if TYPE_CHECKING:  # annotation names only: importing typing costs time and RSS
    from typing import Optional, Tuple

SECONDS_PER_DAY = 86400.0
# Vendor calculators and the SanDisk manual count 365-day years (docs/reference/models.md#endurance-figures, #lifetime-calculators).
DAYS_PER_YEAR = 365.0

# Kernel writeback: dirty data and metadata are written back once they are older than
# dirty_expire_centisecs = 30*100 (mm/page-writeback.c; docs/reference/models.md#what-linux-writes-cost), so a block that is
# dirtied continuously reaches the card about every 30 s unless someone fsyncs it sooner.
WRITEBACK_EXPIRE_S = 30.0

# Arrhenius derating (docs/reference/models.md#jedec-classes-and-heat, [DERIVED] from JESD218's retention figures).
ARRHENIUS_EA_EV = 1.1
BOLTZMANN_EV_PER_K = 8.617e-5
ARRHENIUS_REF_C = 30.0          # JESD218 client class: 1 year retention at 30 C

# Dynamic wear leveling rotates only free blocks. B&R's example: "If the data carrier is 80%
# full with files, then only 20% can be used for wear leveling" (docs/reference/models.md#endurance-figures).
DEFAULT_FREE_FRACTION = 0.2

LEVELING = ("none", "dynamic", "static")
_LEVELING_WORDS = {
    "none": "without wear leveling",
    "dynamic": "with dynamic wear leveling",
    "static": "with static wear leveling",
}
_FORMULAS = {
    "none": "E x T_hot",
    "dynamic": "E x f_free x C / (W x WAF)",
    "static": "E x C / (W x WAF)",
}


# The card options' bounds (lvslite wear report/watch and python -m bench flash read them from
# here): what each figure can physically be, up to sanity bounds far past any card sold.
OPTION_BOUNDS = {
    "--endurance": (1, 1e8),            # cycles: TLC ~1,000, industrial SLC 3,000,000
    "--capacity": (1, 2 ** 50),         # bytes: 1 PiB
    "--waf": (1, 100),
    "--hot-interval": (1, 31_557_600),  # seconds: up to a year between rewrites
    "--free-fraction": (1e-3, 1),
    "--temp": (-60, 150),               # C, as temperature_factor() checks
}


class WearModelError(ValueError):
    """An input the lifetime model cannot use; the message names it and says what is expected."""


class CardProfile(namedtuple("CardProfile",
                             "name endurance_cycles wear_leveling description source")):
    """A class of card with its rated endurance and wear-leveling algorithm, and where they come from."""
    __slots__ = ()


# Card classes (docs/reference/models.md#endurance-figures). `--card NAME` picks one; explicit options override its figures.
CARD_PROFILES = {
    p.name: p
    for p in (
        CardProfile(
            "cf-basic", 100_000, "none",
            "2004-era consumer CF without wear leveling (the seed's cards)",
            "~100,000 erase cycles, same-block rewrite once a second fails in a little over a "
            "day: personaltelco wiki 'CompactFlash'; retail CF 'as low as 100 000 write "
            "cycles': Dataweek 2005 (docs/reference/models.md#endurance-figures)"),
        CardProfile(
            "sandisk-cf", 300_000, "none",
            "SanDisk CF (1998/99 manual), per-sector endurance, no credit for leveling",
            "'endurance specification for each sector of 300,000 writes', with the manual's own "
            "example treating one area rewritten in place: SanDisk CompactFlash Product Manual "
            "(docs/reference/models.md#endurance-figures)"),
        CardProfile(
            "slc", 100_000, "dynamic",
            "SLC NAND card with dynamic wear leveling",
            "SLC 100,000 P/E cycles: Campbell Scientific NL115/CFM100 manual Table B-2; dynamic "
            "leveling uses only free blocks: B&R Automation PC manual (docs/reference/models.md#endurance-figures)"),
        CardProfile(
            "mlc", 10_000, "dynamic",
            "MLC NAND card (50-70 nm era) with dynamic wear leveling",
            "MLC 10,000 P/E cycles: Campbell Scientific Table B-2; 'SLC ... 10 times longer than "
            "MLC': B&R Automation PC manual (docs/reference/models.md#endurance-figures)"),
        CardProfile(
            "mlc-modern", 3_000, "dynamic",
            "2x-nm MLC card with dynamic wear leveling",
            "'500 to 3,000 write/erase cycles per block' (CompactFlash article citing a Samsung "
            "app note, secondary source; docs/reference/models.md#endurance-figures)"),
        CardProfile(
            "tlc", 1_000, "static",
            "TLC SD/mSATA (APU-class boxes) with static wear leveling",
            "TLC ~1k-3k planning value, lower end (docs/reference/models.md#endurance-figures, secondary); static leveling: "
            "B&R Automation PC manual"),
        CardProfile(
            "industrial", 3_000_000, "static",
            "industrial SLC CF with static wear leveling",
            "industrial CF 'up to 3 million' write cycles: Dataweek 2005; static leveling moves "
            "static data too: B&R Automation PC manual (docs/reference/models.md#endurance-figures)"),
    )
}
DEFAULT_CARD = "cf-basic"


class Lifetime(namedtuple("Lifetime", (
        "model",                # "none" | "dynamic" | "static"
        "days", "years", "explanation", "formula",
        "endurance_cycles",     # after thermal derating
        "accel",                # Arrhenius acceleration factor applied to E
        "hot_interval_s", "free_fraction", "waf", "rate_Bps", "capacity_bytes"),
        defaults=("", 0.0, 1.0, None, None, 1.0, 0.0, 0))):
    """A predicted card life. days is None when nothing is written: not limited by wear."""
    __slots__ = ()


def _finite(name: str, value, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WearModelError(f"{name}: {value!r} is not a number ({expected})")
    value = float(value)
    if not math.isfinite(value):
        raise WearModelError(f"{name}: {value!r} is not finite ({expected})")
    return value


def arrhenius_factor(temp_c: float, ref_c: float = ARRHENIUS_REF_C,
                     ea_ev: float = ARRHENIUS_EA_EV) -> float:
    """How much faster flash ages at temp_c than at ref_c (docs/reference/models.md#jedec-classes-and-heat; >1 when hotter)."""
    t = _finite("temperature", temp_c, "degrees Celsius, -60..150")
    if not -60.0 <= t <= 150.0:
        raise WearModelError(f"temperature: {t:g} C is out of range (degrees Celsius, -60..150)")
    return math.exp(ea_ev / BOLTZMANN_EV_PER_K * (1.0 / (ref_c + 273.15) - 1.0 / (t + 273.15)))


def estimate_hot_interval(busy_gap_s: Optional[float] = None) -> Tuple[float, str]:
    """T_hot for a card without wear leveling when the user does not know it.

    Why this guess: the hottest block is metadata (an inode, a bitmap, a log file's last
    block, docs/reference/models.md#what-linux-writes-cost) dirtied by every burst of writes; the kernel writes it back no
    sooner than 30 s after it was dirtied unless a process fsyncs it. So the block is taken
    to be rewritten once per burst of writes seen in the samples (busy_gap_s: the mean time
    between sample intervals that saw writes), but not more often than every 30 s.
    """
    if busy_gap_s is None:
        return WRITEBACK_EXPIRE_S, (
            f"T_hot = {WRITEBACK_EXPIRE_S:g} s assumed: kernel writeback of dirty metadata "
            "(dirty_expire_centisecs); a syslogd that syncs each line rewrites faster: "
            "pass --hot-interval")
    gap = _finite("busy gap", busy_gap_s, "seconds > 0")
    if gap <= 0:
        raise WearModelError(f"busy gap: {gap:g} s is not positive (seconds > 0)")
    t_hot = max(WRITEBACK_EXPIRE_S, gap)
    return t_hot, (
        f"T_hot = {fmt_seconds(t_hot)} s estimated: writes came every ~{fmt_seconds(gap)} s, "
        "and writeback "
        f"rewrites a block at most every {WRITEBACK_EXPIRE_S:g} s; a syslogd that syncs each "
        "line rewrites faster: pass --hot-interval")


def fmt_seconds(s: float) -> str:
    """'19.9', '60', '3600': seconds for explanations, without exponent notation."""
    return f"{s:.0f}" if s >= 100 else f"{s:.3g}"


def _days(seconds: float) -> Tuple[float, float]:
    days = seconds / SECONDS_PER_DAY
    return days, days / DAYS_PER_YEAR


def lifetime(rate_Bps: float, *, capacity_bytes: int, endurance_cycles: float,
             wear_leveling: str = "dynamic", waf: float = 1.0,
             hot_interval_s: float | None = None, temp_c: float | None = None,
             free_fraction: float | None = None, busy_gap_s: float | None = None) -> Lifetime:
    """Predicted life of a card written at rate_Bps (host bytes per second).

    free_fraction (dynamic leveling only) is the share of the card that is never written
    and so rotates; default 0.2 after B&R's example. hot_interval_s (no leveling only),
    when not given, is estimate_hot_interval(busy_gap_s): the samples' mean gap between
    writes, or the 30 s writeback guess without one.
    """
    rate = _finite("write rate", rate_Bps, "bytes per second >= 0")
    if rate < 0:
        raise WearModelError(f"write rate: {rate:g} B/s is negative (bytes per second >= 0)")
    if isinstance(capacity_bytes, bool) or not isinstance(capacity_bytes, int):
        raise WearModelError(f"capacity: {capacity_bytes!r} is not an integer (bytes > 0)")
    if capacity_bytes <= 0:
        raise WearModelError(f"capacity: {capacity_bytes} bytes is not positive (bytes > 0; "
                             "read it from /sys/block/DEV/size x 512 or pass --capacity)")
    endurance = _finite("endurance", endurance_cycles, "rated program/erase cycles > 0")
    if endurance <= 0:
        raise WearModelError(f"endurance: {endurance:g} cycles is not positive "
                             "(rated program/erase cycles > 0, e.g. 100000 for SLC)")
    if wear_leveling not in LEVELING:
        raise WearModelError(f"wear leveling: {wear_leveling!r} is unknown "
                             f"(one of {', '.join(LEVELING)})")
    waf_ = _finite("write amplification", waf, "WAF >= 1")
    if waf_ < 1.0:
        raise WearModelError(f"write amplification: {waf_:g} is below 1 (WAF >= 1: NAND bytes "
                             "per host byte; 2-4 for small FAT/ext3 writes)")
    accel = 1.0
    if temp_c is not None:
        # No credit for a cool box: the rated figures already assume room temperature.
        accel = max(1.0, arrhenius_factor(temp_c))
    e_eff = endurance / accel
    heat = (f"; E derated x1/{accel:.3g} for {temp_c:g} C (Arrhenius 1.1 eV from "
            f"{ARRHENIUS_REF_C:g} C)") if accel > 1.0 else ""
    common = dict(formula=_FORMULAS[wear_leveling], endurance_cycles=e_eff, accel=accel,
                  waf=waf_, rate_Bps=rate, capacity_bytes=capacity_bytes)

    if wear_leveling == "none":
        if hot_interval_s is None:
            t_hot, how = estimate_hot_interval(busy_gap_s)
        else:
            t_hot = _finite("hot interval", hot_interval_s, "seconds between rewrites > 0")
            if t_hot <= 0:
                raise WearModelError(f"hot interval: {t_hot:g} s is not positive "
                                     "(seconds between rewrites of the hottest block > 0)")
            how = f"T_hot = {t_hot:g} s given"
        if rate == 0:
            return Lifetime("none", None, None, "no writes: not limited by wear",
                            hot_interval_s=t_hot, **common)
        days, years = _days(e_eff * t_hot)
        return Lifetime("none", days, years,
                        f"no wear leveling: the hottest block dies after E = {e_eff:,.0f} "
                        f"rewrites, one every T_hot; {how}{heat}",
                        hot_interval_s=t_hot, **common)

    if wear_leveling == "dynamic":
        f = DEFAULT_FREE_FRACTION if free_fraction is None else _finite(
            "free fraction", free_fraction, "0 < fraction <= 1")
        if not 0.0 < f <= 1.0:
            raise WearModelError(f"free fraction: {f:g} is out of range (0 < fraction <= 1: "
                                 "the share of the card never written)")
        pool = f * capacity_bytes
        what = (f"dynamic wear leveling: only the free {f:.0%} of the card rotates"
                + (" (B&R's 80%-full example)" if free_fraction is None else ""))
    else:
        f = None
        pool = float(capacity_bytes)
        what = "static wear leveling: every block rotates"
    if rate == 0:
        return Lifetime(wear_leveling, None, None, "no writes: not limited by wear",
                        free_fraction=f, **common)
    days, years = _days(e_eff * pool / (rate * waf_))
    return Lifetime(wear_leveling, days, years,
                    f"{what}; E = {e_eff:,.0f}, WAF = {waf_:g}{heat}",
                    free_fraction=f, **common)


def leveling_words(wear_leveling: str) -> str:
    """'without wear leveling' etc., for the one-line verdict."""
    return _LEVELING_WORDS.get(wear_leveling, wear_leveling)
