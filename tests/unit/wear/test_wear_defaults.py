"""The wear sampler's defaults are the box's settings file (overlay/etc/default/lvslite), the
one place the shell sampler reads them from too."""
from pathlib import Path

from lvslite.wear import sample

OVERLAY = Path(__file__).resolve().parents[3] / "overlay/etc/default/lvslite"


def test_defaults_are_the_overlays_settings():
    settings = sample.box_settings([str(OVERLAY)])
    assert sample.DEFAULT_LOG == settings["WEAR_LOG"]
    assert sample.DEFAULT_MAX_BYTES == int(settings["WEAR_MAX_BYTES"])


def test_first_readable_file_wins_and_comments_are_skipped(tmp_path):
    f = tmp_path / "lvslite"
    f.write_text("# WEAR_LOG=/commented\nWEAR_LOG='/run/x.log'\nWEAR_MAX_BYTES=10\nEMPTY=\n")
    assert sample.box_settings([str(tmp_path / "missing"), str(f)]) == \
        {"WEAR_LOG": "/run/x.log", "WEAR_MAX_BYTES": "10", "EMPTY": ""}
    assert sample.box_settings([str(tmp_path / "missing")]) == {}


def test_without_a_settings_file_the_options_are_required(monkeypatch, capsys):
    """An install with neither the box's file nor the source tree's: a usage error naming
    the option, not a traceback later."""
    from lvslite.cli import main
    monkeypatch.setattr(sample, "DEFAULT_LOG", None)
    monkeypatch.setattr(sample, "DEFAULT_MAX_BYTES", None)
    for argv, option in ((["wear", "sample", "--count", "1"], "--out"),
                         (["wear", "report"], "FILE")):
        try:
            rc = main(argv)
        except SystemExit as exc:
            rc = exc.code
        assert rc == 2
        assert option in capsys.readouterr().err
