# shellcheck shell=bash
# 86-discard-race: discards while the copy runs, and legs without discard.
#
#  1. The mirror is behind dm-delay (its copy writes are held 200 ms, and
#     dm-delay does no write-zeroes): discards race the copies of their
#     regions.  A discard of a region under copy is held like a write
#     until the copy ends (otherwise the copy, which read the data before
#     the discard, would leave it on the mirror while the source reads
#     zeroes); one of a region in sync goes to both legs and takes the
#     region out of sync, as the legs need not read the same after it.
#  2. The same with both legs on loop devices (they do write-zeroes) and
#     a rate-capped copy: discards of regions in sync become write-zeroes
#     on both legs.
#  3. A leg without discard (null_blk): the device advertises none,
#     blkdiscard is refused, and the pair still copies and mirrors.
# Each ends with the legs compared byte for byte.
DESCRIPTION="discards racing the copy (dm-delay mirror, rate-capped loops); a leg without discard: none advertised"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=131072 # 64 MiB in sectors
MNT= S= M=

# (errexit holds in a trap too: every step may fail)
race_cleanup() {
	dmsetup remove vm 2>/dev/null || true
	dmsetup remove dly 2>/dev/null || true
	[[ -z $S ]] || losetup -d "$S" 2>/dev/null || true
	[[ -z $M ]] || losetup -d "$M" 2>/dev/null || true
	[[ -z $MNT ]] || umount "$MNT" 2>/dev/null || true
	rmdir /sys/kernel/config/nullb/nb0 2>/dev/null || true
}

discard_max() { cat "/sys/block/${1#/dev/}/queue/discard_max_bytes"; }

# discard_some DEV  - blkdiscard 1 MiB every 3 MiB, and 2.5 MiB at 41.25 MiB
# (not region aligned: cut at each region boundary); all must succeed
discard_some() {
	local dev=$1 off
	for ((off = 0; off < 64; off += 3)); do
		blkdiscard -o $((off << 20)) -l $((1 << 20)) "$dev" ||
			die "blkdiscard at $off MiB failed"
	done
	blkdiscard -o $((165 << 18)) -l $((10 << 18)) "$dev" || die "blkdiscard at 41.25 MiB failed"
}

# settle SOURCE MIRROR  - synchronized, no disk error, legs equal
settle() {
	vmirror_wait vm synchronized 120 || die "not synchronized"
	echo "   $(dmsetup status vm)"
	[[ $(vmirror_field vm 9) == 0 && $(vmirror_field vm 10) == 0 ]] ||
		die "disk errors counted: $(dmsetup status vm)"
	dmsetup suspend vm
	cmp_devices "$1" 0 "$2" 0 $SZ || die "the legs differ"
	dmsetup resume vm
}

test() {
	local dev nb

	vmirror_load
	modprobe loop
	MNT=$TMPDIR/t
	mkdir -p "$MNT"
	mount -t tmpfs -o size=300m none "$MNT"
	trap race_cleanup EXIT
	truncate -s $((SZ * 512)) "$MNT/s.img" "$MNT/m.img"
	S=$(losetup -f --show "$MNT/s.img")
	M=$(losetup -f --show "$MNT/m.img")

	echo "== 1. discards race copies held by a dm-delay mirror"
	fill_random "$S" $SZ
	delay_leg dly "$M" 200
	(($(discard_max "$(dm_devname dly)") > 0)) || die "dm-delay does not discard"
	dmsetup create vm --table "0 $SZ vmirror $S 0 /dev/mapper/dly 0 2 region_size 1024"
	dm_mknodes
	dev=$(dm_devname vm)
	(($(discard_max "$dev") > 0)) || die "vmirror does not advertise discard over two legs that do"
	sleep 1
	echo "   while copying: $(dmsetup status vm)"
	discard_some "$dev"
	settle "$S" /dev/mapper/dly
	echo "   discards of regions in sync (no write-zeroes on dm-delay: copied again)"
	fill_random "$dev" 8192 32768
	discard_some "$dev"
	settle "$S" /dev/mapper/dly
	dmsetup remove vm
	dmsetup remove dly

	echo "== 2. rate-capped copy between loop devices (write-zeroes on both)"
	fill_random "$S" $SZ
	dmsetup create vm --table "0 $SZ vmirror $S 0 $M 0 2 max_copy_rate $(rate 16384)"
	dm_mknodes
	dev=$(dm_devname vm)
	sleep 1
	echo "   while copying: $(dmsetup status vm)"
	discard_some "$dev"
	fill_random "$dev" 4096 8192
	discard_some "$dev"
	dmsetup message vm 0 max_copy_rate 0
	settle "$S" "$M"
	echo "   discards of regions in sync: write-zeroes on both, still synchronized"
	discard_some "$dev"
	[[ $(vmirror_field vm 1) == synchronized ]] ||
		die "a discard took the pair out of synchronized: $(dmsetup status vm)"
	settle "$S" "$M"
	dmsetup remove vm

	echo "== 3. a leg without discard (null_blk): none advertised"
	nb=$(make_nullb nb0 64)
	(($(discard_max "$nb") == 0)) || die "null_blk discards"
	fill_random "$S" $SZ
	dmsetup create vm --table "0 $SZ vmirror $S 0 $nb 0"
	dm_mknodes
	dev=$(dm_devname vm)
	(($(discard_max "$dev") == 0)) || die "vmirror advertises discard over a mirror without"
	expect_fail blkdiscard -o 0 -l $((1 << 20)) "$dev"
	fill_random "$dev" 2048 4096
	settle "$S" "$nb"
	dmsetup remove vm
	echo "   the source without discard"
	dmsetup create vm --table "0 $SZ vmirror $nb 0 $S 0"
	dm_mknodes
	dev=$(dm_devname vm)
	(($(discard_max "$dev") == 0)) || die "vmirror advertises discard over a source without"
	expect_fail blkdiscard -o 0 -l $((1 << 20)) "$dev"
	settle "$nb" "$S"
	dmsetup remove vm
	rmdir /sys/kernel/config/nullb/nb0
	echo ok
}
