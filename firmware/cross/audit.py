"""Instruction audit: every ELF file of an image against the instruction set of its board.

A Soekris net4801 (Geode GX1) runs the Pentium's instructions, a net4501 (Elan SC520) the
486's; a binary built for i686 (Debian's i386 userland) dies there with an invalid opcode
the first time it reaches a CMOV. This disassembles each ELF file with binutils' objdump and
names every instruction the CPU lacks, by file, file offset, section and mnemonic, so the
build fails before a card is written.

isa i586 (P5 Pentium, no MMX: what `qemu -cpu pentium` offers and the GX1 core a superset
of): no CMOV/FCMOV/FCOMI (i686), no multi-byte NOP (0F 1F, i686) nor ENDBR32 (0F 1E), no
MMX/SSE/AVX (any %mm, %xmm, %ymm register, fences, prefetches), no later scalar additions
(POPCNT, LZCNT, MOVBE, CRC32, BMI; TZCNT is allowed: its encoding is REP BSF, a BSF on
these CPUs, and clang emits it for them only where the two agree), no SYSENTER. isa i486 additionally: no CMPXCHG8B,
RDTSC/RDTSCP, RDMSR/WRMSR, and, in userland (`userland=True`), no CPUID (an Elan has it, an
older 486 does not; and what CPUID would be asked about is missing anyway).

A kernel is audited with userland=False: it probes the CPU itself and runs RDTSC, RDMSR,
CMPXCHG8B, FXSAVE or SYSEXIT only where the CPU has them, and patches fences, prefetches
and POPCNT in from `.altinstr_replacement` only on such CPUs; what its compiler emits
unconditionally is what must fit the board: no CMOV/FCMOV/FCOMI, no long NOPs or ENDBR, no
SSE register (`.altinstr_replacement` is not audited).
Pure apart from running objdump.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

ISAS = ("i486", "i586", "i686")
# (mnemonic pattern, what it is): forbidden below i686
NOT_I586: Tuple[Tuple[str, str], ...] = (
    (r"cmov\w*", "CMOV (i686)"),
    (r"fcmov\w*", "FCMOV (i686)"),
    (r"f(u)?comip?", "FCOMI/FUCOMI (i686)"),
    (r"nop[wlq]", "multi-byte NOP 0F 1F (i686)"),
    (r"endbr(32|64)", "ENDBR (0F 1E: invalid before i686)"),
    (r"sysenter|sysexit", "SYSENTER (i686)"),
    (r"[lsm]fence", "fence (SSE/SSE2)"),
    (r"prefetch\w*", "prefetch (SSE/3DNow!)"),
    (r"clflush\w*|movnti|fxsave\w*|fxrstor\w*|ldmxcsr|stmxcsr|fisttp\w*|emms|femms",
     "SSE/MMX state or cache control"),
    # not TZCNT: it is REP BSF (F3 0F BC), which CPUs without BMI run as BSF; clang emits it
    # for i486 on purpose, only where a zero input is undefined (where both agree)
    (r"popcnt\w*|lzcnt\w*|movbe\w*|crc32\w*|andn|blsi|blsr|blsmsk|bextr|bzhi|"
     r"pdep|pext|rorx|sarx|shlx|shrx", "post-P6 scalar instruction"),
)
NOT_I486: Tuple[Tuple[str, str], ...] = (
    (r"cmpxchg8b", "CMPXCHG8B (i586)"),
    (r"rdtscp?", "RDTSC (i586)"),
    (r"rdmsr|wrmsr", "MSR access (i586)"),
)
USERLAND_I486: Tuple[Tuple[str, str], ...] = ((r"cpuid", "CPUID (not on every 486)"),)
REGISTERS = re.compile(r"%(x|y|z)mm\d+|%mm\d\b")
LINE = re.compile(r"^\s*([0-9a-f]+):\s+(.*)$")
SECTION = re.compile(r"^Disassembly of section (\S+):")


@dataclass(frozen=True)
class Finding:
    path: str
    offset: int             # in the file
    section: str
    address: int
    instruction: str
    why: str

    def __str__(self) -> str:
        return (f"{self.path}: offset 0x{self.offset:x} ({self.section} at 0x{self.address:x}): "
                f"{self.instruction}: {self.why}")


COMPILED = NOT_I586[:5]          # what a compiler emits for i686 on its own (kernel audit)
KERNEL_SKIPPED = (".altinstr_replacement",)


def rules(isa: str, userland: bool = True) -> List[Tuple[re.Pattern, str]]:
    if isa not in ISAS:
        raise ValueError(f"isa {isa!r}: one of {', '.join(ISAS)}")
    out: List[Tuple[str, str]] = []
    if not userland:
        out += COMPILED if isa != "i686" else ()
        return [(re.compile(rf"(?:{p})$"), why) for p, why in out]
    if isa in ("i486", "i586"):
        out += NOT_I586
    if isa == "i486":
        out += NOT_I486
        if userland:
            out += USERLAND_I486
    return [(re.compile(rf"(?:{p})$"), why) for p, why in out]


def check_instruction(text: str, compiled: Sequence[Tuple[re.Pattern, str]],
                      isa: str) -> Optional[str]:
    """Why `text` (objdump's AT&T mnemonic and operands) is not on `isa`, or None."""
    words = text.split(None, 1)
    if not words:
        return None
    mnem = words[0]
    if mnem in ("lock", "rep", "repz", "repnz", "repe", "repne", "data16", "addr16",
                "cs", "ds", "es", "ss", "fs", "gs", "notrack", "bnd") and len(words) > 1:
        return check_instruction(words[1], compiled, isa)
    for rx, why in compiled:
        if rx.match(mnem):
            return why
    if isa != "i686" and len(words) > 1 and REGISTERS.search(words[1]):
        return "MMX/SSE/AVX register"
    return None


def is_elf(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def sections(path: str, objdump: str = "objdump") -> Dict[str, Tuple[int, int]]:
    """{section: (address, file offset)} of the file (objdump -h)."""
    out = subprocess.run([objdump, "-h", "-w", path], capture_output=True, text=True).stdout
    res = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 6 and f[0].isdigit():
            res[f[1]] = (int(f[3], 16), int(f[5], 16))
    return res


def disassemble(path: str, objdump: str = "objdump") -> Iterator[Tuple[str, int, str]]:
    """(section, address, instruction text) of every instruction in the file."""
    proc = subprocess.Popen([objdump, "-d", "-w", "--no-show-raw-insn", path],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    section = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        m = SECTION.match(line)
        if m:
            section = m.group(1).rstrip(":")
            continue
        m = LINE.match(line)
        if m and not m.group(2).startswith("(bad)"):
            yield section, int(m.group(1), 16), m.group(2)
    err = proc.stderr.read() if proc.stderr else ""
    if proc.wait() != 0:
        raise RuntimeError(f"objdump -d {path} exited {proc.returncode}: {err.strip()}")


def audit_file(path: str, isa: str, userland: bool = True, shown: str = "",
               objdump: str = "objdump") -> List[Finding]:
    compiled = rules(isa, userland)
    secs: Optional[Dict[str, Tuple[int, int]]] = None
    found = []
    for section, addr, text in disassemble(path, objdump):
        if not userland and section in KERNEL_SKIPPED:
            continue
        why = check_instruction(text, compiled, isa)
        if why is None:
            continue
        if secs is None:
            secs = sections(path, objdump)
        vma, off = secs.get(section, (addr, 0))
        found.append(Finding(shown or path, addr - vma + off, section, addr,
                             " ".join(text.split()), why))
    return found


def elf_files(paths: Iterable[Path]) -> Iterator[Tuple[Path, str]]:
    """(file, name to show) for every ELF file under the paths (symlinks not followed)."""
    for top in paths:
        if top.is_file() and not top.is_symlink():
            if is_elf(str(top)):
                yield top, str(top)
            continue
        for dirpath, dirnames, files in os.walk(top):
            dirnames.sort()
            for f in sorted(files):
                full = os.path.join(dirpath, f)
                if not os.path.islink(full) and is_elf(full):
                    yield Path(full), "/" + os.path.relpath(full, top)


def audit(paths: Iterable[Path], isa: str, userland: bool = True
          ) -> Tuple[List[str], List[Finding]]:
    """(the ELF files audited, what was found in them)."""
    seen, found = [], []
    for path, shown in elf_files(paths):
        seen.append(shown)
        found += audit_file(str(path), isa, userland, shown)
    return seen, found


def report(seen: Sequence[str], found: Sequence[Finding], isa: str, limit: int = 20) -> str:
    if not found:
        return f"audit: {len(seen)} ELF files, every instruction is on {isa}"
    by_file: Dict[str, List[Finding]] = {}
    for f in found:
        by_file.setdefault(f.path, []).append(f)
    lines = [f"audit: {len(found)} instructions not on {isa} in {len(by_file)} of "
             f"{len(seen)} ELF files"]
    for path, fs in by_file.items():
        kinds = sorted({f.why for f in fs})
        lines.append(f"{path}: {len(fs)} ({'; '.join(kinds)})")
        lines += [f"  {f}" for f in fs[:limit]]
        if len(fs) > limit:
            lines.append(f"  ... {len(fs) - limit} more")
    return "\n".join(lines)
