# shellcheck shell=bash
# 104-big-writes: a plain write spanning regions (issue 16).  DM core
# splits at 1 MiB (2 regions of 512 KiB); map takes the regions that go
# one way at once, trims the write to them, and ends, unsyncs and copies
# each of them.  1 MiB and 768 KiB writes (sequential, random, not region
# aligned) under fio verify: during a copy (regions copied, being copied,
# not copied yet), with metadata_dev, and with the mirror failing mid-run;
# a failed 1 MiB write takes both its regions out of sync.  Legs compared
# byte for byte each time.
DESCRIPTION="1 MiB / 768 KiB writes spanning regions: one clone per leg, fio verify during copy, metadata_dev, mirror error; legs equal"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=131072 # 64 MiB, 128 regions of 512 KiB

# fio_big NAME SEED [ARGS...]  - three jobs on disjoint parts of the
# device, crc32c verify: 1 MiB sequential QD1 (0-16 MiB), 1 MiB random
# QD8 (16-40 MiB), 768 KiB random QD4 from 40 MiB + 4 KiB (never region
# aligned: spans 2 regions, or crosses a 1 MiB boundary).
fio_big() {
	local name=$1 seed=$2
	shift 2
	fio --filename="$DEV" --direct=1 --ioengine=libaio --verify=crc32c \
		--verify_fatal=1 --randseed="$seed" "$@" --output="$TMPDIR/$name.txt" \
		--name=seq --rw=write --bs=1M --iodepth=1 --offset=0 --size=16M \
		--name=rand --rw=randwrite --bs=1M --iodepth=8 --offset=16M --size=24M \
		--name=unal --rw=randwrite --bs=768k --iodepth=4 --offset=40964k \
		--size=$((23 * 1024 - 4))k ||
		{ cat "$TMPDIR/$name.txt"; die "fio $name failed"; }
	grep -q 'err= 0' "$TMPDIR/$name.txt" || die "fio $name saw errors"
}

# compare  - suspended, source == mirror
compare() {
	dmsetup suspend vm
	cmp_devices "$SRC" 0 "$MIR" 0 $SZ || die "source and mirror differ"
	dmsetup resume vm
	echo "   byte-identical"
}

# one_clone_per_leg  - 16 aligned 1 MiB writes to a synchronized pair are
# 16 writes on each leg (32 when split at every region, as before).  The
# same writes first, so that with metadata_dev no region is recorded in
# sync (a write to one waits for a commit, and goes one region at a time).
one_clone_per_leg() {
	local s0 m0 s1 m1
	dd if=/dev/urandom of="$DEV" bs=1M count=16 seek=8 oflag=direct status=none ||
		die "1 MiB writes failed"
	s0=$(blk_stat "$SRC_DM" 5)
	m0=$(blk_stat "$MIR_DM" 5)
	dd if=/dev/urandom of="$DEV" bs=1M count=16 seek=8 oflag=direct status=none ||
		die "1 MiB writes failed"
	s1=$(blk_stat "$SRC_DM" 5)
	m1=$(blk_stat "$MIR_DM" 5)
	echo "   16 writes of 1 MiB: source leg $((s1 - s0)) writes, mirror leg $((m1 - m0))"
	((s1 - s0 == 16 && m1 - m0 == 16)) || die "1 MiB writes were split"
}

# setup DELAY_MS TABLE_TAIL  - legs (dm-delay over null_blk taking 1 MiB
# requests: brd's 127 KiB would split every write before the target) and vm
setup() {
	SRC=$(make_nullb bw_src 64 2048)
	MIR=$(make_nullb bw_mir 64 2048)
	META=$(make_nullb bw_meta 8)
	fill_random "$SRC" $SZ
	fill_random "$MIR" $SZ
	delay_leg src_d "$SRC" "$1"
	delay_leg mir_d "$MIR" "$1"
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src_d 0 /dev/mapper/mir_d 0 ${2/@META@/$META}"
	dm_mknodes
	DEV=$(dm_devname vm)
	SRC_DM=$(dm_devname src_d)
	MIR_DM=$(dm_devname mir_d)
}

teardown() {
	dmsetup remove vm
	dmsetup remove src_d mir_d
	rmdir /sys/kernel/config/nullb/bw_src /sys/kernel/config/nullb/bw_mir \
		/sys/kernel/config/nullb/bw_meta
}

# during_copy TABLE_TAIL WHAT  - fio while the copy runs, then in sync
during_copy() {
	local pct
	echo "== $2: fio during the copy"
	setup 2 "$1"
	fio_big "copy-$2" 1
	pct=$(vmirror_field vm 2)
	echo "   after fio: $(vmirror_field vm 1), $pct %"
	[[ $(vmirror_field vm 1) == unsynchronized && $pct -lt 100 ]] ||
		die "the copy was over before fio finished: no overlap tested"
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 300
	compare
	echo "== $2: fio in sync"
	fio_big "sync-$2" 2
	one_clone_per_leg
	compare
	[[ $(vmirror_field vm 9) == 0 && $(vmirror_field vm 10) == 0 ]] ||
		die "unexpected I/O errors: $(dmsetup status vm)"
	teardown
}

mirror_error() {
	local s0 s1 fpid

	echo "== the mirror fails one 1 MiB write: both its regions leave sync"
	setup 0 "2 region_size 1024"
	vmirror_wait vm synchronized 120
	dm_reload mir_d "0 $SZ flakey $MIR 0 0 60 1 error_writes"
	s0=$(vmirror_synced vm)
	dd if=/dev/urandom of="$DEV" bs=1M count=1 seek=8 oflag=direct status=none ||
		die "the host write failed with the mirror"
	s1=$(vmirror_synced vm)
	echo "   $(vmirror_field vm 1): regions in sync $s0 -> $s1"
	[[ $(vmirror_field vm 1) == broken ]] || die "not broken: $(dmsetup status vm)"
	((s1 <= s0 - 2)) || die "a region the failed write spans still counts as in sync"
	dm_reload mir_d "0 $SZ delay $MIR 0 0"
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 120
	compare

	echo "== the mirror fails mid-run under 1 MiB writes"
	fio_big err-a 3 &
	fpid=$!
	sleep 1
	dm_reload mir_d "0 $SZ flakey $MIR 0 0 60 1 error_writes"
	if kill -0 "$fpid" 2>/dev/null; then
		echo "   the mirror fails writes while fio runs"
	else
		echo "   fio ended before the mirror failed (a fast host)"
	fi
	wait "$fpid" || die "fio failed with the mirror failing"
	# Whatever the timing, 1 MiB writes reach the failing mirror: the
	# host sees no error, the pair breaks.
	dd if=/dev/urandom of="$DEV" bs=1M count=4 seek=60 oflag=direct status=none ||
		die "a 1 MiB write failed with the mirror failing"
	echo "   $(dmsetup status vm)"
	[[ $(vmirror_field vm 1) == broken ]] || die "not broken: $(dmsetup status vm)"
	[[ $(vmirror_field vm 9) == 0 ]] || die "source errors: $(dmsetup status vm)"
	fio_big err-b 4
	dm_reload mir_d "0 $SZ delay $MIR 0 0"
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 300
	compare
	teardown
}

test() {
	vmirror_load
	during_copy "4 region_size 1024 max_copy_rate $(rate 1024)" "in memory"
	# 64 KiB regions: a 1 MiB write spans 16 of them.
	during_copy "6 region_size 128 max_copy_rate $(rate 1024) metadata_dev @META@" \
		"metadata_dev, 64 KiB regions"
	mirror_error
	echo ok
}
