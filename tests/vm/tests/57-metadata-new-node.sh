# shellcheck shell=bash
# 57-metadata-new-node: the mirror comes back on a NEW device node (issue
# 12: a remote disk reconnects as another device) and a table reload onto
# it keeps what the metadata knows.  The mirror is a DM linear device with
# a DM uuid; it fails (an error table), host writes to three regions break
# the pair and are tracked; the live device is switched to a linear table
# over the source (nothing written meanwhile) so the old mirror can go;
# the mirror is made again under another name with the same uuid, on
# another minor.  Loading the vmirror table onto the new node with the
# same metadata: still broken, and resync copies the three written regions
# only.  A same-size mirror with another uuid is refused, nothing changed.
# The legs end equal.
DESCRIPTION="metadata_dev: a reload onto the mirror's new device node (same DM uuid) keeps the tracking"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=32768 # 16 MiB, 256 regions of 64 KiB
UUID=VMTEST-new-node-mirror

vm_table() { # MIRROR_MM
	echo "0 $SZ vmirror /dev/ram0 0 $1 0 4 region_size 128 metadata_dev /dev/ram2"
}

test() {
	local old new r w0 w1 copied out

	vmirror_load
	make_ramdisks 3 16
	fill_random /dev/ram0 "$SZ"
	dmsetup create mirA -u "$UUID" --table "0 $SZ linear /dev/ram1 0"
	old=$(vmirror_mm mirA)
	dmsetup create vm --table "$(vm_table "$old")"
	dm_mknodes
	vmirror_wait vm synchronized 120

	echo "the mirror fails; writes to regions 10, 100, 200 break the pair"
	dm_reload mirA "0 $SZ error"
	for r in 10 100 200; do
		dd if=/dev/urandom of=/dev/mapper/vm bs=4k count=1 seek=$((r * 16 + 5)) \
			oflag=direct conv=notrunc,fsync status=none
	done
	vmirror_wait vm broken 30
	echo "   $(dmsetup status vm)"

	echo "the live device over the source alone; mirA goes, mirB comes with its uuid"
	dm_reload vm "0 $SZ linear /dev/ram0 0"
	dmsetup remove mirA
	dmsetup create filler --table "0 8 zero" # takes the minor mirA left
	dmsetup create mirB -u "$UUID" --table "0 $SZ linear /dev/ram1 0"
	dmsetup create other -u VMTEST-other-disk --table "0 $SZ linear /dev/ram1 0"
	dm_mknodes
	new=$(vmirror_mm mirB)
	echo "   mirror was $old, is $new now"
	[[ $new != "$old" ]] || die "mirB has mirA's device number $old"

	echo "refused: the same table over a disk of the same size with another uuid"
	if out=$(dmsetup load vm --table "$(vm_table "$(vmirror_mm other)")" 2>&1); then
		die "loaded over another disk"
	fi
	out=$(dmesg_since_mark | grep -o 'vmirror: .*' | tail -n 1)
	echo "   $out"
	[[ $out == *"Metadata belongs to another association: mirror leg differs"* ]] ||
		die "not refused for the mirror leg: $out"
	dmsetup clear vm
	[[ $(dmsetup table vm | awk '{ print $3 }') == linear ]] || die "vm changed"

	echo "the vmirror table onto the new node"
	if ! out=$(dmsetup load vm --table "$(vm_table "$new")" 2>&1); then
		echo "   the kernel refused: $(dmesg_since_mark | grep -o 'vmirror: .*' | tail -n 1)"
		die "the table onto the new node was refused"
	fi
	dmsetup suspend vm
	dmsetup resume vm
	echo "   $(dmsetup status vm)"
	[[ $(vmirror_field vm 1) == broken ]] || die "the tracking was lost: $(vmirror_field vm 1)"
	# brd keeps no I/O counts: the copy's writes are mirB's (DM's counts)
	w0=$(awk '{ print $7 }' "/sys/dev/block/$new/stat")
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 120
	w1=$(awk '{ print $7 }' "/sys/dev/block/$new/stat")
	copied=$(((w1 - w0) / 128))
	echo "   resync copied $copied regions (3 were written)"
	((copied == 3)) || die "resync copied $copied regions, 3 were written while broken"
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 "$SZ" || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	dmsetup remove mirB other filler
	echo ok
}
