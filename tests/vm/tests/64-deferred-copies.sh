# shellcheck shell=bash
# 64-deferred-copies: the copy must finish while and after every region it
# wants is busy with host writes.  4 KiB regions, writes held 5 ms by
# dm-delay, fio QD32 over the whole (small) disk: nearly every copy is
# deferred until the region's writes drain, and the last completing write
# hands the region to the copier (copier_region_ready()).  A lost hand-over
# leaves a region COPYING forever with its writes held: fio or the copy
# would hang.  (Regression test for the lost wake-up fixed in 6ecdda6; a
# race, so this test makes it likely, not certain, to show.)
DESCRIPTION="deferred copies under QD32 writes to 4 KiB regions: the copy ends, no write is stuck"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=16384 # 8 MiB: 2048 regions of 4 KiB

test() {
	local dev round

	vmirror_load
	make_ramdisks 2 8
	delay_leg src_d /dev/ram0 5
	delay_leg mir_d /dev/ram1 5
	for round in 1 2 3; do
		dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src_d 0 /dev/mapper/mir_d 0 4 region_size 8 max_copy_rate 2048"
		dm_mknodes
		dev=$(dm_devname vm)
		timeout 120 fio --name=deferred --filename="$dev" --rw=randwrite --bs=4k \
			--direct=1 --ioengine=libaio --iodepth=32 --time_based --runtime=6 \
			--verify=crc32c --verify_fatal=1 --verify_backlog=128 \
			--output="$TMPDIR/fio.txt" ||
			{ cat "$TMPDIR/fio.txt"; die "round $round: fio failed or hung"; }
		vmirror_wait vm synchronized 60 || die "round $round: the copy did not end"
		echo "   round $round: $(vmirror_field vm 1), $(vmirror_field vm 8) bytes copied"
		dmsetup suspend vm
		cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "round $round: legs differ"
		dmsetup remove vm
	done
	dmsetup remove src_d mir_d
	echo ok
}
