"""Reading fragments/defconfigs: every line kconfig would silently skip is an error here."""
from firmware.check import dotconfig


def test_assignments_and_unset_lines():
    reqs, errs = dotconfig.parse('CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S="x y"\n'
                                 "CONFIG_N=12\n# a comment\n\n", "CONFIG_", "f")
    assert errs == []
    assert [(r.name, r.value, r.where) for r in reqs] == [
        ("A", "y", "f:1"), ("B", "n", "f:2"), ("S", "x y", "f:3"), ("N", "12", "f:4")]


def test_malformed_lines_are_errors_naming_the_line():
    _, errs = dotconfig.parse("CONFIG_A = y\nNET=y\nCONFIG_S=a b\n", "CONFIG_", "frag")
    assert len(errs) == 3
    assert errs[0].startswith("frag:1:") and "not a kconfig assignment" in errs[0]
    assert "frag:2" in errs[1] and "does not start with" in errs[1]
    assert "frag:3" in errs[2] and "quotes" in errs[2]


def test_later_file_wins_and_the_override_is_noted(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_text("CONFIG_X=y\nCONFIG_Y=y\n")
    b.write_text("# CONFIG_X is not set\n")
    notes = []
    reqs, _ = dotconfig.read([a, b], "CONFIG_", notes)
    assert {r.name: r.value for r in reqs} == {"X": "n", "Y": "y"}
    assert len(notes) == 1 and "CONFIG_X=n overrides CONFIG_X=y" in notes[0]


def test_buildroot_names_keep_their_prefix():
    reqs, errs = dotconfig.parse('BR2_i386=y\nBR2_ROOTFS_OVERLAY="$(BR2_EXTERNAL_X_PATH)/o"\n',
                                 "", "d")
    assert errs == [] and reqs[0].name == "BR2_i386" and reqs[1].quoted


def test_final_values_of_a_dotconfig():
    vals = dotconfig.values("CONFIG_A=y\n# CONFIG_B is not set\nCONFIG_S=\"q\"\n", "CONFIG_")
    assert vals == {"A": "y", "B": "n", "S": "q"}
