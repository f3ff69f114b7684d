# Control-plane benchmark (docs/reference/control-planes.md#footprints), not a test: lvslite run vs keepalived vs ldirectord in one
# emulator boot. Prints the table and writes it to out/perf/daemon.txt.
#
#   make perf
#
# keepalived and ldirectord come from Debian's archive; installed here when missing and root
# (the guest runs the host's binaries over the shared root).

PERF_PACKAGES := keepalived ldirectord

.PHONY: perf
perf: setup vm-prepare
	@if [ ! -x /usr/sbin/keepalived ] || [ ! -x /usr/sbin/ldirectord ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "perf: installing $(PERF_PACKAGES) from Debian's archive"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      $(PERF_PACKAGES) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq --no-install-recommends $(PERF_PACKAGES); }; \
	  else \
	    echo "perf: keepalived/ldirectord missing: run as root, or apt-get install" \
	         "$(PERF_PACKAGES); their columns will be empty"; \
	  fi; \
	fi
	LVSLITE_VM_OUT=$(CURDIR)/.cache/vm/run-perf $(VPY) tests/vm/perf_daemon.py \
	  --out $(CURDIR)/out/perf/daemon.txt

# Reload latency (host only, no emulator): SIGHUP to the first check result handled by a real
# Daemon at 100/1000/4000 reals, this engine and 92892c7's. Prints a table, asserts nothing.
.PHONY: perf-reload
perf-reload: setup
	$(VPY) tests/bench/reload_latency.py
