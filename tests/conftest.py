"""Runs the tests under tests/vm/ inside one emulator guest per session.

On the host, every test under tests/vm/ is marked `vm` and is not run here: the first time one
comes up, the rig boots the guest once, runs pytest inside it on exactly those tests, and each
outer test then reports what its inner twin did (same node id, outcome, failure text, output).
The guest's console streams to the outer run as `guest| ...` lines.

Required vs optional: with LVSLITE_REQUIRE_VM=1 (or CI=true) a missing prerequisite, a guest
that does not boot, hangs or reports nothing, and a run where no guest test ran at all are all
failures. Elsewhere a missing prerequisite skips the vm tests with the reason.
"""
from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
VM_DIR = HERE / "vm"
IN_GUEST = os.environ.get("LVSLITE_IN_GUEST") == "1"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1bc")


from support import required as vm_required  # noqa: E402


def _is_vm(item) -> bool:
    return VM_DIR in Path(str(item.fspath)).resolve().parents


def pytest_collection_modifyitems(session, config, items):
    vm = [i for i in items if _is_vm(i)]
    for item in vm:
        item.add_marker(pytest.mark.vm)
    # Unit tests first, guest tests last: fast feedback before the boot.
    items[:] = [i for i in items if not _is_vm(i)] + vm
    config._lvslite_vm_items = vm


# --------------------------------------------------------------------------- inside the guest

def pytest_runtest_logreport(report):
    path = os.environ.get("LVSLITE_REPORT")
    if not (IN_GUEST and path):
        return
    longrepr = None
    if report.longrepr is not None:
        if report.skipped and isinstance(report.longrepr, tuple):
            longrepr = report.longrepr[2]
        else:
            longrepr = str(report.longrepr)
    with open(path, "a") as fh:
        fh.write(json.dumps({
            "nodeid": report.nodeid, "when": report.when, "outcome": report.outcome,
            "longrepr": longrepr, "duration": report.duration,
            "sections": [list(s) for s in report.sections],
        }) + "\n")


# --------------------------------------------------------------------------- on the host

class GuestSession:
    """One boot for the whole session; its results, looked up per test."""

    def __init__(self, config):
        self.config = config
        self.results: dict[str, list[dict]] = {}
        self.failure: str | None = None     # why no results can be trusted
        self.skip: str | None = None        # why the vm tests are skipped (not required)
        self.boot = None
        self.ran = False

    def run(self, items) -> None:
        self.ran = True
        sys.path.insert(0, str(VM_DIR))
        import rig  # noqa: E402  (tests/vm/rig.py; host only)

        try:
            rig.check_ready()
        except rig.RigError as exc:
            if vm_required():
                self.failure = f"emulator prerequisite missing (required here): {exc}"
            else:
                self.skip = f"emulator not available: {exc}"
            return
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        capman = self.config.pluginmanager.get_plugin("capturemanager")

        def echo(line: str) -> None:
            line = ANSI.sub("", line).rstrip()
            if line and tr is not None:
                with capman.global_and_fixture_disabled():
                    tr.write_line(f"guest| {line}")

        outdir = Path(os.environ.get("LVSLITE_VM_OUT", rig.CACHE / "run"))
        report = outdir / "report.jsonl"
        ids = " ".join(_shell_quote(i.nodeid) for i in items)
        inner = (f"{_shell_quote(sys.executable)} -m pytest -p no:cacheprovider -q "
                 f"-o addopts= -rfEs --rootdir . {ids}")
        timeout = float(os.environ.get("LVSLITE_VM_TIMEOUT", rig.DEFAULT_TIMEOUT))
        if tr is not None:
            with capman.global_and_fixture_disabled():
                tr.write_line("")
                tr.write_line(f"booting the emulator guest for {len(items)} tests "
                              f"(timeout {timeout:.0f}s)")
        # the guest sees the host's LVSLITE_* settings (not the ones that describe the host)
        env = {k: v for k, v in os.environ.items() if k.startswith("LVSLITE_")
               and k not in ("LVSLITE_IN_GUEST", "LVSLITE_VM_OUT", "LVSLITE_VM_CACHE")}
        env["LVSLITE_REPORT"] = str(report)
        self.boot = rig.boot(inner, timeout=timeout, echo=echo, outdir=outdir, env=env)
        b = self.boot
        if b.timed_out:
            self.failure = (f"guest hung: killed after {b.seconds:.0f}s; console log "
                            f"({b.outdir / 'console.log'}), last lines:\n{b.tail()}")
        elif b.rc is None:
            self.failure = f"guest did not finish its command; console log:\n{b.tail()}"
        if report.exists():
            for line in report.read_text().splitlines():
                rec = json.loads(line)
                self.results.setdefault(rec["nodeid"], []).append(rec)
        if not self.results and self.failure is None:
            self.failure = (f"guest ran but reported no test results (inner pytest exit "
                            f"{b.rc}); console log:\n{b.tail()}")


def _shell_quote(s: str) -> str:
    import shlex
    return shlex.quote(s)


def _report(item, when, outcome, longrepr=None, duration=0.0, sections=()):
    from _pytest.reports import TestReport
    if outcome == "skipped" and not isinstance(longrepr, tuple):
        path, lineno, _ = item.location
        longrepr = (str(path), (lineno or 0) + 1, f"{longrepr}")
    rep = TestReport(item.nodeid, item.location, {k: 1 for k in item.keywords}, outcome,
                     longrepr, when, list(map(tuple, sections)), duration)
    item.ihook.pytest_runtest_logreport(report=rep)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    if IN_GUEST or not _is_vm(item):
        return None
    config = item.config
    guest = getattr(config, "_lvslite_guest", None)
    if guest is None:
        guest = config._lvslite_guest = GuestSession(config)
        # the vm tests still selected (after -k / -m deselection)
        guest.run([i for i in item.session.items if _is_vm(i)])
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    recs = guest.results.get(item.nodeid)
    if recs and recs[-1]["when"] != "teardown":
        recs = None  # the guest stopped in the middle of this test (hung, crashed)
    if guest.skip:
        _report(item, "setup", "skipped", guest.skip)
    elif recs:
        for rec in recs:
            _report(item, rec["when"], rec["outcome"],
                    f"[in the guest] {rec['longrepr']}" if rec["outcome"] == "failed"
                    else rec["longrepr"], rec["duration"], rec["sections"])
    else:
        why = guest.failure or "this test did not run in the guest (see the guest console above)"
        _report(item, "setup", "failed", why)
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    guest = getattr(config, "_lvslite_guest", None)
    if guest is None or guest.boot is None:
        return
    b = guest.boot
    counts: dict[str, int] = {}
    for recs in guest.results.values():
        final = next((r["outcome"] for r in recs if r["outcome"] != "passed"), "passed")
        if recs[-1]["when"] != "teardown":
            final = "unfinished"
        counts[final] = counts.get(final, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "no results"
    terminalreporter.write_sep("-", "emulator guest")
    terminalreporter.write_line(f"guest kernel {b.kernel or '?'} under qemu TCG: {summary}; "
                                f"boot + tests {b.seconds:.1f}s; console log "
                                f"{b.outdir / 'console.log'}")


def pytest_sessionfinish(session, exitstatus):
    if IN_GUEST or not vm_required():
        return
    config = session.config
    vm = getattr(config, "_lvslite_vm_items", [])
    guest = getattr(config, "_lvslite_guest", None)
    if session.config.option.collectonly:
        return
    if not vm or guest is None or not guest.results:
        tr = config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line("error: no test ran inside the emulator guest, and they are "
                          "required here (LVSLITE_REQUIRE_VM=1 or CI=true)", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
