# Core (docs/design.md#the-agents-data-flow): config -> reconcile -> IPVS. Its tests run with the rest (tests/unit/core,
# tests/vm/test_core_*.py); this adds the benchmark, which prints numbers and asserts nothing.
#
#   make perf-apply    1000 services x 4 reals: netlink vs ipvsadm -R vs the ipvsadm backend,
#                      one-change reconcile, import time and RSS (one emulator boot)
#   make perf-scale    one service with 1000/2000/4000 reals against 4000 reals over 1000
#                      services: apply is linear in the reals (one emulator boot)

.PHONY: perf-apply perf-scale
perf-apply: setup vm-prepare
	LVSLITE_VM_OUT=$(CURDIR)/.cache/vm/run-perf-apply $(VPY) tests/vm/bench_apply.py

perf-scale: setup vm-prepare
	LVSLITE_VM_OUT=$(CURDIR)/.cache/vm/run-perf-scale $(VPY) tests/vm/bench_scale.py
