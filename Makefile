# SPDX-License-Identifier: GPL-2.0-only
#
# dm-vmirror.  The two commands of the README:
#   make demo    a live migration in a VM, progress to 100 %, data verified
#   make check   unit tests and the VM integration suite
#
# KVER: the kernel release to build for (default: scripts/kver.sh, derived
# from what is installed; no ABI version is written anywhere in the repo).
# KDIR: its build tree (default /lib/modules/$(KVER)/build).  Given KDIR
# alone, KVER is that tree's release.  The VM boots the kernel the module
# was built for (tests/vm/run.sh reads the module's vermagic).

ifeq ($(origin KDIR),undefined)
KVER ?= $(shell $(CURDIR)/scripts/kver.sh 2>/dev/null)
KDIR := $(if $(KVER),/lib/modules/$(KVER)/build)
else
KVER ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
endif
# Only a KVER the user chose is handed to the test scripts; otherwise they
# follow the module's vermagic.
ifneq ($(filter command line environment,$(origin KVER)),)
export KVER
endif

.PHONY: all module tools deps check check-debug unit fuzz soak vm-check demo bench install lint clean help print-kver

all: module tools

help:
	@echo "make [all]     build kernel/dm-vmirror.ko (KDIR=$(KDIR)) and vmirrorctl"
	@echo "make install   install vmirrorctl, its man page, completion, the uapi header"
	@echo "make check     install deps, build, run unit + VM tests"
	@echo "make demo      install deps, build, show a live mirror in a VM"
	@echo "make bench     benchmarks in a VM -> bench/results/latest.md"
	@echo "make unit      userspace unit tests only (ASan/UBSan)"
	@echo "make fuzz      libFuzzer on the parser and state machine, 10 min each"
	@echo "make vm-check  VM integration suite only (TESTS='names' to pick)"
	@echo "make lint      W=1, sparse (C=2) and checkpatch on the kernel code"
	@echo "make soak      fio verify under random operations, SOAK_SECONDS (600)"
	@echo "make check-debug  VM suite on a KASAN/lockdep/kmemleak kernel (long)"

# The release the module is built for, and so the kernel the VM boots.
print-kver:
	@echo $(KVER)

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "No kernel build tree '$(KDIR)' (KVER=$(KVER)); run 'make deps'" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

tools:
	$(MAKE) -C tools/vmirrorctl

# The tool, its man page and bash completion, and the uapi header.
install: tools
	$(MAKE) -C tools/vmirrorctl install

deps:
	$(CURDIR)/scripts/deps.sh

# Sub-makes, so that KDIR is looked up after deps has installed headers.
check: deps
	$(MAKE) module tools
	$(CURDIR)/tests/check.sh

unit:
	$(MAKE) -C tests/unit check

fuzz:
	$(MAKE) -C tests/fuzz long

vm-check: module tools
	$(CURDIR)/tests/check.sh --vm-only $(TESTS)

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
	mkdir -p $(DEBUG_MODULE_DIR)/kernel; cp -r Kbuild uapi $(DEBUG_MODULE_DIR)/; \
	cp kernel/Kbuild kernel/*.h $(filter-out %.mod.c,$(wildcard kernel/*.c)) \
		$(DEBUG_MODULE_DIR)/kernel/; \
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
	$(MAKE) module
	$(CURDIR)/bench/run.sh

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
