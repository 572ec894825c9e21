#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Guest side: time a full vmirror copy of a RAM disk against dd doing the
# same copy, in the same VM run.  Both RAM disks are pre-filled first
# (brd allocates a page on its first write, which would otherwise land in
# whichever measurement touches it first).
#   tests/vm/run.sh --mem 4096 -- bash bench/copy-vs-dd.sh [MB]
set -euo pipefail
SRCDIR=${SRCDIR:-$PWD}
VM_SUITE_DIR=$SRCDIR/tests/vm
. "$VM_SUITE_DIR/lib.sh"
. "$VM_SUITE_DIR/vmirror-lib.sh"
MB=${1:-1024}
sectors=$((MB * 2048))

now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }

vmirror_load
make_ramdisks 2 "$MB"
fill_random /dev/ram0 "$sectors"
dd if=/dev/zero of=/dev/ram1 bs=1M count="$MB" oflag=direct status=none

for run in 1 2; do
	t0=$(now)
	dd if=/dev/ram0 of=/dev/ram1 bs=1M count="$MB" iflag=direct oflag=direct status=none
	t1=$(now)
	echo "dd run $run: $(secs "$t0" "$t1") s"
	dd if=/dev/zero of=/dev/ram1 bs=1M count="$MB" oflag=direct status=none

	for prio in same high; do
		# Created inactive, timed from "activate"; waits on DM events
		# rather than polling, which would steal the emulated CPUs.
		dmsetup create bench --table "0 $sectors vmirror /dev/ram0 0 /dev/ram1 0 3 copy_priority $prio no_activation"
		t0=$(now)
		dmsetup message bench 0 activate
		while :; do
			ev=$(dmsetup info -c --noheadings -o events bench)
			[[ $(vmirror_field bench 1) == synchronized ]] && break
			dmsetup wait bench "$ev" >/dev/null
		done
		t1=$(now)
		echo "vmirror ($prio) run $run: $(secs "$t0" "$t1") s"
		dmsetup remove bench
		dd if=/dev/zero of=/dev/ram1 bs=1M count="$MB" oflag=direct status=none
	done
done
