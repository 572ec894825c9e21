# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # DESCRIPTION, DISKS: read by crash.sh; DISK_*: set by crash-guest.sh
# 20-synced-qd32: a power cut on a synchronized pair under 4k random writes
# at QD32 over the whole disk (every region written within a second).
# After the crash only the regions of the write-intent log are copied
# again, not the disk; the legs end equal.
DESCRIPTION="power cut while synchronized under QD32 writes: resync bounded by the write-intent log"
DISKS="src:64 mir:64 meta:4"
REGIONS=1024
# The most regions a crash may leave to copy again.  The kernel documents
# the write-intent log's size; a quarter of the disk is far above any log
# and far below the whole disk that a crash without one copies.
WIL_MAX=${CRASH_WIL_MAX:-$((REGIONS / 4))}

crash_table() {
	echo "0 131072 vmirror $DISK_src 0 $DISK_mir 0 4 region_size 128 metadata_dev $DISK_meta"
}

phase1() {
	local pid w0 w1
	fill_random "$DISK_src" 131072
	dmsetup create vm --table "$(crash_table)"
	dm_mknodes
	vmirror_wait vm synchronized 300
	fio --name=w --filename=/dev/mapper/vm --rw=randwrite --bs=4k \
		--direct=1 --ioengine=libaio --iodepth=32 --time_based --runtime=600 \
		--output=/dev/null &
	pid=$!
	sleep 1
	w0=$(disk_sectors_written "$DISK_mir")
	sleep 3
	kill -0 "$pid" || die "fio is not running"
	w1=$(disk_sectors_written "$DISK_mir")
	echo "fio wrote $(((w1 - w0) / 8)) blocks of 4 KiB in 3 s"
	((w1 > w0)) || die "fio wrote nothing"
	echo "cut under fio: $(dmsetup status vm)"
	vm_power_cut
}

phase2() {
	local w0 w1 copied st
	w0=$(disk_sectors_written "$DISK_mir")
	dmsetup create vm --table "$(crash_table)"
	dm_mknodes
	st=$(vmirror_field vm 1)
	echo "after the cut: $(dmsetup status vm)"
	[[ $st == synchronized || $st == unsynchronized ]] || die "state $st after the cut"
	vmirror_wait vm synchronized 300
	w1=$(disk_sectors_written "$DISK_mir")
	copied=$(((w1 - w0) / 128))
	echo "copied $copied regions again (at most $WIL_MAX; the disk has $REGIONS)"
	((copied <= WIL_MAX)) || die "copied $copied regions after the cut, more than $WIL_MAX"
	dmsetup suspend vm
	cmp_devices "$DISK_src" 0 "$DISK_mir" 0 131072 || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	echo "legs equal"
}
