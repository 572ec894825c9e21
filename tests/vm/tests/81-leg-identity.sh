# shellcheck shell=bash
# 81-leg-identity: a reload keeps the copy's progress only for the same
# disks, and a disk is its device number *and* its diskseq: the block
# layer gives a disk a new diskseq when its medium changes (a loop device
# given another file, a reattached loop or nbd device, a new medium).
# Here the source, a read-only loop device, is switched to another file
# under the live pair (LOOP_CHANGE_FD): same dev_t, other data.  A reload
# must start over, not claim the mirror is in sync with data it never saw.
# A DM leg keeps its dev_t and diskseq across its own table reloads (that
# is how a leg is repaired under a live pair): vmirror cannot see through
# it, as the documentation says.  With metadata_dev, two SCSI disks of
# the same size are told apart by their NAA ids (get_unique_id).
DESCRIPTION="reload after a medium change (diskseq) starts over; DM leg reloads keep diskseq; SCSI legs known by NAA id"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=32768 # 16 MiB

seq_of() { cat "/sys/block/${1#/dev/}/diskseq"; }

test() {
	local a b loop s0 s1 dm0 dm1

	vmirror_load
	modprobe loop
	make_ramdisks 2 16
	a=$TMPDIR/a.img b=$TMPDIR/b.img
	head -c $((SZ * 512)) /dev/urandom >"$a"
	head -c $((SZ * 512)) /dev/urandom >"$b"
	loop=$(losetup -r -f --show "$a")

	echo "== a pair over a read-only loop device, synchronized"
	dmsetup create vm --table "0 $SZ vmirror $loop 0 /dev/ram0 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	s0=$(seq_of "$loop")

	echo "== the loop device gets another file (LOOP_CHANGE_FD)"
	python3 - "$loop" "$b" <<'PY'
import fcntl, os, sys
LOOP_CHANGE_FD = 0x4C06
lo = os.open(sys.argv[1], os.O_RDONLY)
new = os.open(sys.argv[2], os.O_RDONLY)
fcntl.ioctl(lo, LOOP_CHANGE_FD, new)
PY
	s1=$(seq_of "$loop")
	echo "   $loop diskseq $s0 -> $s1"
	[[ $s1 != "$s0" ]] || die "diskseq did not change"
	cmp -s "$b" "$loop" || die "the loop device does not read the new file"

	echo "== reload with the same table: must start over"
	dmesg_mark
	dmsetup load vm --table "$(dmsetup table vm)"
	dmsetup suspend vm
	dmsetup resume vm
	dmesg_since_mark | grep "reload keeps the copy's progress" &&
		die "progress kept across a medium change: $(dmsetup status vm)"
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices "$loop" 0 /dev/ram0 0 $SZ || die "synchronized, but the mirror has the old medium's data"
	dmsetup resume vm
	dmsetup remove vm
	losetup -d "$loop"

	echo "== a DM leg keeps dev_t and diskseq across its reloads"
	dmsetup create leg --table "0 $SZ linear /dev/ram1 0"
	dm_mknodes
	dm0=$(seq_of "$(dm_devname leg)")
	dm_reload leg "0 $SZ error"
	dm1=$(seq_of "$(dm_devname leg)")
	echo "   leg diskseq $dm0 -> $dm1"
	[[ $dm0 == "$dm1" ]] || die "a DM reload changed diskseq: the documentation is wrong"
	dmsetup remove leg

	scsi_identity
	echo ok
}

# sd_of WWID  - the SCSI disk whose WWID (VPD page 0x83) is WWID
sd_of() {
	local d
	for d in /sys/block/sd*; do
		[[ -e $d/device/wwid && $(cat "$d/device/wwid") == "$1" ]] &&
			{ echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

# With metadata_dev a leg is known across reboots by what its driver
# reports as the disk's unique id (get_unique_id: SCSI's VPD page 0x83,
# NVMe's NGUID/EUI-64).  tests/check.sh attaches two SCSI disks of the
# same size with WWNs 0x5000c50015ea71a1 and ...a2: only their NAA ids
# tell them apart (same size, same block size, device numbers that may
# swap at the next boot).
scsi_identity() {
	local a b i md=/dev/ram1 before

	echo "== SCSI legs are known by their NAA id (get_unique_id)"
	modprobe virtio_scsi
	modprobe sd_mod
	for ((i = 0; i < 50; i++)); do
		a=$(sd_of naa.5000c50015ea71a1) && b=$(sd_of naa.5000c50015ea71a2) && break
		sleep 0.2
	done
	[[ -n $a && -n $b ]] ||
		die "no SCSI disks with WWN 0x5000c50015ea71a1/a2 (tests/check.sh attaches them): $(ls /sys/block)"
	echo "   source $a, mirror $b"
	fill_random "$a" $SZ
	dd if=/dev/zero of="$md" bs=1M count=16 oflag=direct status=none
	dmsetup create vm --table "0 $SZ vmirror $a 0 $b 0 4 region_size 128 metadata_dev $md"
	dm_mknodes
	vmirror_wait vm synchronized 120
	dmsetup remove vm
	dd if="$md" bs=4096 count=2 iflag=direct status=none | grep -aq 'naa:5000c50015ea71a1' ||
		die "the superblock does not record the source's NAA id"
	dd if="$md" bs=4096 count=2 iflag=direct status=none | grep -aq 'naa:5000c50015ea71a2' ||
		die "the superblock does not record the mirror's NAA id"
	echo "   recorded: naa:5000c50015ea71a1, naa:5000c50015ea71a2"

	before=$(dd if="$md" bs=1M iflag=direct status=none | md5sum)
	dmesg_mark
	expect_fail dmsetup create vm --table "0 $SZ vmirror $b 0 $a 0 4 region_size 128 metadata_dev $md"
	dmsetup remove vm >/dev/null 2>&1 || true
	dmesg_since_mark | grep -F "source leg differs" >/dev/null ||
		die "swapped SCSI legs not refused as 'source leg differs': $(dmesg_since_mark | tail -3)"
	[[ $(dd if="$md" bs=1M iflag=direct status=none | md5sum) == "$before" ]] ||
		die "the refused table wrote its metadata device"
	echo "   swapped legs (same size, other NAA ids): refused, nothing written"

	dmesg_mark
	dmsetup create vm --table "0 $SZ vmirror $a 0 $b 0 4 region_size 128 metadata_dev $md"
	dm_mknodes
	dmesg_since_mark | grep -F "256 of 256 regions in sync" >/dev/null ||
		die "the same legs again: progress not kept: $(dmesg_since_mark | tail -3)"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "$(dmsetup status vm)"
	dmsetup suspend vm
	cmp_devices "$a" 0 "$b" 0 $SZ || die "legs differ"
	dmsetup remove vm
	echo "   the same legs again: synchronized, nothing copied, legs equal"
}
