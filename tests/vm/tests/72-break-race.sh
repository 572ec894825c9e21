# shellcheck shell=bash
# 72-break-race: a write sent to both legs while synchronized completes
# after `break` (or after a failover caused by another I/O): the mirror is
# then the only disk that serves reads, so the mirror's error is the
# host's error.  A write acknowledged but on no disk that serves reads
# would be a lost write.
DESCRIPTION="a mirror write error racing break or failover fails the host write"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=16384        # 8 MiB
DELAY_MS=8000   # the mirror holds writes this long
BLK=100         # the 4 KiB block written

# setup  - src (linear over ram0), mirror = delay over mleg (linear over
# ram1), a synchronized pair (nosync: both ram disks are fresh zeros).
setup() {
	dmsetup create src --table "0 $SZ linear /dev/ram0 0"
	dmsetup create mleg --table "0 $SZ linear /dev/ram1 0"
	dm_mknodes
	delay_leg mir /dev/mapper/mleg $DELAY_MS
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/mapper/mir 0 1 nosync"
	dm_mknodes
	vmirror_wait vm synchronized 10
	head -c 4096 /dev/urandom >"$TMPDIR/block"
}

teardown() {
	dmsetup remove vm mir mleg src
	dd if=/dev/zero of=/dev/ram0 bs=1M count=8 oflag=direct status=none
	dd if=/dev/zero of=/dev/ram1 bs=1M count=8 oflag=direct status=none
}

# write_in_flight DEV  - start the 4 KiB direct write; its mirror half
# waits in dm-delay; then the mirror leg fails writes (reads still work).
# Sets WPID.
write_in_flight() {
	dd if="$TMPDIR/block" of="$1" bs=4k count=1 seek=$BLK oflag=direct status=none &
	WPID=$!
	sleep 0.5
	dm_reload mleg "0 $SZ flakey /dev/ram1 0 0 60 1 error_writes"
}

# still_in_flight  - the race is only a race if the write has not ended
still_in_flight() {
	kill -0 $WPID 2>/dev/null ||
		die "the write ended before the race was set up (the VM is too slow for ${DELAY_MS} ms)"
}

# check_outcome DEV RC  - the write either failed, or is on the disk that
# serves reads now.
check_outcome() {
	local dev=$1 rc=$2
	echo "   dd exit status $rc; $(dmsetup status vm)"
	(($(vmirror_field vm 10) >= 1)) || die "the mirror error was not counted"
	[[ $(vmirror_field vm 1) == failedover ]] || die "not failedover: $(dmsetup status vm)"
	# The mirror leg repaired: what the host reads now is the mirror.
	dm_reload mleg "0 $SZ linear /dev/ram1 0"
	if ((rc == 0)); then
		if cmp -s "$TMPDIR/block" <(dd if="$dev" bs=4k count=1 skip=$BLK iflag=direct status=none); then
			echo "   the write is on the mirror"
		else
			echo "   FAILED: dd was told the write succeeded, but the disk that serves reads does not have it"
			FAILED=1
		fi
	fi
}

break_race() {
	local dev rc=0
	echo "== break while a write's mirror half is in flight, then the mirror fails it"
	setup
	dev=$(dm_devname vm)
	write_in_flight "$dev"
	dmsetup message vm 0 break
	still_in_flight
	wait $WPID || rc=$?
	check_outcome "$dev" $rc
	teardown
}

failover_race() {
	local dev rc=0
	echo "== another I/O fails the source over while a write's mirror half is in flight"
	setup
	dev=$(dm_devname vm)
	write_in_flight "$dev"
	dm_reload src "0 $SZ error"
	# A read of another block fails on the source: failover, read from the mirror.
	dd if="$dev" of=/dev/null bs=4k count=1 skip=$((BLK + 100)) iflag=direct status=none ||
		die "the read that fails over failed"
	[[ $(vmirror_field vm 1) == failedover ]] || die "no failover: $(dmsetup status vm)"
	still_in_flight
	wait $WPID || rc=$?
	check_outcome "$dev" $rc
	teardown
}

test() {
	vmirror_load
	make_ramdisks 2 8
	FAILED=0
	break_race
	failover_race
	((FAILED == 0)) || die "an acknowledged write was lost"
	echo ok
}
