# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # DESCRIPTION, DISKS: read by crash.sh; DISK_*: set by crash-guest.sh
# 10-mid-copy: a power cut in the middle of the copy, under fio writes to
# the first 8 MiB.  After the crash the same table line keeps the progress:
# every region reported in sync before the cut is still in sync, except
# those fio wrote (a write in flight makes its region copy again), and the
# copy afterwards writes at most what was left.  The legs end equal.
DESCRIPTION="power cut mid-copy under fio: progress kept, only what was left copied"
DISKS="src:64 mir:64 meta:4"
REGIONS=1024 # 64 MiB / 64 KiB
FIO_REGIONS=128 # fio writes the first 8 MiB

crash_table() {
	echo "0 131072 vmirror $DISK_src 0 $DISK_mir 0 6 region_size 128 max_copy_rate $1 metadata_dev $DISK_meta"
}

phase1() {
	local s1
	fill_random "$DISK_src" 131072
	dmsetup create vm --table "$(crash_table 4096)"
	dm_mknodes
	[[ $(<"$(vmirror_sysfs vm)/metadata") == "$(blockdev_mm "$DISK_meta")" ]] ||
		die "sysfs metadata: $(<"$(vmirror_sysfs vm)/metadata")"
	fio --name=w --filename=/dev/mapper/vm --rw=randwrite --bs=4k --size=8M \
		--direct=1 --ioengine=libaio --iodepth=8 --time_based --runtime=600 \
		--output=/dev/null &
	# Past fio's area, and well short of the end.
	until (($(vmirror_field vm 3 | cut -d/ -f1) >= REGIONS * 4 / 10)); do sleep 0.2; done
	s1=$(<"$(vmirror_sysfs vm)/regions_synced")
	note synced "$s1"
	echo "cut at $s1/$REGIONS regions in sync: $(dmsetup status vm)"
	vm_power_cut
}

phase2() {
	local s1 s2 w0 w1 left copied
	s1=$(noted synced)
	w0=$(disk_sectors_written "$DISK_mir")
	dmsetup create vm --table "$(crash_table 4096)"
	dm_mknodes
	s2=$(<"$(vmirror_sysfs vm)/regions_synced")
	echo "after the cut: $s2 regions in sync (reported before: $s1): $(dmsetup status vm)"
	((s2 >= s1 - FIO_REGIONS)) ||
		die "progress lost: $s1 regions were reported in sync, $s2 are after the crash"
	((s2 < REGIONS)) || die "all $REGIONS regions in sync after a cut at $s1"
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 300
	w1=$(disk_sectors_written "$DISK_mir")
	copied=$(((w1 - w0) / 128))
	left=$((REGIONS - s1 + FIO_REGIONS))
	echo "copied $copied regions after the cut (at most $left: not in sync before, or written by fio)"
	((copied <= left)) || die "copied $copied regions again, more than the $left left"
	dmsetup suspend vm
	cmp_devices "$DISK_src" 0 "$DISK_mir" 0 131072 || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	echo "legs equal"
}
