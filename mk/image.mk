# Firmware image, Debian-based i386 flavour (firmware/image/), and the flasher (firmware/flash/).
#
#   make image [IMAGE_BOARD=net5501|alix|apu2] [IMAGE_BAUD=19200|38400|115200]
#              [IMAGE_APPEND="libata.dma=0 ..."] [MIRROR=URI]
#                          -> out/image/lvslite-i386.img (+ manifest.json); root + archive
#                          (MIRROR: the Debian archive; default the first `deb ... main`
#                          source of this machine's apt configuration)
#   make flash [IMAGE=out/image/lvslite-i386.img] DEV=/dev/sdX [FLASH_ARGS="--yes --force"]
#   make image-prereqs     install the host tools (as root; says what is missing otherwise)
#
# The Debian root and kernel package are cached in .cache/image/ (about 2 minutes, once);
# the image is rebuilt (about a minute) only when lvslite/, overlay/, firmware/image/ or the
# options change. `make test` builds it when missing or stale (image-test-prereq) and then
# boots it in tests/image/.

IMAGE_OUT    := out/image
IMAGE_FILE   := $(IMAGE_OUT)/lvslite-i386.img
# IMAGE_BOARD: the board's console speed and kernel arguments from firmware/boards.json;
# IMAGE_BAUD: a speed of your own; neither: the builder's default (the net5501's 19200).
IMAGE_BOARD  ?=
IMAGE_BAUD   ?=
IMAGE_APPEND ?=
IMAGE        ?= $(IMAGE_FILE)
MIRROR       ?=
IMAGE_OPTS   := $(strip $(if $(IMAGE_BOARD),--board $(IMAGE_BOARD)) $(if $(IMAGE_BAUD),--baud $(IMAGE_BAUD)) \
                $(addprefix --append ,$(IMAGE_APPEND)) $(if $(MIRROR),--mirror $(MIRROR)))
IMAGE_SRCS   := $(shell find lvslite overlay firmware/image firmware/boards.* -type f ! -name '*.pyc' \
                  ! -path '*/__pycache__/*' 2>/dev/null)
# command:package pairs for the host tools the build and the boot test use
IMAGE_TOOLS  := mmdebstrap:mmdebstrap mksquashfs:squashfs-tools syslinux:syslinux \
                mcopy:mtools mkfs.vfat:dosfstools depmod:kmod dpkg-deb:dpkg \
                qemu-system-i386:qemu-system-x86

.PHONY: image image-prereqs image-test-prereq flash FORCE

# $(call tools_install,COMMAND:PACKAGE ...): install the packages of the missing commands
# (and syslinux's MBR) as root; say what is missing otherwise.
define tools_install
	@missing=""; for tp in $(1); do t=$${tp%%:*}; p=$${tp#*:}; \
	  command -v $$t >/dev/null || missing="$$missing $$p"; done; \
	[ -f /usr/lib/syslinux/mbr/mbr.bin ] || missing="$$missing syslinux-common"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then echo "image: missing$$missing and not root (apt-get install$$missing)"; exit 1; fi; \
	echo "image: installing$$missing"; \
	{ apt-get install -y -q $$missing >/dev/null 2>&1 \
	  || { apt-get update -q >/dev/null && apt-get install -y -q $$missing >/dev/null; }; } \
	  || { echo "image: could not install$$missing"; exit 1; }
endef

image-prereqs:
	$(call tools_install,$(IMAGE_TOOLS))

# Rewritten only when the options change, so a new IMAGE_BAUD rebuilds and nothing else does.
$(IMAGE_OUT)/.options: FORCE
	@mkdir -p $(IMAGE_OUT); echo '$(IMAGE_OPTS)' | cmp -s - $@ || echo '$(IMAGE_OPTS)' > $@

$(IMAGE_FILE): $(IMAGE_SRCS) $(IMAGE_OUT)/.options
	$(VPY) -m firmware.image build $(IMAGE_OPTS)

image: setup
	@if [ -n "$(filter $(BOARD),$(CROSS_BOARDS))" ]; then \
	  $(MAKE) --no-print-directory image-cross BOARD=$(BOARD); \
	else $(MAKE) --no-print-directory image-prereqs && $(MAKE) --no-print-directory $(IMAGE_FILE); fi

# Soft, like vm-prepare: without root or the archive it says so and removes a stale image,
# so tests/image skips with the reason (and fails where required: LVSLITE_REQUIRE_VM=1).
image-test-prereq: setup
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "image: not root, $(IMAGE_FILE) not (re)built; tests/image will skip if it is missing"; \
	  exit 0; fi; \
	$(MAKE) --no-print-directory image-prereqs && $(MAKE) --no-print-directory $(IMAGE_FILE) \
	  || { rm -f $(IMAGE_FILE); \
	       echo "image: could not build $(IMAGE_FILE); tests/image will skip (fail where required)"; }

TEST_PREREQS += image-test-prereq

flash: setup
	@test -n "$(DEV)" || { echo "usage: make flash [IMAGE=$(IMAGE_FILE)] DEV=/dev/sdX [FLASH_ARGS=--force]"; exit 2; }
	$(VPY) -m firmware.flash $(IMAGE) $(DEV) $(FLASH_ARGS)

# ------------------------------------------------------------------ the cross route
# The Soekris boards (firmware/cross/): Debian's i386 binaries need CMOV, which the net4801
# (Geode GX1) and net4501 (Elan, a 486) lack, so their kernel and musl userland are compiled
# here from Debian's sources (docs/reference/firmware.md#the-cross-route).
#
#   make image BOARD=net4801|net4501  -> out/image/<board>/lvslite-<board>.img (+ manifest.json)
#   make image-cross [BOARD=...]      the same, both boards by default
#   make image-audit FILES="..." ISA=i486|i586   the instruction audit on any ELF files
#   make image-bench                  sizes, build times and boot figures per board
#
# The kernel (per board), musl, busybox and CPython (per CPU) are cached by a hash of their
# inputs in the per-user cache, ${XDG_CACHE_HOME:-~/.cache}/lvslite, outside the clone: cold
# about 25 minutes on 2 busy cores, then about 11 s per image after an lvslite change.
# `make test` builds both (soekris-test-prereq) and boots them in tests/soekris (~3 min).
CROSS_BOARDS = $(eval CROSS_BOARDS := $(shell $(PYTHON) -m firmware.boards route cross))$(CROSS_BOARDS)
CROSS_SELECTED = $(or $(filter $(CROSS_BOARDS),$(BOARD)),$(CROSS_BOARDS))
CROSS_TOOLS := gcc:gcc make:make flex:flex bison:bison bc:bc objdump:binutils \
               python3.11:python3.11 dpkg-source:dpkg-dev xz:xz-utils mksquashfs:squashfs-tools \
               syslinux:syslinux mcopy:mtools mkfs.vfat:dosfstools qemu-system-i386:qemu-system-x86
ISA ?= i486

.PHONY: image-cross cross-prereqs image-audit image-bench soekris-test-prereq

cross-prereqs:
	$(call tools_install,$(CROSS_TOOLS))

image-cross: setup cross-prereqs
	@set -e; for b in $(CROSS_SELECTED); do \
	  $(VPY) -m firmware.cross build --board $$b $(if $(MIRROR),--mirror $(MIRROR)); done

image-audit: setup
	@test -n "$(FILES)" || { echo "usage: make image-audit FILES=\"PATH...\" [ISA=i486|i586]"; exit 2; }
	$(VPY) -m firmware.cross audit --isa $(ISA) $(FILES)

# `make image-bench` boots the cards first (tests/soekris, tests/image write measured.json)
image-bench: setup soekris-test-prereq image-test-prereq
	-$(VPY) -m pytest -q tests/soekris tests/image
	$(VPY) -m firmware.cross.bench $(if $(BOARD),--board $(BOARD))

# Soft, like image-test-prereq: builds both Soekris cards (a minute when the per-user cache
# is warm); without root or the archive it says so, and tests/soekris skip (fail in CI).
soekris-test-prereq: setup
	@if [ "$$(id -u)" != 0 ]; then \
	  echo "image: not root, the Soekris cards are not (re)built; tests/soekris will skip if missing"; \
	  exit 0; fi; \
	for b in $(CROSS_BOARDS); do \
	  $(MAKE) --no-print-directory image-cross BOARD=$$b \
	  || { rm -f out/image/$$b/lvslite-$$b.img; \
	       echo "image: could not build the $$b card; tests/soekris will skip (fail where required)"; }; \
	done

TEST_PREREQS += soekris-test-prereq
