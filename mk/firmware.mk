# Firmware: Buildroot external tree (firmware/buildroot) and its kconfig checks.
#
#   make firmware BOARD=net4801 [BUILDROOT=DIR]   check, then build the card image
#   make firmware-check [BOARD=...]               the checks alone (all boards by default)
#   make firmware-prereqs                         Debian's linux-source-6.1 for the kernel checks
#
# BOARD: one of the boards in firmware/boards.json (net4501 net4801 net5501 alix apu2).

FW_DIR          := firmware/buildroot
FW_CACHE        := .cache/firmware
FW_LINUX_PKG    ?= linux-source-6.1
FW_LINUX_CACHE  := .cache/linux-source
FW_LINUX_DIR    := $(FW_LINUX_CACHE)/$(FW_LINUX_PKG)
# The Buildroot release the defconfigs are written against; only fetched with internet.
FW_BUILDROOT_VERSION ?= 2026.08
FW_BUILDROOT_URL     ?= https://buildroot.org/downloads/buildroot-$(FW_BUILDROOT_VERSION).tar.xz
# Its Kconfig symbols, for the name checks without a tree (python -m firmware.check.symbols).
FW_SYMBOLS           ?= $(FW_DIR)/symbols-$(FW_BUILDROOT_VERSION).tsv

# The board table (firmware/boards.json), read once per make run: one word per board,
# name,defconfig,board_dir,arch,console; fw_defconfig/fw_board_dir/fw_arch/fw_baud look it up.
FW_TABLE = $(eval FW_TABLE := $(shell $(PYTHON) -m firmware.boards make))$(FW_TABLE)
fw_comma := ,
fw_row = $(subst $(fw_comma), ,$(filter $(1)$(fw_comma)%,$(FW_TABLE)))
fw_defconfig = $(word 2,$(call fw_row,$(1)))
fw_board_dir = $(word 3,$(call fw_row,$(1)))
fw_arch = $(word 4,$(call fw_row,$(1)))
fw_baud = $(word 5,$(call fw_row,$(1)))
FW_BOARDS = $(foreach r,$(FW_TABLE),$(firstword $(subst $(fw_comma), ,$(r))))
FW_SELECTED = $(if $(BOARD),$(BOARD),$(FW_BOARDS))

.PHONY: firmware firmware-check firmware-prereqs

# Soft like vm-prepare: without root or the archive it says what is missing and the kernel
# fragment tests skip on a developer's machine (and fail in CI, where they are required).
firmware-prereqs:
	@missing=""; for t in flex bison bc; do command -v $$t >/dev/null || missing="$$missing $$t"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "firmware: installing$$missing (the kernel's kconfig needs them)"; \
	    { apt-get install -y -q $$missing >/dev/null 2>&1 \
	      || { apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null; }; } \
	      || echo "firmware: could not install$$missing; kernel fragment tests will skip"; \
	  else echo "firmware: missing$$missing and not root; kernel fragment tests will skip"; fi; \
	fi
	@if [ -f $(FW_LINUX_DIR)/Makefile ]; then exit 0; fi; \
	echo "firmware: fetching $(FW_LINUX_PKG) into $(FW_LINUX_CACHE)/ (about 140 MB, once)"; \
	rm -rf $(FW_LINUX_CACHE)/dl && mkdir -p $(FW_LINUX_CACHE)/dl && \
	( cd $(FW_LINUX_CACHE)/dl && apt-get download -q $(FW_LINUX_PKG) >/dev/null ) && \
	dpkg-deb -x $(FW_LINUX_CACHE)/dl/$(FW_LINUX_PKG)_*.deb $(FW_LINUX_CACHE)/dl/deb && \
	tar -xJf $(FW_LINUX_CACHE)/dl/deb/usr/src/$(FW_LINUX_PKG).tar.xz -C $(FW_LINUX_CACHE) && \
	rm -rf $(FW_LINUX_CACHE)/dl && echo "firmware: $(FW_LINUX_DIR) ready" \
	|| { rm -rf $(FW_LINUX_CACHE)/dl $(FW_LINUX_DIR); \
	     echo "firmware: could not fetch $(FW_LINUX_PKG) (no Debian archive?); kernel fragment tests will skip"; }

TEST_PREREQS += firmware-prereqs

FW_CHECK = $(VPY) -m firmware check
fw_symbols_arg = $(if $(FW_SYMBOLS),--symbols $(FW_SYMBOLS))
fw_buildroot_arg = $(if $(BUILDROOT),--buildroot $(BUILDROOT))

# Every check that can run on this machine, for one board or all of them.
firmware-check: setup firmware-prereqs
	@[ -n "$(FW_BOARDS)" ] || { echo "firmware: cannot read the board table firmware/boards.json"; exit 2; }
	@set -e; for b in $(FW_SELECTED); do \
	  case " $(FW_BOARDS) " in *" $$b "*) ;; *) echo "firmware: unknown BOARD=$$b (one of: $(FW_BOARDS))"; exit 2;; esac; \
	done
	@set -e; for d in $(foreach b,$(FW_SELECTED),$(call fw_defconfig,$(b))); do \
	  rc=0; $(FW_CHECK) defconfig $(fw_buildroot_arg) $(fw_symbols_arg) $(FW_DIR)/configs/$$d || rc=$$?; \
	  [ $$rc = 0 ] || [ $$rc = 4 ] || exit $$rc; \
	done
	@set -e; for da in $(foreach b,$(FW_SELECTED),$(call fw_board_dir,$(b)):$(call fw_arch,$(b))); do \
	  bd=$${da%%:*} a=$${da#*:}; \
	  if [ -f $(FW_LINUX_DIR)/Makefile ]; then \
	    for base in allnoconfig defaults; do \
	      $(FW_CHECK) kernel-fragment --linux $(FW_LINUX_DIR) --arch $$a --base $$base \
	        $(FW_DIR)/board/common/linux.fragment $(FW_DIR)/board/$$bd/linux.fragment; \
	    done; \
	  else echo "firmware: no $(FW_LINUX_DIR): kernel fragment check against 6.1 skipped"; fi; \
	done

# The build: checks first (the defconfig against the given Buildroot tree), then Buildroot's
# own configure, then the kernel fragments against the pinned kernel's real .config, then make.
FW_OUT = out/firmware/$(BOARD)
firmware: setup
	@case " $(FW_BOARDS) " in *" $(BOARD) "*) ;; *) \
	  echo "firmware: say which board: make firmware BOARD=<$(FW_BOARDS)> [BUILDROOT=DIR]"; exit 2;; esac
	@$(MAKE) --no-print-directory firmware-check BOARD=$(BOARD) BUILDROOT=$(BUILDROOT)
	@set -e; br="$(BUILDROOT)"; \
	if [ -z "$$br" ]; then \
	  br=$(FW_CACHE)/buildroot-$(FW_BUILDROOT_VERSION); \
	  if [ ! -f $$br/Makefile ]; then \
	    echo "firmware: no BUILDROOT=DIR given; fetching Buildroot $(FW_BUILDROOT_VERSION)"; \
	    mkdir -p $(FW_CACHE); \
	    if ! { command -v curl >/dev/null && curl -fsSL --connect-timeout 10 -o $(FW_CACHE)/br.tar.xz $(FW_BUILDROOT_URL); }; then \
	      rm -f $(FW_CACHE)/br.tar.xz; \
	      echo "firmware: cannot fetch Buildroot $(FW_BUILDROOT_VERSION) from $(FW_BUILDROOT_URL) here (no internet)."; \
	      echo "firmware: the checks above ran; give a Buildroot tree with BUILDROOT=DIR to build."; \
	      exit 1; \
	    fi; \
	    tar -xJf $(FW_CACHE)/br.tar.xz -C $(FW_CACHE) && rm -f $(FW_CACHE)/br.tar.xz; \
	  fi; \
	  $(FW_CHECK) defconfig --buildroot $$br $(fw_symbols_arg) $(FW_DIR)/configs/$(call fw_defconfig,$(BOARD)); \
	fi; \
	out=$(CURDIR)/$(FW_OUT); mkdir -p $$out; \
	$(MAKE) -C $$br O=$$out BR2_EXTERNAL=$(CURDIR)/$(FW_DIR) $(call fw_defconfig,$(BOARD)); \
	$(MAKE) -C $$br O=$$out linux-configure; \
	ldir=$$(ls -d $$out/build/linux-[0-9]* | grep -v headers | head -n1); \
	$(FW_CHECK) kernel-fragment --dotconfig $$ldir/.config --linux $$ldir --arch $(call fw_arch,$(BOARD)) \
	  $(FW_DIR)/board/common/linux.fragment $(FW_DIR)/board/$(call fw_board_dir,$(BOARD))/linux.fragment; \
	$(MAKE) -C $$br O=$$out; \
	echo "firmware: image: $$out/images/lvslite.img, console $(call fw_baud,$(BOARD)) 8N1 (flash it: see firmware/README.md)"
