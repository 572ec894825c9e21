# shellcheck shell=bash
# 60-mirror-failure: a mirror leg that fails writes breaks the mirror, but
# no host I/O fails and the source keeps every write.
DESCRIPTION="mirror write errors: broken, counted, logged once; host I/O unaffected"

. "$VM_SUITE_DIR/vmirror-lib.sh"

fio_verify() { # DEV NAME
	fio --name="$2" --filename="$1" --rw=randwrite --bssplit=4k/50:64k/50 \
		--size=32M --io_size=8M --direct=1 --ioengine=libaio --iodepth=8 \
		--verify=crc32c --verify_fatal=1 --output="$TMPDIR/$2.txt" ||
		{ cat "$TMPDIR/$2.txt"; die "fio on the vmirror device failed"; }
	grep -q 'err= 0' "$TMPDIR/$2.txt" || die "fio saw errors"
}

test() {
	local dev sz

	vmirror_load
	make_ramdisks 2 32
	sz=65536

	echo "== the mirror fails writes from the start (during the copy)"
	dmsetup create bad_leg --table "0 $sz flakey /dev/ram1 0 0 60 1 error_writes"
	dmsetup create vm --table "0 $sz vmirror /dev/ram0 0 /dev/mapper/bad_leg 0"
	dm_mknodes
	dev=$(dm_devname vm)
	fio_verify "$dev" during
	vmirror_wait vm broken 30
	[[ $(vmirror_field vm 4) == broken && $(vmirror_field vm 5) == requires_resync ]] ||
		die "status: $(dmsetup status vm)"
	(($(vmirror_field vm 10) > 0)) || die "mirror_errors not counted"
	[[ $(vmirror_field vm 9) == 0 ]] || die "source errors counted: $(dmsetup status vm)"
	[[ $(dmesg_since_mark | grep -c "mirror is broken") == 1 ]] || die "expected one 'mirror is broken' line"
	echo "   $(dmsetup status vm)"
	dmsetup remove vm bad_leg

	echo "== the mirror fails writes after synchronization"
	dmsetup create leg --table "0 $sz linear /dev/ram1 0"
	dmsetup create vm --table "0 $sz vmirror /dev/ram0 0 /dev/mapper/leg 0"
	vmirror_wait vm synchronized 60
	dmsetup load leg --table "0 $sz flakey /dev/ram1 0 0 60 1 error_writes"
	dmsetup suspend leg
	dmsetup resume leg
	dev=$(dm_devname vm)
	fio_verify "$dev" after
	[[ $(vmirror_field vm 1) == broken ]] || die "not broken: $(dmsetup status vm)"
	(($(vmirror_field vm 10) > 0)) || die "mirror_errors not counted"
	echo "   $(dmsetup status vm)"
	local regions
	regions=$(vmirror_field vm 3)
	[[ ${regions%%/*} -lt ${regions##*/} ]] ||
		die "regions written after the failure still count as in sync: $regions"
	dmsetup remove vm leg
	echo ok
}
