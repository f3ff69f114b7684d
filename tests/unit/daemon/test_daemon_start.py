"""`lvslite run`'s start-up, through lvslite.cli.main: config, then state directory, then the
kernel, then the pid file; each failure exits with its code and leaves nothing behind."""
import json
import os
from pathlib import Path

import pytest

import lvslite.ipvs as ipvs
from lvslite.cli import main
from lvslite.daemon import Daemon
from lvslite.ipvs import IPVSError

GOOD = str(Path(__file__).resolve().parents[2] / "fixtures" / "configs" / "design-example.json")


class NoKernel:
    def dump(self):
        return {}

    def apply(self, ops):
        pass

    def close(self):
        self.closed = True


@pytest.fixture
def kernel(monkeypatch, tmp_path):
    """The backend `run` opens (or the IPVSError it raises), and the state directory."""
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path / "st"))
    opened = []

    def open_backend(name="netlink"):
        opened.append(name)
        if isinstance(kernel.answer, Exception):
            raise kernel.answer
        return kernel.answer
    kernel.answer, kernel.opened = NoKernel(), opened
    monkeypatch.setattr(ipvs, "open_backend", open_backend)
    return kernel


def test_an_invalid_config_exits_1_before_anything_else(kernel, tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"services": [{"virtual": "10.0.0.100"}]}))
    assert main(["run", "-c", str(bad), "--log", "stderr"]) == 1
    assert capsys.readouterr().err.startswith("lvslite: error: services[0].virtual: ")
    assert kernel.opened == [] and not (tmp_path / "st").exists()


def test_an_unusable_state_directory_exits_1_before_the_kernel(kernel, tmp_path, monkeypatch,
                                                                capsys):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("LVSLITE_STATE_DIR", str(tmp_path / "file" / "st"))
    assert main(["run", "-c", GOOD]) == 1
    assert "LVSLITE_STATE_DIR" in capsys.readouterr().err and kernel.opened == []


def test_no_ipvs_exits_3_without_a_pid_file(kernel, tmp_path, capsys):
    kernel.answer = IPVSError(ipvs.NOT_AVAILABLE)
    assert main(["run", "-c", GOOD, "--backend", "ipvsadm"]) == 3
    assert capsys.readouterr().err == f"lvslite: error: {ipvs.NOT_AVAILABLE}\n"
    assert kernel.opened == ["ipvsadm"] and os.listdir(tmp_path / "st") == ["lvslite.lock"]


def test_open_writes_the_pid_file_and_close_removes_it(kernel, tmp_path):
    d = Daemon.open(GOOD, "ipvsadm")
    assert d.backend is kernel.answer and d.state_dir == str(tmp_path / "st")
    assert (tmp_path / "st" / "lvslite.pid").read_text() == f"{os.getpid()}\n"
    assert len(d.plan) == 2
    d.close()
    assert kernel.answer.closed and os.listdir(tmp_path / "st") == ["lvslite.lock"]
