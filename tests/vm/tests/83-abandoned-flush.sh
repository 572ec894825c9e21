# shellcheck shell=bash
# 83-abandoned-flush: a suspend that finds the copier's mirror flush stuck
# abandons it after the drain timeout.  Whether the mirror keeps what that
# flush was to make durable is then unknown, and its answer can no longer
# reach the table that owns the region map: every region must count as out
# of sync (a full copy again), not only the regions of the abandoned batch.
# Before the fix the regions committed before stayed in sync, and a later
# failure of the abandoned flush was only logged.
DESCRIPTION="a mirror flush abandoned at suspend puts every region out of sync"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB, 64 regions of 512 KiB

test() {
	local n nb

	vmirror_load
	modprobe dm-delay
	make_ramdisks 1 32
	fill_random /dev/ram0 $SZ
	# A mirror with a write cache: the block layer completes flushes to
	# one without (brd) at once, before dm-delay could hold them.
	nb=$(make_nullb abflush 32)
	dmsetup create mir --table "0 $SZ delay $nb 0 0 $nb 0 0 $nb 0 0"
	dm_mknodes
	# 1 MiB/s: a few regions are committed, the copy goes on.
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/mir 0 4 region_size 1024 max_copy_rate 1024"
	dm_mknodes
	for ((n = 0; n < 100 && $(vmirror_synced vm) < 4; n++)); do sleep 0.1; done
	(($(vmirror_synced vm) >= 4)) || die "nothing committed: $(dmsetup status vm)"

	echo "== the mirror holds its flushes 30 s; the copier's next flush is stuck"
	dm_reload mir "0 $SZ delay $nb 0 0 $nb 0 0 $nb 0 30000"
	sleep 3
	n=$(vmirror_synced vm)
	echo "   before the suspend: $(dmsetup status vm | cut -d' ' -f4-6)"
	[[ $(vmirror_field vm 1) == unsynchronized ]] ||
		die "the copy ended before the suspend; this test needs it running"
	dmesg_mark
	timeout 20 dmsetup suspend vm || die "suspend did not complete"
	dmsetup resume vm
	echo "   after the resume:   $(dmsetup status vm | cut -d' ' -f4-6)"
	dmesg_since_mark | grep "vmirror" || true
	((n > 0)) || die "no region was in sync before the suspend"
	(($(vmirror_synced vm) == 0)) ||
		die "the mirror's durability is unknown, yet $(vmirror_synced vm) regions still count as in sync"
	[[ $(vmirror_field vm 1) == unsynchronized ]] || die "state: $(dmsetup status vm)"

	echo "== the mirror answers again: the copy ends, identical"
	dm_reload mir "0 $SZ linear $nb 0"
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 120
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 "$nb" 0 $SZ || die "source and mirror differ"
	dmsetup remove vm mir
	rmdir /sys/kernel/config/nullb/abflush
	echo ok
}
