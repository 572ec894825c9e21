# shellcheck shell=bash
# 74-write-zeroes: a leg that advertises write-zeroes but refuses some of
# them with BLK_STS_NOTSUPP.  A loop device over a tmpfs file is one: it
# advertises write-zeroes, and one with REQ_NOUNMAP (fallocate
# --zero-range, BLKZEROOUT) becomes FALLOC_FL_ZERO_RANGE, which tmpfs does
# not do, so the loop driver completes it with -EOPNOTSUPP.  A loop device
# over an ext4 file does them.  A refused write-zeroes is no disk failure:
# it must neither break the mirror nor fail over; the legs then differ in
# that region, which must lose its in-sync status and be copied again.
DESCRIPTION="write-zeroes refused by one leg: no break, no failover, the region is copied again"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB

wz_max() { cat "/sys/block/${1#/dev/}/queue/write_zeroes_max_bytes"; }

# pair SOURCE MIRROR  - a synchronized vmirror "vm" over two loop devices
pair() {
	dmsetup create vm --table "0 $SZ vmirror $1 0 $2 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	DEV=$(dm_devname vm)
	(($(wz_max "$DEV") > 0)) || die "vmirror does not advertise write-zeroes"
}

# zero_range  - 1 MiB of write-zeroes with REQ_NOUNMAP at 3 MiB; must succeed
# (the block layer writes zero pages itself if the device refuses).
zero_range() {
	fallocate --zero-range --offset $((3 << 20)) --length $((1 << 20)) "$DEV" ||
		die "fallocate --zero-range failed"
	cmp -n $((1 << 20)) /dev/zero <(dd if="$DEV" bs=1M skip=3 count=1 iflag=direct status=none) ||
		die "the range does not read as zeroes"
}

# settle SOURCE MIRROR  - no break, no failover, nothing counted; back to
# synchronized with both legs identical
settle() {
	echo "   $(dmsetup status vm)"
	case $(vmirror_field vm 1) in
	synchronized | unsynchronized) ;;
	*) die "a refused write-zeroes changed the state: $(dmsetup status vm)" ;;
	esac
	[[ $(vmirror_field vm 9) == 0 && $(vmirror_field vm 10) == 0 ]] ||
		die "a refused write-zeroes was counted as a disk error: $(dmsetup status vm)"
	vmirror_wait vm synchronized 60
	vmirror_expect vm synchronized synchronized completed
	dmsetup suspend vm
	cmp_devices "$1" 0 "$2" 0 $SZ || die "the legs differ"
	dmsetup resume vm
}

# Whatever happens, leave no mount or loop device behind (brd must unload).
wz_cleanup() {
	dmsetup remove vm 2>/dev/null || true
	[[ -n ${E:-} ]] && losetup -d "$E" 2>/dev/null
	[[ -n ${T:-} ]] && losetup -d "$T" 2>/dev/null
	umount "$TMPDIR/ext" "$TMPDIR/tmp" 2>/dev/null || true
}

test() {
	local ext tmp e t c0

	vmirror_load
	modprobe loop
	modprobe ext4
	make_ramdisks 1 48
	ext=$TMPDIR/ext tmp=$TMPDIR/tmp
	mkdir -p "$ext" "$tmp"
	mkfs.ext4 -q -F /dev/ram0
	mount /dev/ram0 "$ext"
	mount -t tmpfs -o size=40m none "$tmp"
	truncate -s $((SZ * 512)) "$ext/leg.img" "$tmp/leg.img"
	trap wz_cleanup EXIT
	e=$(losetup -f --show "$ext/leg.img")
	E=$e
	t=$(losetup -f --show "$tmp/leg.img")
	T=$t
	(($(wz_max "$e") > 0 && $(wz_max "$t") > 0)) || die "loop does not advertise write-zeroes"
	fill_random "$e" $SZ

	echo "== the mirror refuses a write-zeroes (loop over tmpfs)"
	pair "$e" "$t"
	c0=$(vmirror_field vm 8)
	dmesg_mark
	zero_range
	settle "$e" "$t"
	(($(vmirror_field vm 8) > c0)) || die "the region was not copied again: $(dmsetup status vm)"
	dmesg_since_mark | grep -E "vmirror.*(broken|failed over)" && die "logged a failure"
	dmsetup remove vm

	echo "== the source refuses a write-zeroes (loop over tmpfs)"
	# Since 6.11 the loop driver turns write-zeroes off for good once its
	# file refused one (loop_clear_limits()): a new loop device, same file.
	losetup -d "$t"
	t=$(losetup -f --show "$tmp/leg.img")
	T=$t
	(($(wz_max "$t") > 0)) || die "the new loop device does not advertise write-zeroes"
	fill_random "$t" $SZ
	pair "$t" "$e"
	dmesg_mark
	zero_range
	settle "$t" "$e"
	dmesg_since_mark | grep -E "vmirror.*(broken|failed over)" && die "logged a failure"
	dmsetup remove vm

	echo ok
}
