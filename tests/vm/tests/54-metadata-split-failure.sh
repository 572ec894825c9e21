# shellcheck shell=bash
# 54-metadata-split-failure: a split whose final record cannot be written
# (the metadata device fails while the split flushes the source) fails
# with an error and leaves the pair synchronized, not "splitting" for
# good: the split is aborted, as any other failed split.  The source is
# behind dm-delay so the split's source flush takes long enough for the
# metadata device to be switched to dm-flakey error_writes meanwhile.
DESCRIPTION="metadata_dev: a split that cannot be recorded is aborted, not left splitting"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=32768 # 16 MiB, 256 regions of 64 KiB

test() {
	local a b pid rc=0 out

	vmirror_load
	a=$(make_nullb msa 16)
	b=$(make_nullb msb 16)
	make_ramdisks 1 16
	fill_random "$a" $SZ
	dmsetup create src --table "0 $SZ linear $a 0"
	dmsetup create meta --table "0 $(dev_sectors /dev/ram0) linear /dev/ram0 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 $b 0 4 region_size 128 metadata_dev /dev/mapper/meta"
	dm_mknodes
	vmirror_wait vm synchronized 60

	echo "== split while the source flush takes 3 s; the metadata fails meanwhile"
	dm_reload src "0 $SZ delay $a 0 0 $a 0 3000"
	dmesg_mark
	dmsetup message vm 0 split >"$TMPDIR/split.out" 2>&1 &
	pid=$!
	sleep 1
	[[ $(vmirror_field vm 5) == splitting ]] || die "split not under way: $(dmsetup status vm)"
	dm_reload meta "0 $(dev_sectors /dev/ram0) flakey /dev/ram0 0 0 60 1 error_writes"
	wait "$pid" || rc=$?
	out=$(cat "$TMPDIR/split.out")
	echo "   split: exit $rc ${out:+($out)}; $(dmsetup status vm)"
	((rc != 0)) || die "split succeeded although it could not be recorded"
	dmesg_since_mark | grep -q "cannot record it" || die "no 'cannot record it' in the log"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "copy_state $(vmirror_field vm 1), want synchronized"
	[[ $(vmirror_field vm 5) != splitting ]] || die "left splitting: $(dmsetup status vm)"
	[[ $(vmirror_field vm 12) != split ]] || die "split still requested: $(dmsetup status vm)"

	echo "== nothing hangs; the legs are equal"
	no_d_state
	dmsetup remove vm
	cmp_devices "$a" 0 "$b" 0 $SZ || die "legs differ"
	dmsetup remove src meta
	echo ok
}
