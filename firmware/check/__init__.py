"""Checks that every option a board asks for really took effect (docs/reference/firmware.md#fragments-are-merged-unchecked).

Buildroot and the kernel both drop a requested option without a word when its dependencies
are unmet, and ignore a misspelt one. These modules find those lines and say why:
`dotconfig` reads fragments and .config files, `expr` evaluates Kconfig conditions,
`explain` turns a dropped option into a reason and a fix, `kernel` runs the kernel's own
kconfig in a scratch folder, `buildroot` loads Buildroot's Config.in with kconfiglib, and
`cli` is `python -m firmware check`. Nothing here builds anything or touches a source tree.
"""
from __future__ import annotations


class CheckError(Exception):
    """A check could not run (missing tree, unreadable file): the message says what to do."""
