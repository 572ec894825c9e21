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
# it, as the documentation says.
DESCRIPTION="reload after the source's medium changed (diskseq) starts over; DM leg reloads keep diskseq"

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
	echo ok
}
