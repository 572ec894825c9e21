#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The whole test suite ("make check"): userspace unit tests, then the VM
# integration suite in one VM boot.  Every test prints "PASS name" or
# "FAIL name ..."; the last line is "N passed, N failed" and the exit
# status is non-zero if anything failed (or did not run).
#
#   tests/check.sh               everything
#   tests/check.sh --vm-only [TEST...]
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP" || exit 1
export VM_KVER=${VM_KVER:-${KVER:-}}
[ -n "$VM_KVER" ] || unset VM_KVER
# Settings the guest side reads (the soak's length, the per-test timeout).
export VM_ENV="${VM_ENV:-} SOAK_SECONDS VM_TEST_TIMEOUT VMIRROR_KO VMIRROR_DELAY_KO VM_RATE_DIV"

LOG=$(mktemp -d /tmp/vmirror-check.XXXXXX)
rc=0

if [ "${1:-}" != "--vm-only" ]; then
	echo "== unit tests (ASan/UBSan)"
	make -s -C tests/unit check 2>&1 | tee "$LOG/unit.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
	echo "== libFuzzer: table parser and state machine (${FUZZ_SECONDS:-20} s each)"
	make -s -C tests/fuzz check 2>&1 | tee -a "$LOG/unit.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
else
	shift
	: >"$LOG/unit.txt"
fi

echo "== ioctl test programs and the uapi layout (-m64 and -m32)"
make -s -C tests/ioctl check 2>&1 | tee "$LOG/ioctl-build.txt"
if [ "${PIPESTATUS[0]}" -eq 0 ]; then
	echo "PASS uapi-layout-m32-m64" >>"$LOG/unit.txt"
else
	echo "FAIL uapi-layout-m32-m64" >>"$LOG/unit.txt"
	rc=1
fi

echo "== the test-only kernel module (tests/kmod, a kprobe for test 67)"
if ! make -s -C tests/kmod >"$LOG/kmod-build.txt" 2>&1; then
	cat "$LOG/kmod-build.txt"
	echo "FAIL kmod-build (tests/kmod for ${KVER:-the default kernel})" | tee -a "$LOG/unit.txt"
	rc=1
fi
grep -v '^Skipping BTF' "$LOG/kmod-build.txt" || true

echo "== the kernel every entry point builds for and boots"
tests/host/kernel-choice.sh 2>&1 | tee -a "$LOG/unit.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1

echo "== one version number; install paths"
for t in tests/host/version.sh tests/host/install.sh; do
	"$t" 2>&1 | tee -a "$LOG/unit.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
done

echo "== VM integration suite"
# About 20 minutes on a quiet machine; the VM is killed after 45 (a
# machine shared with other VMs has run it in 31).
# Two SCSI disks of 16 MiB with WWNs: test 81 checks that metadata_dev
# knows legs by the unique id their driver reports (sparse files).
scsi="-device virtio-scsi-pci,id=vscsi"
for i in 1 2; do
	truncate -s 16M "$LOG/scsi$i.img"
	scsi+=" -drive file=$LOG/scsi$i.img,if=none,id=scsi$i,format=raw,cache=none"
	scsi+=" -device scsi-hd,bus=vscsi.0,drive=scsi$i,wwn=0x5000c50015ea71a$i"
done
VM_QEMU_EXTRA="${VM_QEMU_EXTRA:-} $scsi" \
	tests/vm/run.sh --timeout "${VM_TIMEOUT:-3600}" --out "$LOG/vm" -- bash tests/vm/suite.sh "$@" </dev/null 2>&1 |
	tee "$LOG/vm.txt"
[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
rm -f "$LOG"/scsi*.img

# The power-cut tests boot a VM twice each (tests/vm/crash.sh): the whole
# matrix takes longer than make check can afford under TCG (make
# crash-check), so make check runs three (CRASH_TESTS): flushed writes of an
# in-memory pair (05), a metadata_dev copy cut mid-way keeps its progress (10),
# and a write in flight to a region recorded in sync is copied again (50,
# the write-intent rule), unless VM tests were named.
: >"$LOG/crash.txt"
if [ $# -eq 0 ]; then
	echo "== power-cut tests (two VM boots each; the rest: make crash-check)"
	# shellcheck disable=SC2086 # a list of names
	tests/vm/crash.sh -q ${CRASH_TESTS:-05-synced-power-cut 10-mid-copy 50-write-intent} </dev/null 2>&1 | tee "$LOG/crash.txt"
	[ "${PIPESTATUS[0]}" -eq 0 ] || rc=1
fi

passed=$(cat "$LOG/unit.txt" "$LOG/vm.txt" "$LOG/crash.txt" | grep -c '^PASS ')
failed=$(cat "$LOG/unit.txt" "$LOG/vm.txt" "$LOG/crash.txt" | grep -c '^FAIL ')
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "FAIL harness (a test runner or the VM failed; logs in $LOG)"
	failed=1
fi
echo "logs: $LOG"
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
