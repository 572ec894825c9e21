# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # DESCRIPTION, DISKS: read by crash.sh; DISK_*: set by crash-guest.sh
# 40-break: break (pivot to the mirror), write a marker, cut the power.
# Loading the full vmirror table line again on the same metadata serves
# the mirror: the marker reads back, the source never gets it.
DESCRIPTION="power cut after break: the reloaded vmirror table serves the mirror"
DISKS="src:64 mir:64 meta:4"

crash_table() {
	echo "0 131072 vmirror $DISK_src 0 $DISK_mir 0 4 region_size 128 metadata_dev $DISK_meta"
}

phase1() {
	fill_random "$DISK_src" 131072
	dmsetup create vm --table "$(crash_table)"
	dm_mknodes
	vmirror_wait vm synchronized 300
	dmsetup message vm 0 break
	vmirror_wait vm failedover 30
	printf 'MARKER after break %s' "$RANDOM$RANDOM" >marker
	dd if=marker of=marker.4k bs=4k count=1 conv=sync status=none
	note marker "$(head -c 40 marker)"
	dd if=marker.4k of=/dev/mapper/vm bs=4k seek=777 oflag=direct conv=notrunc,fsync status=none
	echo "cut: $(dmsetup status vm)"
	vm_power_cut
}

phase2() {
	local m
	m=$(noted marker)
	dmsetup create vm --table "$(crash_table)"
	dm_mknodes
	echo "after the cut: $(dmsetup status vm)"
	[[ $(vmirror_field vm 1) == failedover ]] || die "failedover forgotten"
	[[ $(dd if=/dev/mapper/vm bs=4k skip=777 count=1 iflag=direct status=none | head -c 40) == "$m" ]] ||
		die "the device does not serve the mirror: no marker at block 777"
	[[ $(dd if="$DISK_src" bs=4k skip=777 count=1 iflag=direct status=none | head -c 40) != "$m" ]] ||
		die "the marker reached the source"
	cmp_devices /dev/mapper/vm 0 "$DISK_mir" 0 131072 || die "the device differs from the mirror"
	dmsetup remove vm
	echo "serves the mirror"
}
