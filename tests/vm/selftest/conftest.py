"""Deliberately broken guest tests, used only by tests/host/test_rig_failures.py to prove that a
failing, hanging or unbootable guest fails the outer run. Ignored in a normal run."""
import os

if os.environ.get("LVSLITE_RIG_SELFTEST") != "1":
    collect_ignore_glob = ["test_*.py"]
