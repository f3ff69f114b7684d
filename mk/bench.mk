# Sizing bench (docs/design.md#bench). `make bench` (the main job) is in the Makefile; these are extras.
#
#   make bench-sweep        the whole catalog over 1000 request rates, chart in out/bench/
#   make bench-calibrate    measure bytes per IPVS entry on the emulator's kernel (vm test)

.PHONY: bench-sweep bench-calibrate
bench-sweep: setup
	$(VPY) -m bench size --sweep --plot out/bench/sweep.png

bench-calibrate: setup vm-prepare
	LVSLITE_VM_OUT=$(CURDIR)/.cache/vm/run-bench $(VPY) -m pytest -v tests/vm/test_bench_calibration.py
