# shellcheck shell=bash
# 65-copy-flush: copied data is flushed on the mirror before anything
# counts it as in sync.  The mirror is a null_blk device with a volatile
# write cache, whose completed flushes are field 16 of its stat file.
#  - creation to synchronized: at least one flush reaches the mirror;
#  - break flushes the mirror before it completes, and fails with the
#    mirror broken if that flush fails;
#  - fracture or cancel, then resync with nothing to copy: the mirror is
#    flushed before synchronized (the host's flushes went to the source
#    alone meanwhile), also when the cancel came while the copier's last
#    flush was in flight;
#  - with the mirror's flushes held back 8 s (dm-delay's flush class),
#    regions_synced, percent_synced and bytes_copied stay 0 and the state
#    unsynchronized until a flush has completed, although the copy has
#    written every sector (field 7 of the stat file).
DESCRIPTION="copies are flushed before they count: flushes from creation to synchronized, at break; nothing counted before a flush"

. "$VM_SUITE_DIR/vmirror-lib.sh"

NULLB_CFG=/sys/kernel/config/nullb
SZ=65536 # 32 MiB

# resync_flushes MIRROR WHAT  - resync "vm" (nothing to copy): the mirror
# must be flushed before synchronized; then the legs $a and MIRROR are
# compared and vm removed.
resync_flushes() {
	local f0 f1
	f0=$(blk_stat "$1" 16)
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 60
	f1=$(blk_stat "$1" 16)
	echo "   $2, resync: mirror flushes before synchronized: $((f1 - f0))"
	((f1 > f0)) || fail "$2, then resync: synchronized without a mirror flush"
	dmsetup suspend vm
	cmp_devices "$a" 0 "$1" 0 $SZ || die "legs differ"
	dmsetup remove vm
}

# Each part runs to its end, so one run shows every failure.
FAILED=()
fail() { echo "   FAILED: $*"; FAILED+=("$*"); }

test() {
	local a b dev f0 f1 w0 wr t0 st seen=0

	vmirror_load
	a=$(make_nullb cfa 32)
	b=$(make_nullb cfb 32)
	[[ $(cat "/sys/block/${b#/dev/}/queue/write_cache") == "write back" ]] ||
		die "null_blk has no write cache"
	fill_random "$a" $SZ

	echo "== creation to synchronized: flushes reaching the mirror"
	f0=$(blk_stat "$b" 16)
	dmsetup create vm --table "0 $SZ vmirror $a 0 $b 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	f1=$(blk_stat "$b" 16)
	echo "   mirror flushes from creation to synchronized: $((f1 - f0))"
	((f1 > f0)) || fail "synchronized, and the mirror was never flushed"
	dmsetup suspend vm
	cmp_devices "$a" 0 "$b" 0 $SZ || die "legs differ"
	dmsetup resume vm

	echo "== break flushes the mirror before it completes"
	dev=$(dm_devname vm)
	dd if=/dev/urandom of="$dev" bs=64k count=16 oflag=direct status=none
	f0=$(blk_stat "$b" 16)
	dmsetup message vm 0 break
	f1=$(blk_stat "$b" 16)
	echo "   mirror flushes during break: $((f1 - f0))"
	((f1 > f0)) || fail "break completed without flushing the mirror"
	[[ $(vmirror_field vm 1) == failedover ]] || die "not failedover: $(dmsetup status vm)"
	dmsetup remove vm

	echo "== break with a mirror that fails its flush: -EIO, broken"
	dmsetup create mir --table "0 $SZ linear $b 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror $a 0 /dev/mapper/mir 0"
	vmirror_wait vm synchronized 60
	dm_reload mir "0 $SZ flakey $b 0 0 60 1 error_writes"
	if dmsetup message vm 0 break 2>/dev/null; then
		fail "break succeeded although the mirror failed its flush"
	fi
	echo "   $(dmsetup status vm)"
	[[ $(vmirror_field vm 1) == broken ]] ||
		fail "not broken after a failed flush at break: $(vmirror_field vm 1)"
	dmsetup remove vm mir

	echo "== fracture or cancel, then a resync with nothing to copy: a mirror flush before synchronized"
	local op
	for op in fracture cancel; do
		dmsetup create vm --table "0 $SZ vmirror $a 0 $b 0"
		dm_mknodes
		vmirror_wait vm synchronized 60
		dev=$(dm_devname vm)
		# In the mirror's cache; the host's flushes go to the source alone now.
		dd if=/dev/urandom of="$dev" bs=64k count=4 oflag=direct status=none
		dmsetup message vm 0 "$op"
		sync "$dev"
		resync_flushes "$b" "$op"
	done

	echo "== cancel while the last flush before synchronized is in flight, resync: flushed again"
	# Mirror flushes held 3 s: every region is in sync and the pair still
	# unsynchronized while the copier's last flush waits.  A write sent to
	# both disks then is not covered by it; after cancel the host's flush
	# goes to the source alone, so a resync must flush the mirror again.
	fill_random "$a" $SZ
	dmsetup create slowflush --table "0 $SZ delay $b 0 0 $b 0 0 $b 0 3000"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror $a 0 /dev/mapper/slowflush 0"
	dm_mknodes
	dev=$(dm_devname vm)
	t0=$(date +%s%N)
	until [[ $(vmirror_field vm 1) == unsynchronized && $(vmirror_field vm 2) == 100 ]]; do
		(($(date +%s%N) - t0 < 60000000000)) || die "never all in sync and unsynchronized"
		sleep 0.05
	done
	dd if=/dev/urandom of="$dev" bs=4k count=1 seek=100 oflag=direct status=none
	dmsetup message vm 0 cancel
	sync "$dev"
	sleep 4
	resync_flushes "$b" "cancel during the last flush"
	dmsetup remove slowflush

	echo "== mirror flushes held back 8 s: nothing counts as in sync before one completes"
	fill_random "$a" $SZ
	dmsetup create slowflush --table "0 $SZ delay $b 0 0 $b 0 0 $b 0 8000"
	dm_mknodes
	f0=$(blk_stat "$b" 16)
	w0=$(blk_stat "$b" 7)
	t0=$(date +%s%N)
	dmsetup create vm --table "0 $SZ vmirror $a 0 /dev/mapper/slowflush 0"
	dm_mknodes
	while (($(blk_stat "$b" 16) == f0)); do
		st=$(dmsetup status vm | awk '{ print $4, $5, $6, $11 }')
		wr=$(($(blk_stat "$b" 7) - w0))
		# Read after the status: no flush had completed when it was taken.
		(($(blk_stat "$b" 16) == f0)) || break
		if [[ $st != "unsynchronized 0 0/"*" 0" ]]; then
			fail "counted in sync before any mirror flush completed: $st ($wr sectors copied)"
			break
		fi
		((wr >= SZ)) && seen=$((seen + 1))
		(($(date +%s%N) - t0 < 60000000000)) || die "no mirror flush in 60 s"
		sleep 0.2
	done
	echo "   first mirror flush completed $((($(date +%s%N) - t0) / 1000000)) ms after creation"
	echo "   $seen samples with every sector copied and nothing counted in sync"
	((${#FAILED[@]} || seen >= 1)) ||
		fail "no sample showed the whole copy written and unflushed"
	vmirror_wait vm synchronized 120
	echo "   $(dmsetup status vm)"
	dmsetup suspend vm
	cmp_devices "$a" 0 "$b" 0 $SZ || die "legs differ"
	dmsetup remove vm slowflush
	rmdir "$NULLB_CFG/cfa" "$NULLB_CFG/cfb"
	((${#FAILED[@]} == 0)) || die "${#FAILED[@]} checks failed"
	echo ok
}
