"""`lvslite import`: exit codes, output, -o, stability, and `lvslite check` on every output."""
import os

import pytest


from migrate_util import MIGRATE, cli, loads, rel, write

FIXTURES = [(MIGRATE / "seed-ldirectord.cf", "ldirectord"),
            (MIGRATE / "ldirectord-all.cf", "ldirectord"),
            (MIGRATE / "keepalived" / "keepalived.conf", "keepalived"),
            (MIGRATE / "ipvsadm-rules.txt", "ipvsadm")]
IDS = [p.name for p, _ in FIXTURES]


@pytest.mark.parametrize("path,fmt", FIXTURES, ids=IDS)
def test_output_passes_lvslite_check_and_is_stable(tmp_path, path, fmt):
    first = cli("import", rel(path), "--from", fmt)
    assert first.returncode == 0, first.stderr
    again = cli("import", rel(path), "--from", fmt)
    assert again.stdout == first.stdout and again.stderr == first.stderr
    assert first.stdout.endswith("}\n") and first.stdout.startswith('{\n  "services": [\n')
    out = tmp_path / "lvslite.json"
    written = cli("import", rel(path), "--from", fmt, "-o", str(out))
    assert written.returncode == 0 and written.stdout == ""
    assert out.read_text() == first.stdout
    assert os.listdir(tmp_path) == ["lvslite.json"]      # no temporary file left behind
    check = cli("check", "-c", str(out))
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("config OK: ")
    # the summary line comes last on stderr, after the warnings
    n = len(loads(first.stdout)["services"])
    assert first.stderr.splitlines()[-1].startswith(f"lvslite: imported {n} service")


@pytest.mark.parametrize("args", [[], ["x.cf"], ["x.cf", "--from", "haproxy"],
                                  ["--from", "ipvsadm"], ["a", "b", "--from", "ipvsadm"]])
def test_bad_usage_exits_2(args):
    proc = cli("import", *args)
    assert proc.returncode == 2 and "usage: lvslite" in proc.stderr


def test_an_unreadable_file_exits_1(tmp_path):
    proc = cli("import", str(tmp_path / "nope.cf"), "--from", "ldirectord")
    assert proc.returncode == 1 and proc.stdout == ""
    assert proc.stderr == (f"{tmp_path}/nope.cf: error: cannot read {tmp_path}/nope.cf: "
                           "No such file or directory\n")


def test_nothing_usable_exits_1_and_writes_nothing(tmp_path):
    path = write(tmp_path, "k.conf", "global_defs {\n router_id X\n}\n")
    out = tmp_path / "out.json"
    proc = cli("import", str(path), "--from", "keepalived", "-o", str(out))
    assert proc.returncode == 1 and not out.exists()
    assert proc.stderr.splitlines() == [
        f"{path}:1: global_defs is not imported (global settings of keepalived)",
        f"{path}: error: no virtual service could be imported"]


def test_standard_input():
    proc = cli("import", "-", "--from", "ipvsadm",
               stdin="-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 1\n")
    assert proc.returncode == 0
    assert loads(proc.stdout) == {"services": [{"virtual": "10.0.0.1:80", "protocol": "tcp",
                                                "scheduler": "rr", "forward": "gate",
                                                "reals": ["10.0.0.2:80"]}]}


def test_a_config_the_validator_refuses_is_reported_as_a_bug(monkeypatch, capsys):
    import lvslite.migrate
    monkeypatch.setattr(lvslite.migrate, "convert",
                        lambda path, fmt: ({"services": [{"virtual": "nowhere"}]}, []))
    from lvslite.cli import main
    assert main(["import", "x", "--from", "ipvsadm"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "is a bug of `lvslite import`" in err
    assert "services[0].virtual" in err


def test_an_unwritable_output_exits_1(tmp_path):
    proc = cli("import", rel(FIXTURES[0][0]), "--from", "ldirectord",
               "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert proc.returncode == 1 and "cannot write" in proc.stderr
