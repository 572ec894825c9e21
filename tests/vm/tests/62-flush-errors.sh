# shellcheck shell=bash
# 62-flush-errors: a leg that fails cache flushes.  The legs are null_blk
# devices with a volatile write cache (brd has none, so the block layer
# would drop the flushes before they reach the target), each under a DM
# leg device whose table is switched to dm-flakey error_writes: every
# write and flush fails, and an fsync with nothing dirty sends a flush only.
DESCRIPTION="flush errors: mirror -> broken with every region out of sync; source -> failedover; fsync never fails"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=131072 # 64 MiB

fsync_dev() {
	python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.fsync(fd)' "$1"
}

test() {
	local a b dev regions f0

	vmirror_load
	a=$(make_nullb vfa 64)
	b=$(make_nullb vfb 64)
	fill_random "$a" $SZ

	echo "== the mirror fails a flush once synchronized"
	dmsetup create src --table "0 $SZ linear $a 0"
	dmsetup create mir --table "0 $SZ linear $b 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/mapper/mir 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	[[ $(cat "/sys/block/${dev#/dev/}/queue/write_cache") == "write back" ]] ||
		die "vmirror does not advertise a write cache"
	dm_reload mir "0 $SZ flakey $b 0 0 60 1 error_writes"
	f0=$(blk_stat "$a" 16)
	fsync_dev "$dev" || die "fsync failed although the source flushed"
	(($(blk_stat "$a" 16) > f0)) || die "the flush did not reach the source"
	vmirror_expect vm broken broken requires_resync
	(($(vmirror_field vm 10) >= 1)) || die "mirror_errors: $(dmsetup status vm)"
	# Writes acknowledged since the last good flush may be lost anywhere
	# on the mirror: no region is in sync any more.
	regions=$(vmirror_field vm 3)
	[[ ${regions%%/*} == 0 ]] || die "regions still in sync after a failed mirror flush: $regions"
	echo "   $(dmsetup status vm)"

	echo "== the mirror repaired: resync copies everything, identical"
	fio --name=w --filename="$dev" --rw=randwrite --bs=4k --size=64M --io_size=2M \
		--direct=1 --ioengine=libaio --iodepth=4 --output="$TMPDIR/w.txt" ||
		die "host writes failed while broken"
	dm_reload mir "0 $SZ linear $b 0"
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 60
	vmirror_expect vm synchronized synchronized completed
	[[ $(vmirror_field vm 8) -ge $((SZ * 512 * 2)) ]] ||
		die "resync did not copy the whole disk: $(dmsetup status vm)"
	dmsetup suspend vm
	cmp_devices "$a" 0 "$b" 0 $SZ || die "legs differ after resync"
	dmsetup resume vm

	echo "== the source fails a flush once synchronized: failedover, fsync succeeds"
	dm_reload src "0 $SZ flakey $a 0 0 60 1 error_writes"
	f0=$(blk_stat "$b" 16)
	fsync_dev "$dev" || die "fsync failed although the mirror flushed"
	(($(blk_stat "$b" 16) > f0)) || die "the flush did not reach the mirror"
	vmirror_expect vm failedover idle completed
	(($(vmirror_field vm 9) >= 1)) || die "source_errors: $(dmsetup status vm)"
	# From now on the mirror is the disk.
	fio --name=after --filename="$dev" --rw=randwrite --bs=4k --size=64M --io_size=2M \
		--direct=1 --ioengine=libaio --iodepth=4 --fsync=16 --verify=crc32c \
		--verify_fatal=1 --output="$TMPDIR/after.txt" ||
		{ cat "$TMPDIR/after.txt"; die "fio failed after failover"; }
	cmp_devices "$dev" 0 "$b" 0 $SZ || die "vmirror device and mirror differ"
	dmsetup remove vm src mir
	echo ok
}
