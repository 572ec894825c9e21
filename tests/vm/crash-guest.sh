#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/vm/crash-guest.sh - guest side of a power-cut test (tests/vm/crash.sh
# runs it): bash tests/vm/crash-guest.sh NAME PHASE
#
# Loads virtio_blk and the vmirror module, finds the test's disks by their
# virtio serial (for DISKS="src:64 mir:64", $DISK_src and $DISK_mir are
# their /dev/vdX), then runs phase1 or phase2 of tests/vm/crash/NAME.sh
# with `set -euo pipefail`, in a scratch dir.  Phase 1 saves what phase 2
# must know with note KEY VALUE and ends with vm_power_cut; phase 2 reads it
# back with noted KEY.
set -euo pipefail
[[ ${VM_GUEST:-} == 1 ]] || { echo "crash-guest.sh: run it through tests/vm/crash.sh" >&2; exit 2; }
NAME=$1 PHASE=$2
export SRCDIR=$PWD VM_SUITE_DIR=$PWD/tests/vm
# shellcheck source=lib.sh
. "$VM_SUITE_DIR/lib.sh"
# shellcheck source=vmirror-lib.sh
. "$VM_SUITE_DIR/vmirror-lib.sh"

# note KEY VALUE  - for phase 2 (phase 1 only)
note() {
	mkdir -p "$VM_OUT/notes"
	printf '%s\n' "$2" >"$VM_OUT/notes/$1"
	echo "   noted $1=$2"
}

# noted KEY  - what phase 1 noted (phase 2 only)
noted() {
	[[ -f $VM_OUT/phase1/$1 ]] || die "phase 1 noted no $1"
	cat "$VM_OUT/phase1/$1"
}

# disk_sectors_written DEV  - sectors written to DEV since boot (its stat)
disk_sectors_written() {
	blk_stat "$1" 7
}

# shellcheck disable=SC1090
. "$VM_SUITE_DIR/crash/$NAME.sh"
modprobe virtio_blk
vmirror_load
for d in ${DISKS:-}; do
	serial=${d%%:*}
	dev=
	for _ in {1..50}; do
		for s in /sys/block/vd*/serial; do
			[[ -r $s && $(<"$s") == "$serial" ]] && dev=/dev/$(basename "$(dirname "$s")")
		done
		[[ -n $dev ]] && break
		sleep 0.1
	done
	[[ -b $dev ]] || die "no virtio disk with serial $serial"
	declare "DISK_$serial=$dev"
done
scratch=/tmp/crash-$NAME
mkdir -p "$scratch" && cd "$scratch"
dmesg_mark "crash test $NAME phase $PHASE"
echo "== $NAME phase $PHASE"
"phase$PHASE"
dmesg_check
echo "== $NAME phase $PHASE: ok"
