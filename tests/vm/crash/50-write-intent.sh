# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # DESCRIPTION, DISKS: read by crash.sh; DISK_*: set by crash-guest.sh
# 50-write-intent: rule W of the write-intent log.  A synchronized pair
# with every region recorded in sync (after a suspend/resume); one 4 KiB
# write to region 10 reaches the source while its mirror half is held in
# flight (dm-delay on the mirror), and the power is cut.  After the cut the
# legs differ in region 10: the metadata must say so (the write cleared
# the region's bit before it was issued), so exactly that region is copied
# again and the legs end equal.  Without rule W the region loads as in
# sync, nothing is copied and the legs differ.
DESCRIPTION="power cut with a write in flight to a region recorded in sync: that region, and only it, copied again"
DISKS="src:64 mir:64 meta:4"
REGIONS=1024

crash_table() {
	echo "0 131072 vmirror $DISK_src 0 /dev/mapper/mdelay 0 4 region_size 128 metadata_dev $DISK_meta"
}

# delay_table MS  - the mirror leg, its writes held MS milliseconds
delay_table() {
	echo "0 131072 delay $DISK_mir 0 0 $DISK_mir 0 $1"
}

phase1() {
	local pid
	modprobe dm-delay
	fill_random "$DISK_src" 131072
	dmsetup create mdelay --table "$(delay_table 0)"
	dmsetup create vm --table "$(crash_table)"
	dm_mknodes
	vmirror_wait vm synchronized 300
	# Every region recorded in sync (postsuspend's clean pass).
	dmsetup suspend vm
	dmsetup resume vm
	# The mirror's writes now take 30 s.
	dmsetup suspend vm
	dmsetup suspend mdelay
	dmsetup load mdelay --table "$(delay_table 30000)"
	dmsetup resume mdelay
	dmsetup resume vm
	head -c 4096 /dev/urandom >/tmp/blk
	dd if=/tmp/blk of=/dev/mapper/vm bs=4k seek=$((10 * 16 + 3)) \
		oflag=direct conv=notrunc status=none &
	pid=$!
	sleep 3
	kill -0 "$pid" || die "the write completed: the mirror was not delayed"
	cmp <(dd if="$DISK_src" bs=4k skip=$((10 * 16 + 3)) count=1 iflag=direct status=none) \
		/tmp/blk || die "the write did not reach the source"
	echo "cut with the write on the source, its mirror half in flight: $(dmsetup status vm)"
	vm_power_cut
}

phase2() {
	local w0 w1 copied line
	modprobe dm-delay
	dmsetup create mdelay --table "$(delay_table 0)"
	w0=$(disk_sectors_written "$DISK_mir")
	dmesg_mark "50 load"
	dmsetup create vm --table "$(crash_table)"
	dm_mknodes
	# What the load read (the copier may already have copied the region).
	line=$(dmesg_since_mark | grep -o "metadata .*regions in sync") || die "no load line"
	echo "after the cut: $line"
	[[ $line == *"synchronized, $((REGIONS - 1)) of $REGIONS regions in sync" ]] ||
		die "want $((REGIONS - 1)) of $REGIONS regions in sync after the cut"
	vmirror_wait vm synchronized 300
	w1=$(disk_sectors_written "$DISK_mir")
	copied=$(((w1 - w0) / 128))
	echo "copied $copied regions again (want 1)"
	((copied == 1)) || die "copied $copied regions after the cut, want 1"
	dmsetup suspend vm
	cmp_devices "$DISK_src" 0 "$DISK_mir" 0 131072 || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	dmsetup remove mdelay
	echo "legs equal"
}
