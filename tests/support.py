"""Shared by every test folder: the one rule for prerequisites.

A missing prerequisite (root, a loop device, a tool) skips with its reason on a developer's
machine, and fails where the run must be complete (LVSLITE_REQUIRE_VM=1 or CI=true).
"""
import os

import pytest


def required() -> bool:
    return os.environ.get("LVSLITE_REQUIRE_VM") == "1" or os.environ.get("CI") == "true"


def need(ok: bool, reason: str) -> None:
    if ok:
        return
    if required():
        pytest.fail(f"prerequisite missing, and required here: {reason}")
    pytest.skip(reason)
