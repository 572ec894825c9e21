# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # DESCRIPTION, DISKS: read by crash.sh; DISK_*: set by crash-guest.sh
# 30-fractured: fracture a synchronized pair, write three regions, cut the
# power.  The same table line afterwards is still fractured, and resync
# copies only the three written regions.
DESCRIPTION="power cut while fractured: tracking kept, resync copies only the written regions"
DISKS="src:64 mir:64 meta:4"

crash_table() {
	echo "0 131072 vmirror $DISK_src 0 $DISK_mir 0 4 region_size 128 metadata_dev $DISK_meta"
}

phase1() {
	local r
	fill_random "$DISK_src" 131072
	dmsetup create vm --table "$(crash_table)"
	dm_mknodes
	vmirror_wait vm synchronized 300
	dmsetup message vm 0 fracture
	vmirror_wait vm fractured 30
	for r in 10 500 1000; do # one 4 KiB write in each of regions 10, 500, 1000
		dd if=/dev/urandom of=/dev/mapper/vm bs=4k count=1 seek=$((r * 16 + 3)) \
			oflag=direct conv=notrunc,fsync status=none
	done
	echo "cut: $(dmsetup status vm)"
	vm_power_cut
}

phase2() {
	local w0 w1 copied
	w0=$(disk_sectors_written "$DISK_mir")
	dmsetup create vm --table "$(crash_table)"
	dm_mknodes
	echo "after the cut: $(dmsetup status vm)"
	[[ $(vmirror_field vm 1) == fractured ]] || die "not fractured after the cut"
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 300
	w1=$(disk_sectors_written "$DISK_mir")
	copied=$(((w1 - w0) / 128))
	echo "resync copied $copied regions (the 3 written)"
	((copied <= 3)) || die "resync copied $copied regions, 3 were written"
	((copied >= 3)) || die "resync copied $copied regions, 3 were written"
	dmsetup suspend vm
	cmp_devices "$DISK_src" 0 "$DISK_mir" 0 131072 || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	echo "legs equal"
}
