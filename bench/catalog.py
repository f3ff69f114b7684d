"""The box catalog: reads bench/boxes.json (and a user's --boxes FILE) into frozen values.

Validation is complete and strict (an unknown key is an error, as in the agent's config), so a
typo in a user's box file is reported with its JSON path instead of silently sizing the wrong
box. This module only reads and checks; the models never open files.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Optional, Tuple

from bench.errors import BenchError

CATALOG_PATH = Path(__file__).resolve().parent / "boxes.json"
ARCHES = ("i386", "x86_64")
ERAS = ("modern", "2.6", "2.4", "kconfig", "thread")


@dataclass(frozen=True)
class Nic:
    chip: str
    driver: str
    napi: bool
    mbps: float
    irq: str
    rx_queues: int = 1


@dataclass(frozen=True)
class Cpu:
    model: str
    mhz: float
    cores: int
    arch: str
    l1: str
    l2: str
    cache_line: int
    cycle_ratio: float   # per-packet cycles relative to the calibration core (GX1 = 1.0)


@dataclass(frozen=True)
class Box:
    name: str
    title: str
    cpu: Cpu
    ram_mb: float
    nics: Tuple[Nic, ...]
    storage: str
    console: str
    power_w: Optional[float]
    kernel: str
    sources: Mapping[str, str] = field(default_factory=dict)
    unverified: Tuple[str, ...] = ()

    @property
    def front(self) -> Nic:
        """The NIC clients reach the VIP through; the first one listed."""
        return self.nics[0]

    @property
    def shared_handlers(self) -> int:
        """Handlers the kernel runs on every interrupt of the front NIC's line."""
        return sum(1 for nic in self.nics if nic.irq == self.front.irq)

    @property
    def usable_cores(self) -> int:
        """Cores that see receive work: one per RX queue (RSS), at most the core count."""
        return max(1, min(self.cpu.cores, self.front.rx_queues))


@dataclass(frozen=True)
class KernelEra:
    key: str
    bucket_bytes: int
    word_bits: int
    source: str
    struct_bytes: Optional[int] = None      # sizeof(struct ip_vs_conn), slab-rounded later
    allocator: Optional[str] = None         # "slub" or "slab24"
    per_entry_bytes: Optional[float] = None  # a flat figure (Kconfig's 128, the thread's 256)


@dataclass(frozen=True)
class Calibration:
    reference_mhz: float
    napi_route_pps: float
    irq_ipvs_new_pps: float
    entry_us: float
    check_us: float
    rx_us: float
    napi_budget: int
    sources: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class BaseSystem:
    kernel_fixed_mib: float
    struct_page_bytes: Mapping[int, int]
    userland_mib: float
    agent_mib: float
    tmpfs_mib: float
    amemthresh_pages: int
    page_bytes: int
    sources: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    boxes: Mapping[str, Box]
    kernels: Mapping[str, KernelEra]
    calibration: Calibration
    base: BaseSystem

    def box(self, name: str) -> Box:
        try:
            return self.boxes[name]
        except KeyError:
            raise BenchError(f"box {name!r}", "not in the catalog",
                             "one of: " + " ".join(self.boxes)) from None

    def era(self, box: Box, era: Optional[str] = None) -> KernelEra:
        """The connection-entry figures for a box's kernel (or the era asked for)."""
        era = era or box.kernel
        return self.kernel(era, box.cpu.arch, f"kernel {era!r} on {box.name}")

    def kernel(self, era: str, arch: str, where: str) -> KernelEra:
        """The entry figures of an era on an arch (the flat eras have no arch)."""
        key = era if era in ("kconfig", "thread") else f"{era}-{arch}"
        try:
            return self.kernels[key]
        except KeyError:
            raise BenchError(where, f"no entry figures for {key}",
                             "one of: " + " ".join(sorted(self.kernels))) from None


# --------------------------------------------------------------------------- validation

def _obj(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise BenchError(where, f"is {type(value).__name__}", "a JSON object")
    return value


def _keys(obj: dict, where: str, required: tuple, optional: tuple = ()) -> None:
    for key in required:
        if key not in obj:
            raise BenchError(f"{where}.{key}", "missing", "required; see bench/boxes.json")
    for key in obj:
        if key not in required and key not in optional:
            raise BenchError(f"{where}.{key}", "unknown key",
                             "one of: " + " ".join(required + optional))


def _num(obj: dict, key: str, where: str, *, minimum: float = 0.0, positive: bool = True,
         integer: bool = False, none: bool = False):
    value = obj.get(key)
    path = f"{where}.{key}"
    if value is None and none:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise BenchError(path, f"is {value!r}", "a number")
    if not -1e15 <= value <= 1e15:          # no figure of a box comes near (RAM in MiB, MHz)
        raise BenchError(path, f"is {value!r}", "a number of at most 1e15")
    if integer and int(value) != value:
        raise BenchError(path, f"is {value!r}", "a whole number")
    if value < minimum or (positive and value <= 0):
        raise BenchError(path, f"is {value!r}", "a number > 0" if positive else f">= {minimum}")
    return int(value) if integer else float(value)


def check_cache_line(line: int, where: str) -> int:
    if line & (line - 1):
        raise BenchError(where, f"is {line}", "a power of two, e.g. 16, 32, 64")
    return line


def _str(obj: dict, key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BenchError(f"{where}.{key}", f"is {value!r}", "a non-empty string")
    return value


def _sources(obj: dict, where: str) -> Mapping[str, str]:
    value = obj.get("sources", {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise BenchError(f"{where}.sources", "malformed", "an object of field -> source text")
    return dict(value)


def _unverified(obj: dict, where: str) -> Tuple[str, ...]:
    value = obj.get("unverified", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BenchError(f"{where}.unverified", "malformed", "a list of field names")
    return tuple(value)


def parse_nic(obj: Any, where: str) -> Nic:
    obj = _obj(obj, where)
    _keys(obj, where, ("chip", "driver", "napi", "mbps", "irq"), ("rx_queues",))
    if not isinstance(obj["napi"], bool):
        raise BenchError(f"{where}.napi", f"is {obj['napi']!r}", "true or false")
    irq = obj["irq"]
    if not isinstance(irq, (str, int)) or isinstance(irq, bool):
        raise BenchError(f"{where}.irq", f"is {irq!r}", "a line label; NICs with the same one share it")
    rxq = _num(obj, "rx_queues", where, integer=True) if "rx_queues" in obj else 1
    return Nic(chip=_str(obj, "chip", where), driver=_str(obj, "driver", where),
               napi=obj["napi"], mbps=_num(obj, "mbps", where), irq=str(irq), rx_queues=rxq)


def parse_cpu(obj: Any, where: str) -> Cpu:
    obj = _obj(obj, where)
    _keys(obj, where, ("model", "mhz", "cores", "arch", "cache_line", "cycle_ratio"),
          ("l1", "l2"))
    arch = obj["arch"]
    if arch not in ARCHES:
        raise BenchError(f"{where}.arch", f"is {arch!r}", "i386 or x86_64")
    line = check_cache_line(_num(obj, "cache_line", where, integer=True), f"{where}.cache_line")
    return Cpu(model=_str(obj, "model", where), mhz=_num(obj, "mhz", where),
               cores=_num(obj, "cores", where, integer=True), arch=arch,
               l1=str(obj.get("l1", "")), l2=str(obj.get("l2", "")), cache_line=line,
               cycle_ratio=_num(obj, "cycle_ratio", where))


def parse_box(obj: Any, where: str) -> Box:
    obj = _obj(obj, where)
    _keys(obj, where, ("name", "cpu", "ram_mb", "nics"),
          ("title", "storage", "console", "power_w", "kernel", "sources", "unverified"))
    name = _str(obj, "name", where)
    if any(c.isspace() for c in name):
        raise BenchError(f"{where}.name", f"is {name!r}", "a name without spaces")
    nics = obj["nics"]
    if not isinstance(nics, list) or not nics:
        raise BenchError(f"{where}.nics", f"is {nics!r}", "a non-empty list of NICs")
    kernel = obj.get("kernel", "modern")
    if kernel not in ERAS:
        raise BenchError(f"{where}.kernel", f"is {kernel!r}", "one of: " + " ".join(ERAS))
    return Box(name=name, title=str(obj.get("title", name)),
               cpu=parse_cpu(obj["cpu"], f"{where}.cpu"),
               ram_mb=_num(obj, "ram_mb", where),
               nics=tuple(parse_nic(n, f"{where}.nics[{i}]") for i, n in enumerate(nics)),
               storage=str(obj.get("storage", "")), console=str(obj.get("console", "")),
               power_w=_num(obj, "power_w", where, none=True), kernel=kernel,
               sources=_sources(obj, where), unverified=_unverified(obj, where))


def _parse_kernels(obj: Any, where: str) -> Mapping[str, KernelEra]:
    out = {}
    for key, k in _obj(obj, where).items():
        w = f"{where}.{key}"
        k = _obj(k, w)
        _keys(k, w, ("bucket_bytes", "word_bits", "source"),
              ("struct_bytes", "allocator", "per_entry_bytes"))
        flat = "per_entry_bytes" in k
        if flat == ("struct_bytes" in k):
            raise BenchError(w, "needs exactly one of struct_bytes or per_entry_bytes")
        if not flat and k.get("allocator") not in ("slub", "slab24"):
            raise BenchError(f"{w}.allocator", f"is {k.get('allocator')!r}", "slub or slab24")
        out[key] = KernelEra(
            key=key, bucket_bytes=_num(k, "bucket_bytes", w, integer=True),
            word_bits=_num(k, "word_bits", w, integer=True), source=_str(k, "source", w),
            struct_bytes=None if flat else _num(k, "struct_bytes", w, integer=True),
            allocator=k.get("allocator"),
            per_entry_bytes=_num(k, "per_entry_bytes", w) if flat else None)
    return out


MAX_CATALOG_BYTES = 1024 * 1024   # bench/boxes.json is about 18 kB


def _read_json(path: Path) -> Any:
    from lvslite.files import TooBig, read_bytes
    try:
        data = read_bytes(str(path), MAX_CATALOG_BYTES)
    except TooBig as exc:
        raise BenchError(str(path), f"is {exc.size or 'over ' + str(exc.limit)} bytes",
                         f"a box catalog of at most {MAX_CATALOG_BYTES} bytes") from None
    except OSError as exc:
        raise BenchError(str(path), f"cannot read it: {exc.strerror or exc}",
                         "a readable JSON file") from None
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except ValueError as exc:
        raise BenchError(str(path), f"not valid JSON: {exc}", "a box catalog in JSON") from None


def _no_constant(word: str):
    """json.loads takes NaN and Infinity, which are not JSON (RFC 8259): refuse them."""
    raise ValueError(f"{word} is not a JSON number")


def load_catalog(extra: Tuple[str, ...] = (), path: Path = CATALOG_PATH) -> Catalog:
    """The built-in catalog plus the user's box files (a user box may replace a built-in one)."""
    doc = _obj(_read_json(path), str(path))
    where = str(path)
    _keys(doc, where, ("calibration", "kernels", "base_system", "boxes"), ("about",))
    cal = _obj(doc["calibration"], f"{where}.calibration")
    cw = f"{where}.calibration"
    calibration = Calibration(
        reference_mhz=_num(cal, "reference_mhz", cw),
        napi_route_pps=_num(cal, "napi_route_pps", cw),
        irq_ipvs_new_pps=_num(cal, "irq_ipvs_new_pps", cw),
        entry_us=_num(cal, "entry_us", cw, positive=False),
        check_us=_num(cal, "check_us", cw, positive=False),
        rx_us=_num(cal, "rx_us", cw, positive=False),
        napi_budget=_num(cal, "napi_budget", cw, integer=True), sources=_sources(cal, cw))
    b = _obj(doc["base_system"], f"{where}.base_system")
    bw = f"{where}.base_system"
    base = BaseSystem(
        kernel_fixed_mib=_num(b, "kernel_fixed_mib", bw),
        struct_page_bytes={int(k): int(v) for k, v in _obj(b["struct_page_bytes"], bw).items()},
        userland_mib=_num(b, "userland_mib", bw, positive=False),
        agent_mib=_num(b, "agent_mib", bw, positive=False),
        tmpfs_mib=_num(b, "tmpfs_mib", bw, positive=False),
        amemthresh_pages=_num(b, "amemthresh_pages", bw, integer=True, positive=False),
        page_bytes=_num(b, "page_bytes", bw, integer=True), sources=_sources(b, bw))
    boxes = {}
    sources = [(where, doc["boxes"])]
    for extra_path in extra:
        user = _read_json(Path(extra_path))
        if isinstance(user, dict):
            _keys(user, extra_path, ("boxes",), ("about",))
            user = user["boxes"]
        sources.append((extra_path, user))
    for src, items in sources:
        if not isinstance(items, list):
            raise BenchError(f"{src}: boxes", f"is {type(items).__name__}", "a list of boxes")
        for i, item in enumerate(items):
            box = parse_box(item, f"{src}: boxes[{i}]")
            boxes[box.name] = box
    return Catalog(boxes=boxes, kernels=_parse_kernels(doc["kernels"], f"{where}.kernels"),
                   calibration=calibration, base=base)
