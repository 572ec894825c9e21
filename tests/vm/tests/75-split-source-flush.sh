# shellcheck shell=bash
# 75-split-source-flush: `split` flushes both disks; a source that fails
# that flush is a source I/O error while synchronized, and the error
# policy for those is failover (as for a host flush that fails the same
# way).  The split fails with -EIO and the state is failedover: the mirror
# is the disk from then on, with every write.  The legs are null_blk
# devices with a write cache (so flushes reach the target), the source
# under a DM device switched to dm-flakey error_writes.
DESCRIPTION="split whose source flush fails: -EIO and failedover, as a failing host flush"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB

test() {
	local a b dev out rc=0

	vmirror_load
	a=$(make_nullb sfa 32)
	b=$(make_nullb sfb 32)
	fill_random "$a" $SZ
	dmsetup create src --table "0 $SZ linear $a 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 $b 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	dd if=/dev/urandom of="$dev" bs=64k count=16 seek=7 oflag=direct status=none

	echo "== the source fails every write and flush; split"
	dm_reload src "0 $SZ flakey $a 0 0 60 1 error_writes"
	dmesg_mark
	out=$(dmsetup message vm 0 split 2>&1) || rc=$?
	echo "   split: exit $rc ${out:+($out)}; $(dmsetup status vm)"
	((rc != 0)) || die "split succeeded although the source could not flush"
	vmirror_expect vm failedover idle completed
	(($(vmirror_field vm 9) >= 1)) || die "source error not counted"
	dmesg_since_mark | grep -q "failed over to mirror" || die "no failover logged"

	echo "== the mirror is the disk: writes succeed, reads see them"
	dd if=/dev/urandom of="$TMPDIR/data" bs=64k count=16 status=none
	dd if="$TMPDIR/data" of="$dev" bs=64k count=16 seek=20 oflag=direct status=none ||
		die "write after the failover failed"
	cmp "$TMPDIR/data" <(dd if="$dev" bs=64k count=16 skip=20 iflag=direct status=none) ||
		die "read back differs"
	cmp_devices "$dev" 0 "$b" 0 $SZ || die "the vmirror device is not the mirror"
	dmsetup remove vm src
	echo ok
}
