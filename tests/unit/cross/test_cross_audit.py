"""firmware/cross/audit.py: the instruction audit names what a CPU lacks, by file and offset.

Real objdump on real ELF files: small objects assembled here with binutils' `as --32`, and
Debian's own i386 busybox (built for i686), which must fail the audit for both Soekris CPUs.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from support import need

from firmware.cross import audit
from firmware.cross.__main__ import main


def assemble(tmp_path: Path, name: str, body: str) -> Path:
    need(shutil.which("as") is not None and shutil.which("objdump") is not None,
         "binutils (as, objdump) not installed")
    src = tmp_path / f"{name}.s"
    src.write_text(".text\n.globl f\nf:\n" + body + "\nret\n")
    obj = tmp_path / f"{name}.o"
    subprocess.run(["as", "--32", "-o", str(obj), str(src)], check=True)
    return obj


@pytest.mark.parametrize("insn,isa,flagged", [
    ("cmovne %eax,%ebx", "i586", True),
    ("cmovne %eax,%ebx", "i686", False),
    ("fcmovb %st(1),%st", "i586", True),
    ("fucomip %st(1),%st", "i586", True),
    ("nopl 0x0(%eax)", "i586", True),
    ("nop", "i486", False),
    ("movaps %xmm0,%xmm1", "i586", True),
    ("paddb %mm0,%mm1", "i586", True),
    ("lfence", "i586", True),
    ("endbr32", "i586", True),
    ("popcnt %eax,%ebx", "i586", True),
    ("lzcnt %eax,%ebx", "i486", True),      # REP BSR: a BSR there, with another result
    ("tzcnt %eax,%ebx", "i486", False),     # REP BSF: a BSF there (clang's choice for i486)
    ("cmpxchg8b (%eax)", "i586", False),
    ("cmpxchg8b (%eax)", "i486", True),
    ("lock cmpxchg8b (%esi)", "i486", True),
    ("rdtsc", "i486", True),
    ("rdtsc", "i586", False),
    ("cpuid", "i486", True),
    ("cmpxchg %ecx,(%edx)", "i486", False),
    ("bswap %eax", "i486", False),
    ("rep stos %eax,%es:(%edi)", "i486", False),
])
def test_each_rule(insn, isa, flagged):
    why = audit.check_instruction(insn, audit.rules(isa), isa)
    assert (why is not None) == flagged, why


@pytest.mark.parametrize("insn,flagged", [
    ("cpuid", False), ("rdtsc", False), ("rdmsr", False), ("cmpxchg8b (%eax)", False),
    ("fxsave (%eax)", False), ("sysexit", False),
    ("cmovne %eax,%ebx", True), ("nopl 0x0(%eax)", True), ("movd %xmm0,%eax", True),
])
def test_a_kernel_probes_the_cpu_but_its_compiled_code_must_fit(insn, flagged):
    why = audit.check_instruction(insn, audit.rules("i486", userland=False), "i486")
    assert (why is not None) == flagged, why


def test_kernel_mode_skips_the_alternative_replacements(tmp_path):
    obj = assemble(tmp_path, "alt", "rdtsc\n.section .altinstr_replacement,\"ax\"\n"
                   "cmovne %ecx,%edx\n.text\ncmove %eax,%ebx\n")
    kinds = [(f.section, f.instruction.split()[0]) for f in
             audit.audit_file(str(obj), "i486", userland=False)]
    assert kinds == [(".text", "cmove")]
    assert len(audit.audit_file(str(obj), "i486")) == 3


def test_unknown_isa():
    with pytest.raises(ValueError):
        audit.rules("i386sx")


def test_offsets_point_at_the_instruction(tmp_path):
    obj = assemble(tmp_path, "mixed", "xor %eax,%eax\ncmovne %ecx,%edx\nadd $1,%eax\n"
                   "cmpxchg8b (%esi)\nrdtsc\n")
    found = audit.audit_file(str(obj), "i486")
    assert [f.why.split()[0] for f in found] == ["CMOV", "CMPXCHG8B", "RDTSC"]
    data = obj.read_bytes()
    cmov = found[0]
    assert data[cmov.offset] == 0x0F and 0x40 <= data[cmov.offset + 1] <= 0x4F
    assert data[found[1].offset:found[1].offset + 2] == b"\x0f\xc7"
    assert data[found[2].offset:found[2].offset + 2] == b"\x0f\x31"
    assert all(f.section == ".text" for f in found)
    on_pentium = audit.audit_file(str(obj), "i586")
    assert [f.why.split()[0] for f in on_pentium] == ["CMOV"]


def test_cli_passes_clean_code_and_fails_with_file_and_offset(tmp_path, capsys):
    clean = assemble(tmp_path, "clean", "mov %eax,%ebx\nbswap %eax\nlock xadd %eax,(%ebx)\n")
    bad = assemble(tmp_path, "bad", "cmovge %eax,%ebx\n")
    assert main(["audit", "--isa", "i486", str(clean)]) == 0
    assert "every instruction is on i486" in capsys.readouterr().out
    assert main(["audit", "--isa", "i586", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "2 ELF files" in out and "bad.o: offset 0x" in out and "cmovge" in out
    assert "clean.o" not in out.split("\n", 1)[1]
    assert main(["audit", "--isa", "i486", str(tmp_path / "none")]) == 2


def test_debian_i386_busybox_fails_on_both_soekris_cpus(tmp_path):
    """Debian's i386 userland is built for i686: its busybox-static has CMOV (and SSE in
    glibc's string functions); the audit must say so, for the Pentium and the 486 alike."""
    need(shutil.which("dpkg-deb") is not None, "dpkg-deb not installed")
    from firmware.cross import debian
    from firmware.image.errors import ImageError
    try:
        deb = debian.Archive().download("busybox-static:i386")
    except ImageError as e:
        need(False, f"no busybox-static:i386 from the Debian archive: {e}")
    debian.unpack_deb(deb, tmp_path / "deb")
    busybox = tmp_path / "deb/bin/busybox"
    seen, found = audit.audit([busybox], "i586")
    assert seen == [str(busybox)]
    kinds = {f.why for f in found}
    assert "CMOV (i686)" in kinds, kinds
    first = next(f for f in found if f.why == "CMOV (i686)")
    data = busybox.read_bytes()
    assert data[first.offset] == 0x0F and 0x40 <= data[first.offset + 1] <= 0x4F
    _, on_486 = audit.audit([busybox], "i486")
    assert len(on_486) >= len(found)
