# shellcheck shell=bash
# 87-discard-keeps-data: legs whose discard does not zero, and a mirror
# that fails or lacks write-zeroes.  The mirror is a scsi_debug disk with
# UNMAP and lbprz=0: a discard leaves its data as it was, while the source
# (a loop device on tmpfs) reads zeroes after one.  So a discard that
# reaches both legs of a region in sync leaves them different unless the
# region goes out of sync and is copied again, and one that slips past a
# copy of its region leaves the copied data on the mirror (test 86's legs
# both read zeroes after a discard and would not see either).
#
#  1. Discards race the copy (the mirror behind dm-delay, 200 ms per
#     write, no write-zeroes; the copy capped at 8 MiB/s so that it still
#     runs on a loaded host), then discards of regions in sync: both legs
#     discard, the region is copied again.
#  2. The mirror advertises write-zeroes but fails it (scsi_debug takes a
#     WRITE SAME of at most 8 blocks; sd is told it may send 65535): the
#     copy of the zero ranges falls back to writing them as data, over
#     stale data on the mirror; bytes_zeroed stays 0.
#  3. The mirror advertises no write-zeroes (sd turned WRITE SAME off
#     after the failure): zero ranges go as data from the start.
# Each ends with the legs compared byte for byte.
DESCRIPTION="discards on a mirror that keeps its data (scsi_debug lbprz=0); copy of zeroes onto a mirror that fails or lacks write-zeroes"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=131072 # 64 MiB in sectors
MNT= S= SD=

# (errexit holds in a trap too: every step may fail)
keep_cleanup() {
	dmsetup remove vm 2>/dev/null || true
	dmsetup remove dly 2>/dev/null || true
	[[ -z $S ]] || losetup -d "$S" 2>/dev/null || true
	[[ -z $MNT ]] || umount "$MNT" 2>/dev/null || true
	[[ ! -d /sys/module/scsi_debug ]] || rmmod scsi_debug 2>/dev/null || true
}

queue() { cat "/sys/block/${1#/dev/}/queue/$2"; }

# scsi_debug_disk  - load scsi_debug (64 MiB, UNMAP, unmapped blocks keep
# their data, WRITE SAME of at most 8 blocks); sets SD to its /dev/sdX and
# SD_ATTR to its scsi_disk sysfs directory
scsi_debug_disk() {
	local i b
	modprobe sd_mod
	modprobe scsi_debug dev_size_mb=64 lbpu=1 lbprz=0 write_same_length=8
	for ((i = 0; i < 100; i++)); do
		for b in /sys/bus/pseudo/drivers/scsi_debug/adapter*/host*/target*/*/block/*; do
			[[ -e $b ]] || continue
			SD=/dev/${b##*/}
			SD_ATTR=$(echo "${b%/block/*}"/scsi_disk/*)
			[[ -b $SD ]] && return 0
		done
		sleep 0.1
	done
	die "no scsi_debug disk"
}

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

# zero_copy WHAT  - stale data on the mirror, a source of 8 MiB of data in
# four extents and zeroes elsewhere, copied: the legs end equal, all of it
# counted as copied and none as zeroed (the zeroes went as data)
zero_copy() {
	local off
	fill_random "$SD" $SZ
	dd if=/dev/zero of="$S" bs=1M count=64 oflag=direct status=none
	for off in 0 20 40 60; do
		fill_random "$S" 4096 $((off << 11))
	done
	dmesg_mark
	dmsetup create vm --table "0 $SZ vmirror $S 0 $SD 0"
	dm_mknodes
	settle "$S" "$SD"
	[[ $(vmirror_field vm 8) == $((SZ * 512)) ]] || die "bytes_copied: $(dmsetup status vm)"
	[[ $(vmirror_field vm 13) == 0 ]] ||
		die "bytes_zeroed counts zeroes written as data: $(dmsetup status vm)"
	dmsetup remove vm
	dmesg_since_mark | grep -E 'vmirror' | sed 's/^/   dmesg: /' || true
	echo "   $1: legs equal, bytes_zeroed 0"
}

test() {
	local dev

	vmirror_load
	modprobe loop
	MNT=$TMPDIR/t
	mkdir -p "$MNT"
	mount -t tmpfs -o size=100m none "$MNT"
	trap keep_cleanup EXIT
	truncate -s $((SZ * 512)) "$MNT/s.img"
	S=$(losetup -f --show "$MNT/s.img")
	scsi_debug_disk
	echo "   mirror $SD: discard_max_bytes $(queue "$SD" discard_max_bytes)," \
		"write_zeroes_max_bytes $(queue "$SD" write_zeroes_max_bytes)"
	(($(queue "$SD" discard_max_bytes) > 0)) || die "scsi_debug does not discard"

	echo "== 0. scsi_debug keeps its data on discard"
	fill_random "$SD" 2048
	blkdiscard -o 0 -l $((1 << 20)) "$SD"
	cmp -s -n $((1 << 20)) /dev/zero <(dd if="$SD" bs=1M count=1 iflag=direct status=none) &&
		die "scsi_debug reads zeroes after a discard: the test would prove nothing"

	echo "== 1. discards race copies held by a dm-delay mirror over scsi_debug"
	fill_random "$S" $SZ
	delay_leg dly "$SD" 200
	dmsetup create vm --table "0 $SZ vmirror $S 0 /dev/mapper/dly 0 4 region_size 1024 max_copy_rate $(rate 8192)"
	dm_mknodes
	dev=$(dm_devname vm)
	(($(queue "$dev" discard_max_bytes) > 0)) || die "vmirror does not advertise discard"
	(($(queue "$dev" write_zeroes_max_bytes) == 0)) || die "dm-delay does write-zeroes now: see 86"
	sleep 1
	echo "   while copying: $(dmsetup status vm)"
	[[ $(vmirror_field vm 1) == unsynchronized ]] || die "the copy ended before the discards"
	discard_some "$dev"
	dmsetup message vm 0 max_copy_rate 0
	settle "$S" /dev/mapper/dly
	echo "   discards of regions in sync: both legs discard, copied again"
	fill_random "$dev" 8192 32768
	discard_some "$dev"
	settle "$S" /dev/mapper/dly
	dmsetup remove vm
	dmsetup remove dly

	echo "== 2. a mirror that advertises write-zeroes and fails it"
	# sd caps its write-zeroes at what scsi_debug takes (8 blocks); lift
	# the cap, so that its WRITE SAMEs are too long and refused.
	echo 65535 >"$SD_ATTR/max_write_same_blocks"
	(($(queue "$SD" write_zeroes_max_bytes) > 4096)) || die "sd did not take the longer WRITE SAME"
	zero_copy "fails write-zeroes"
	dmesg_since_mark | grep 'failed a write-zeroes: zeroes go as data' >/dev/null ||
		die "the copier sent no write-zeroes (or did not log its fallback)"

	echo "== 3. a mirror without write-zeroes"
	(($(queue "$SD" write_zeroes_max_bytes) == 0)) || echo 0 >"$SD_ATTR/max_write_same_blocks"
	(($(queue "$SD" write_zeroes_max_bytes) == 0)) || die "sd still advertises write-zeroes"
	zero_copy "no write-zeroes"
	dmesg_since_mark | grep 'failed a write-zeroes' >/dev/null && die "a write-zeroes was sent to a mirror without"

	losetup -d "$S"
	S=
	umount "$MNT"
	MNT=
	rmmod scsi_debug
	echo ok
}
