# lvslite front door. `make bench` runs the main job; `make test` runs every test.
# Areas add their own targets and test prerequisites in mk/*.mk (TEST_PREREQS += ...).
PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PYTEST_ARGS ?=
TEST_PREREQS :=

.PHONY: help setup test unit vm-prepare bench clean distclean
help:
	@echo "make setup       create .venv with the Python deps (idempotent)"
	@echo "make test        unit tests + emulator tests (root: installs qemu, downloads the kernel)"
	@echo "make bench       size every catalog box for the reference workload"
	@echo "make unit        unit tests only (seconds, no root)"

setup: $(STAMP)
$(STAMP): pyproject.toml
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -e '.[test,workstation,box]'
	touch $@

-include mk/*.mk

# Installs qemu/kmod/iproute2 and downloads + extracts the Debian kernel when root; when not,
# says what is missing and the emulator tests skip (or fail, where LVSLITE_REQUIRE_VM=1).
vm-prepare: setup
	$(VPY) tests/vm/rig.py prepare --soft

test: setup vm-prepare $(TEST_PREREQS)
	$(VPY) -m pytest -v $(PYTEST_ARGS) tests

unit: setup
	$(VPY) -m pytest -q $(PYTEST_ARGS) tests/unit

bench: setup
	$(VPY) -m bench

clean:
	rm -rf out build .cache/vm/run .cache/vm/shell-*
distclean: clean
	rm -rf .venv .cache
