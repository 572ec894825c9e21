# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # DESCRIPTION, DISKS: read by crash.sh; DISK_*: set by crash-guest.sh
# 20-synced-qd32: a power cut on a synchronized pair under 4k random writes
# at QD32 over the whole disk.  The regions are 4 KiB, so the disk has four
# times more regions than the write-intent log may hold hot
# (VMIRROR_HOT_MAX, 4096 regions in the durability design; CRASH_HOT_MAX
# to change it here): after the crash only the hot regions are copied
# again, at most HOT_MAX of the 16384, not the disk as a target that
# trusts no region after a crash does.  The legs end equal.  Both legs
# start as zeroed sparse images, so the pair is created synchronized
# (nosync) without a first copy.
DESCRIPTION="power cut while synchronized under QD32 writes: resync bounded by the write-intent log's hot cap"
DISKS="src:64 mir:64 meta:4"
SECTORS=131072
REGION=8 # sectors: 4 KiB
REGIONS=$((SECTORS / REGION))
HOT_MAX=${CRASH_HOT_MAX:-4096}

crash_table() {
	echo "0 $SECTORS vmirror $DISK_src 0 $DISK_mir 0 ${1:-4} region_size $REGION metadata_dev $DISK_meta${2:-}"
}

phase1() {
	local pid w0 w1
	dmsetup create vm --table "$(crash_table 5 " nosync")"
	dm_mknodes
	vmirror_wait vm synchronized 30
	fio --name=w --filename=/dev/mapper/vm --rw=randwrite --bs=4k \
		--direct=1 --ioengine=libaio --iodepth=32 --time_based --runtime=600 \
		--randrepeat=0 --output=/dev/null &
	pid=$!
	sleep 2
	w0=$(disk_sectors_written "$DISK_mir")
	sleep 4
	kill -0 "$pid" || die "fio is not running"
	w1=$(disk_sectors_written "$DISK_mir")
	echo "fio wrote $(((w1 - w0) / 8)) blocks of 4 KiB to the mirror in 4 s"
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
	copied=$(((w1 - w0) / REGION))
	echo "copied $copied regions again (at most the hot cap, $HOT_MAX; the disk has $REGIONS)"
	((copied <= HOT_MAX)) || die "copied $copied regions after the cut, more than the $HOT_MAX that may be hot"
	dmsetup suspend vm
	cmp_devices "$DISK_src" 0 "$DISK_mir" 0 "$SECTORS" || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	echo "legs equal"
}
