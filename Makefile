# SPDX-License-Identifier: GPL-2.0-only
#
# dm-vmirror.  The two commands of the README:
#   make demo    a live migration in a VM, progress to 100 %, data verified
#   make check   unit tests and the VM integration suite
#
# More kernels: 'make check KVER=6.12', 'make check-kernels' (README,
# "Kernels"; scripts/kernels.sh).
#
# KVER: the kernel release to build for (default: scripts/kver.sh, derived
# from what is installed; no ABI version is written anywhere in the repo).
# KDIR: its build tree (default /lib/modules/$(KVER)/build).  Given KDIR
# alone, KVER is that tree's release.  The VM boots the kernel the module
# was built for (tests/vm/run.sh reads the module's vermagic).

# Only a KVER the user chose is handed to the test scripts; otherwise they
# follow the module's vermagic.  A series (KVER=6.12) stands for its newest
# installed release; 'make deps' installs one if there is none.
ifneq ($(filter command line environment,$(origin KVER)),)
override KVER := $(shell KVER='$(KVER)' $(CURDIR)/scripts/kver.sh 2>/dev/null || echo '$(KVER)')
export KVER
endif
ifeq ($(origin KDIR),undefined)
KVER ?= $(shell $(CURDIR)/scripts/kver.sh 2>/dev/null)
KDIR := $(if $(KVER),/lib/modules/$(KVER)/build)
else
KVER ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
endif

# The one version number of the module, the target, vmirrorctl and the
# packages (tests/host/version.sh checks that they agree).
VERSION := $(shell cat $(CURDIR)/VERSION)

# Install paths: DESTDIR and PREFIX are handed down to tools/vmirrorctl.
PREFIX ?= /usr/local
INSTALL_MOD_DIR ?= extra
# The module source as DKMS builds it (/usr/src/dm-vmirror-$(VERSION)).
DKMS_SRC = /usr/src/dm-vmirror-$(VERSION)
MODULE_SRC_FILES = VERSION LICENSE Kbuild dkms.conf uapi/linux/dm-vmirror.h kernel/Kbuild \
	$(sort $(wildcard kernel/*.h) $(filter-out %.mod.c,$(wildcard kernel/*.c)))

.PHONY: all module tools deps check check-debug unit fuzz soak vm-check crash-check demo bench bench-async bench-profile install \
	deps-kernels check-kernels uninstall modules_install module-src dkms-install dkms-uninstall deb deb-check lint clean \
	help print-kver print-version

all: module tools

help:
	@echo "make [all]     build kernel/dm-vmirror.ko (KDIR=$(KDIR)) and vmirrorctl"
	@echo "make install   install vmirrorctl, its man page, completion, the uapi header"
	@echo "               (PREFIX=$(PREFIX), DESTDIR=)"
	@echo "make modules_install  install the module for KVER=$(KVER) (INSTALL_MOD_DIR=$(INSTALL_MOD_DIR))"
	@echo "make uninstall remove what install and modules_install installed"
	@echo "make dkms-install  the module under DKMS from this tree ($(DKMS_SRC))"
	@echo "make deb       dist/dm-vmirror-dkms_$(VERSION)_all.deb and dist/vmirrorctl_$(VERSION)_<arch>.deb"
	@echo "make deb-check build the debs, install them here, load the DKMS module in the VM, purge"
	@echo "make check     install deps, build, run unit + VM tests"
	@echo "make demo      install deps, build, show a live mirror in a VM"
	@echo "make bench     benchmarks in a VM -> bench/results/latest.md"
	@echo "make bench-async  sync vs async over a 20 ms mirror -> bench/results/async.md"
	@echo "make bench-profile  CPU time per 4k write by layer, per device -> bench/results/profile.md"
	@echo "make unit      userspace unit tests only (ASan/UBSan)"
	@echo "make fuzz      libFuzzer on the parser and state machine, 10 min each"
	@echo "make vm-check  VM integration suite only (TESTS='names' to pick)"
	@echo "make crash-check  the power-cut tests only (TESTS='names' of tests/vm/crash)"
	@echo "make lint      W=1, sparse (C=2) and checkpatch on the kernel code"
	@echo "make soak      fio verify under random operations, SOAK_SECONDS (600)"
	@echo "make check-debug  VM suite on a KASAN/lockdep/kmemleak kernel (long)"
	@echo "make check KVER=6.12  the same on another kernel (installed if missing)"
	@echo "make check-kernels  build for 6.1, 6.12 and unstable's newest; VM suite on 6.12 and 6.1 (long)"

# The release the module is built for, and so the kernel the VM boots.
print-kver:
	@echo $(KVER)

print-version:
	@echo $(VERSION)

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "No kernel build tree '$(KDIR)' (KVER=$(KVER)); run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools/vmirrorctl

# The tool, its man page and bash completion, and the uapi header.
install: tools
	$(MAKE) -C tools/vmirrorctl install PREFIX=$(PREFIX)

# The module into $(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/kernel/,
# then depmod (not with DESTDIR: a package runs it when installed).  Not
# signed: Debian's headers carry no signing key, so the kernel's attempt
# is switched off unless the build tree has one; with Secure Boot use DKMS
# (make dkms-install or the dm-vmirror-dkms package), which signs with its
# MOK key and rebuilds for every new kernel.
modules_install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) \
		$(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=) \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install
	$(if $(DESTDIR),,depmod -a $(KVER))

# Undoes install and modules_install (same PREFIX, DESTDIR, KVER and
# INSTALL_MOD_DIR); the module may be compressed (6.12's Kbuild does).
uninstall:
	$(MAKE) -C tools/vmirrorctl uninstall PREFIX=$(PREFIX)
	@set -e; ko=$(DESTDIR)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/kernel/dm-vmirror.ko; \
	for f in "$$ko" "$$ko.xz" "$$ko.zst" "$$ko.gz"; do \
		if [ -n "$(KVER)" ] && [ -e "$$f" ]; then \
			echo "rm $$f"; rm -f "$$f"; \
			rmdir --ignore-fail-on-non-empty "$${ko%/*}" "$${ko%/kernel/*}"; \
			$(if $(DESTDIR),:,depmod -a $(KVER)); \
		fi; \
	done

# The module source as DKMS wants it, in $(DESTDIR)$(DKMS_SRC) or
# MODULE_SRC_DIR (the dm-vmirror-dkms package is made of it, make
# check-debug builds it).
module-src:
	@set -e; dir=$(or $(MODULE_SRC_DIR),$(DESTDIR)$(DKMS_SRC)); \
	for f in $(MODULE_SRC_FILES); do install -D -m 0644 $$f $$dir/$$f; done

# DKMS from this tree: the source in $(DKMS_SRC), built and installed for
# KVER (and by DKMS for every kernel installed later).
dkms-install:
	@command -v dkms >/dev/null || { echo "dkms-install: needs dkms ('scripts/deps.sh deb')" >&2; exit 1; }
	rm -rf $(DKMS_SRC)
	$(MAKE) module-src DESTDIR=
	dkms install dm-vmirror/$(VERSION) -k $(KVER)

dkms-uninstall:
	if dkms status dm-vmirror/$(VERSION) | grep -q .; then dkms remove dm-vmirror/$(VERSION) --all; fi
	rm -rf $(DKMS_SRC)

# dist/dm-vmirror-dkms_$(VERSION)_all.deb and dist/vmirrorctl_$(VERSION)_<arch>.deb,
# built by dpkg-buildpackage from debian/ in a copy of the files git knows.
deb:
	$(CURDIR)/scripts/deps.sh deb
	$(CURDIR)/scripts/mkdeb.sh

# Builds the debs, installs them on this machine, loads the DKMS-built
# module in the VM, and purges them (also when a step fails).
deb-check: deps deb
	$(MAKE) module tools
	$(CURDIR)/tests/host/deb.sh

deps:
	$(CURDIR)/scripts/deps.sh

# The 6.12 kernel (bookworm-backports) and the unstable build chroot.
deps-kernels:
	$(CURDIR)/scripts/deps.sh kernels

# Sub-makes, so that KDIR is looked up after deps has installed headers.
check: deps
	$(MAKE) module tools
	$(CURDIR)/tests/check.sh

# The module built for 6.1, 6.12 and the newest kernel of unstable (W=1 and
# sparse; a warning fails), then the VM suite on 6.12 and on 6.1 (the tree's
# module is 6.1's again at the end).  Each VM suite takes as long as the one
# of 'make check'; an hour before the VM is killed (VM_TIMEOUT), as a machine
# busy with other work can make a suite take longer than 'make check' allows.
check-kernels: deps-kernels
	$(CURDIR)/scripts/kernels.sh build all
	@rc=0; for k in 6.12 6.1; do \
		echo "== VM suite on $$k"; start=$$(date +%s); \
		VM_TIMEOUT=$${VM_TIMEOUT:-3600} $(MAKE) --no-print-directory vm-check KVER=$$k || \
			{ rc=1; echo "check-kernels: FAIL on $$k"; }; \
		echo "check-kernels: VM suite on $$k: $$(($$(date +%s) - start)) s"; \
	done; \
	[ $$rc -eq 0 ] && echo "check-kernels: built for 6.1, 6.12 and unstable; VM suite passed on 6.12 and 6.1"; \
	exit $$rc

unit:
	$(MAKE) -C tests/unit check

fuzz:
	$(MAKE) -C tests/fuzz long

vm-check: module tools
	$(CURDIR)/tests/check.sh --vm-only $(TESTS)

# The power-cut tests alone: two VM boots each on the same disk images
# (tests/vm/crash.sh); make check runs 05, 10 and 50 of them.
crash-check: module tools
	$(CURDIR)/tests/vm/crash.sh $(TESTS)

# The soak test alone, for SOAK_SECONDS (make check runs it for 60 s).
SOAK_SECONDS ?= 600
soak: deps
	$(MAKE) module tools
	SOAK_SECONDS=$(SOAK_SECONDS) VM_TEST_TIMEOUT=$$(($(SOAK_SECONDS) + 600)) \
		$(CURDIR)/tests/check.sh --vm-only 99-soak

# The whole VM suite on a kernel with KASAN, lockdep, kmemleak, ... (built
# once by scripts/debug-kernel.sh and cached in /var/cache/dm-vmirror).
DEBUG_MODULE_DIR ?= /var/cache/dm-vmirror/debug-module
check-debug: deps
	$(CURDIR)/scripts/deps.sh debug
	$(MAKE) -C tests/ioctl
	$(MAKE) tools
	@set -e; eval "$$($(CURDIR)/scripts/debug-kernel.sh)"; \
	rm -rf $(DEBUG_MODULE_DIR); mkdir -p $(DEBUG_MODULE_DIR); \
	$(MAKE) module-src MODULE_SRC_DIR=$(DEBUG_MODULE_DIR); \
	$(MAKE) -C $$KDIR M=$(DEBUG_MODULE_DIR) modules; \
	mkdir -p $(DEBUG_MODULE_DIR)/kmod; \
	cp tests/kmod/Kbuild tests/kmod/*.c $(DEBUG_MODULE_DIR)/kmod/; \
	$(MAKE) -C $$KDIR M=$(DEBUG_MODULE_DIR)/kmod modules; \
	VM_KVER=$$KVER VM_KERNEL=$$VM_KERNEL \
		VMIRROR_KO=$(DEBUG_MODULE_DIR)/kernel/dm-vmirror.ko VM_RATE_DIV=4 \
		VMIRROR_DELAY_KO=$(DEBUG_MODULE_DIR)/kmod/vmirror-delay.ko \
		VM_TEST_TIMEOUT=$${VM_TEST_TIMEOUT:-1800} VM_TIMEOUT=$${VM_TIMEOUT:-14400} \
		$(CURDIR)/tests/check.sh --vm-only $(TESTS)

bench: deps
	$(MAKE) module tools
	$(CURDIR)/bench/run.sh

# Sync vs async mode over a mirror 20 ms away (bench/async.sh): one VM
# boot, about 15 minutes; writes bench/results/async.md.
bench-async: deps
	$(MAKE) module
	$(CURDIR)/bench/async.sh

# Where the CPU time of a 4k write goes, per device (bench/profile.sh,
# perf's software clock): one VM boot, about 30 minutes; writes
# bench/results/profile.md.
bench-profile: deps
	$(CURDIR)/scripts/deps.sh profile
	$(MAKE) module
	$(CURDIR)/bench/profile.sh

demo: deps
	$(MAKE) module tools
	$(CURDIR)/tests/vm/run.sh --mem 2048 -- bash $(CURDIR)/tests/demo.sh

lint: module
	$(CURDIR)/scripts/deps.sh lint
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 C=2 modules
	$(CURDIR)/scripts/checkpatch.sh

# Works without kernel headers too (a fresh machine, or headers removed).
clean:
	if [ -d "$(KDIR)" ]; then $(MAKE) -C $(KDIR) M=$(CURDIR) clean; else \
		rm -f kernel/*.o kernel/*.ko kernel/*.mod kernel/*.mod.c kernel/.*.cmd \
			kernel/modules.order modules.order Module.symvers .*.cmd; fi
	$(MAKE) -C tests/unit clean
	$(MAKE) -C tests/fuzz clean
	if [ -d "$(KDIR)" ]; then $(MAKE) -C tests/kmod clean; fi
	$(MAKE) -C tools/vmirrorctl clean
	rm -rf dist
