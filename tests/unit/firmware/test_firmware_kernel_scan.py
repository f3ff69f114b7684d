"""The tolerant Kconfig scanner and the explanations it feeds, on a small fake kernel tree
(the real tree is exercised in test_kernel_fragment.py)."""
from pathlib import Path

from firmware.check import kernel
from firmware.check.dotconfig import Request
from firmware.check.explain import compare

KCONFIG = '''
mainmenu "fake"
source "arch/$(SRCARCH)/Kconfig"
config NET
	bool "Networking"
	help
	  Lines of help text with keywords in them:
	  config NOT_A_SYMBOL
	  depends on NOTHING

if NET
menuconfig NETFILTER
	bool "Netfilter"
source "net/Kconfig"
endif

menu "Drivers"
	depends on PCI
config NET_VENDOR_X
	bool "Vendor X"
	default y
config XNIC
	tristate "X NIC"
	depends on NET_VENDOR_X && \\
	           NET
endmenu

config LIBCRC
	tristate

config USER
	tristate "uses libcrc"
	select LIBCRC

config TAB_BITS
	int "bits"
	range 8 20
	default 12
'''
ARCH = '''
config PCI
	bool "PCI"
choice
	prompt "CPU"
	default M686
config MELAN
	bool "Elan"
config M686
	bool "686"
endchoice
'''
NET = '''
config IP_VS
	tristate "IPVS"
	depends on NETFILTER
if IP_VS
config IP_VS_RR
	tristate "rr"
endif
'''


def tree(tmp_path: Path) -> Path:
    (tmp_path / "Kconfig").write_text(KCONFIG)
    (tmp_path / "arch" / "x86").mkdir(parents=True)
    (tmp_path / "arch" / "x86" / "Kconfig").write_text(ARCH)
    (tmp_path / "net").mkdir()
    (tmp_path / "net" / "Kconfig").write_text(NET)
    return tmp_path


def model(tmp_path, **values):
    idx = kernel.scan(tree(tmp_path), "i386")
    return kernel.KernelModel(idx, values, "fake")


def req(name, value="y"):
    return Request(name, value, f"frag:{name}")


def test_scanner_reads_blocks_sources_and_skips_help(tmp_path):
    m = model(tmp_path)
    assert {"NET", "NETFILTER", "IP_VS", "IP_VS_RR", "XNIC", "MELAN", "PCI"} <= set(m.names())
    assert "NOT_A_SYMBOL" not in set(m.names())
    assert m.type("XNIC") == "tristate" and m.type("TAB_BITS") == "int"
    from firmware.check import expr as E
    assert set(E.symbols(m.dep("IP_VS_RR"))) == {"NET", "IP_VS"}  # menuconfig is no block
    assert set(E.symbols(m.dep("XNIC"))) == {"PCI", "NET_VENDOR_X", "NET"}  # joined lines
    assert m.choice("MELAN").members == ("MELAN", "M686")
    assert m.prompts("LIBCRC") == ()
    assert [s for s, _ in m.selectors("LIBCRC")] == ["USER"]


def test_scheduler_without_netfilter_names_netfilter(tmp_path):
    m = model(tmp_path, NET="y", NETFILTER="n")
    reqs = [req("IP_VS"), req("IP_VS_RR")]
    f = {x.name: x for x in compare(m, reqs)}
    assert set(f) == {"CONFIG_IP_VS", "CONFIG_IP_VS_RR"}
    assert "NETFILTER (=n)" in f["CONFIG_IP_VS"].reason
    assert "CONFIG_NETFILTER=y" in f["CONFIG_IP_VS"].fixes
    assert any("CONFIG_IP_VS=y is requested" in x for x in f["CONFIG_IP_VS_RR"].fixes)


def test_nic_without_its_vendor_menu(tmp_path):
    m = model(tmp_path, NET="y", PCI="y", NET_VENDOR_X="n")
    (f,) = compare(m, [req("XNIC")])
    assert "NET_VENDOR_X (=n)" in f.reason and "CONFIG_NET_VENDOR_X=y" in f.fixes


def test_fix_chain_follows_the_dependencies_of_the_fix(tmp_path):
    m = model(tmp_path, NET="y")  # no PCI: the vendor menu itself is hidden
    (f,) = compare(m, [req("XNIC")])
    assert "CONFIG_PCI=y" in f.fixes


def test_misspelt_symbol_gets_a_suggestion(tmp_path):
    m = model(tmp_path, NET="y", NETFILTER="y")
    (f,) = compare(m, [req("NETFILTR")])
    assert "no such symbol" in f.reason and "did you mean CONFIG_NETFILTER?" in f.fixes


def test_promptless_symbol_points_at_its_selectors(tmp_path):
    m = model(tmp_path)
    (f,) = compare(m, [req("LIBCRC")])
    assert "no prompt" in f.reason and "CONFIG_USER=y (selects CONFIG_LIBCRC)" in f.fixes


def test_selected_symbol_cannot_be_unset(tmp_path):
    m = model(tmp_path, USER="y", LIBCRC="y")
    (f,) = compare(m, [req("LIBCRC", "n")])
    assert "selected by CONFIG_USER (=y)" in f.reason


def test_choice_and_range_and_modules(tmp_path):
    m = model(tmp_path, M686="y", NET="y", NETFILTER="y", IP_VS="y", IP_VS_RR="y",
              TAB_BITS="12")
    (f,) = compare(m, [req("MELAN")])
    assert "choice 'CPU'" in f.reason and "CONFIG_M686" in f.reason
    (f,) = compare(m, [req("TAB_BITS", "30")])
    assert "range 8..20" in f.reason
    (f,) = compare(m, [req("IP_VS_RR", "m")])
    assert f.got == "y"


def test_requests_that_took_effect_are_not_reported(tmp_path):
    m = model(tmp_path, NET="y", NETFILTER="y", IP_VS="y", IP_VS_RR="y", TAB_BITS="12")
    assert compare(m, [req("IP_VS"), req("IP_VS_RR"), req("PCI", "n"), req("TAB_BITS", "12")]) == []
