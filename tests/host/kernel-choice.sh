#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Every entry point builds for and boots the same kernel, and no kernel ABI
# version is written into the repo (Debian bumps it: 6.1.0-56 -> 6.1.0-57
# broke "make demo" on every fresh machine while "make check" passed).
# Prints "PASS kernel-choice" or "FAIL kernel-choice: ...".
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$TOP" || exit 1
fail() { echo "FAIL kernel-choice: $*"; exit 1; }

# The shapes: X.Y.Z-N-amd64 (bookworm), X.Y.Z+debN-amd64 (backports,
# unstable), X.Y.Z+bpo-amd64 (older backports); this file included.
abi=$(git grep -nE '[0-9]\.[0-9]+\.[0-9]+(-[0-9]+|\+deb[0-9]+|\+bpo)-(amd64|cloud-amd64|rt-amd64|arm64)' -- \
	':!*.md' ':!bench/results' 2>/dev/null)
[[ -z $abi ]] || fail "a kernel ABI version is written into the repo: $abi"

chosen=$(scripts/kver.sh) || fail "scripts/kver.sh chose nothing"
make_kver=$(make -s --no-print-directory print-kver) || fail "make print-kver failed"
kdir=$(scripts/kdir.sh)
read -r vm_kver vm_kernel < <(env -u VM_KVER -u KVER tests/vm/run.sh --print-kernel) ||
	fail "tests/vm/run.sh --print-kernel failed"
[[ $make_kver == "$chosen" ]] || fail "make builds for $make_kver, scripts/kver.sh says $chosen"
[[ $kdir == /lib/modules/$chosen/build ]] || fail "scripts/kdir.sh says $kdir for $chosen"
[[ -f $vm_kernel ]] || fail "the VM would boot $vm_kernel, which is not installed"
if [[ -f kernel/dm-vmirror.ko ]]; then
	ko_kver=$(scripts/kver.sh --module kernel/dm-vmirror.ko) || fail "no vermagic in the module"
	[[ $vm_kver == "$ko_kver" ]] ||
		fail "the module is built for $ko_kver, the VM would boot $vm_kver"
fi
[[ $vm_kver == "$chosen" ]] || fail "the VM boots $vm_kver, the module is built for $chosen"

# A release given by the user wins everywhere.
[[ $(make -s --no-print-directory print-kver KVER=9.9.9-test) == 9.9.9-test ]] ||
	fail "make ignores KVER="
[[ $(KVER=9.9.9-test scripts/kver.sh) == 9.9.9-test ]] || fail "scripts/kver.sh ignores KVER"
[[ $(VM_KVER=9.9.9-test tests/vm/run.sh --print-kernel) == "9.9.9-test /boot/vmlinuz-9.9.9-test" ]] ||
	fail "tests/vm/run.sh ignores VM_KVER"
# A series stands for its newest installed release, the same everywhere: 6.1,
# which the default must be whatever else is installed, and 6.12 when
# installed ('make check KVER=6.12', 'make deps-kernels').
for series in 6.1 6.12; do
	want=$(for d in /lib/modules/"$series".*/build; do
		if [[ -d $d ]]; then basename "$(dirname "$d")"; fi
	done | sort -V | tail -n 1)
	[[ -n $want ]] || continue
	default=$(env -u KVER scripts/kver.sh)
	[[ $series != 6.1 || $default == "$want" ]] ||
		fail "the default is $default, not the newest 6.1 ($want)"
	[[ $(KVER=$series scripts/kver.sh) == "$want" ]] || fail "KVER=$series is not $want for scripts/kver.sh"
	[[ $(make -s --no-print-directory print-kver KVER=$series) == "$want" ]] ||
		fail "make KVER=$series does not build for $want"
	[[ $(VM_KVER=$series tests/vm/run.sh --print-kernel) == "$want /boot/vmlinuz-$want" ]] ||
		fail "tests/vm/run.sh does not boot $want for VM_KVER=$series"
	[[ -f /boot/vmlinuz-$want ]] || fail "$want has headers but no /boot/vmlinuz-$want"
done
# The entry points that boot a VM leave the choice to run.sh (no VM_KVER of their own).
bad=$(grep -nE 'VM_KVER=[^$]' Makefile bench/*.sh tests/*.sh 2>/dev/null)
[[ -z $bad ]] || fail "an entry point picks its own kernel: $bad"
echo "PASS kernel-choice ($chosen)"
