# shellcheck shell=bash
# 53-metadata-failed-cap: after a metadata failure, writes that need a
# record fail with EIO however many regions they touch.  The cleaner
# records nothing once the metadata device failed, so no hot slot is ever
# freed again: the hot cap (4096 regions) must not apply then, or the
# write to the 4097th region would wait for ever (and suspend with it).
# 32 MiB at 4 KiB regions = 8192 regions, recorded all in sync; fio writes
# 5120 distinct regions after the failure: every write fails, none hangs,
# neither leg changes.
DESCRIPTION="metadata_dev: after a metadata failure, writes past the hot cap fail with EIO, never wait"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB, 8192 regions of 4 KiB

test() {
	local t errs rc=0

	vmirror_load
	make_ramdisks 3 32
	fill_random /dev/ram0 $SZ
	dd if=/dev/ram0 of=/dev/ram1 bs=1M iflag=direct oflag=direct status=none
	dmsetup create meta --table "0 $(dev_sectors /dev/ram2) linear /dev/ram2 0"
	dm_mknodes
	t="0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 5 region_size 8 nosync metadata_dev /dev/mapper/meta"
	dmsetup create vm --table "$t"
	dm_mknodes
	vmirror_wait vm synchronized 30

	echo "== the metadata device fails writes; one write needing a record fails"
	dm_reload meta "0 $(dev_sectors /dev/ram2) flakey /dev/ram2 0 0 3600 1 error_writes"
	expect_fail dd if=/dev/urandom of=/dev/mapper/vm bs=4k count=1 oflag=direct conv=notrunc status=none
	[[ $(vmirror_field vm 15) == failed ]] || die "metadata_state not failed: $(dmsetup status vm)"

	echo "== 5120 more regions written: every write fails, none waits"
	timeout -s KILL 300 fio --name=w --filename=/dev/mapper/vm --offset=4k --size=20M \
		--rw=write --bs=4k --direct=1 --ioengine=psync --continue_on_error=io \
		--output-format=json --output="$TMPDIR/fio.json" || rc=$?
	((rc != 137)) || die "fio did not finish in 300 s: writes wait at the hot cap"
	errs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jobs"][0]["total_err"])' "$TMPDIR/fio.json")
	echo "   fio: $errs of 5120 writes failed"
	((errs == 5120)) || die "$errs of 5120 writes failed, want all (no record can be written)"

	echo "== nothing hangs; neither leg changed"
	no_d_state
	timeout 60 dmsetup suspend vm || die "suspend hangs"
	timeout 60 dmsetup resume vm || die "resume hangs"
	dmsetup remove vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ"
	dmsetup remove meta
	echo ok
}
