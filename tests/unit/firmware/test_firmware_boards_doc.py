"""firmware/README.md's board table is a reader's copy of firmware/boards.json: every board is
in it once, with the defconfig, CPU symbols and console speed the table gives."""
import re
from pathlib import Path

from firmware.boards import boards

README = Path(__file__).resolve().parents[3] / "firmware" / "README.md"
ROW = re.compile(r"^\| `([a-z0-9]+)` \|(.*)\|\s*$")


def readme_rows() -> dict:
    rows = {}
    for line in README.read_text().splitlines():
        m = ROW.match(line)
        if m:
            assert m.group(1) not in rows, f"{m.group(1)} twice in {README.name}"
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def test_readme_lists_every_board_as_the_table_says():
    rows = readme_rows()
    table = boards()
    assert sorted(rows) == sorted(table)
    for name, b in table.items():
        defconfig, cpu, _nic, _card, console = rows[name]
        assert defconfig == f"`{b.defconfig}`", name
        assert f"`{b.buildroot_cpu}`" in cpu, name
        assert b.kernel_cpu is None or f"`{b.kernel_cpu}`" in cpu, name
        assert console.startswith(f"**{b.console}**"), name
