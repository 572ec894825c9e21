# shellcheck shell=bash
# 40-suspend-reload: dmsetup suspend/resume and a table reload while the
# copy runs, with writes going on; the copy finishes and the legs match.
DESCRIPTION="suspend/resume and table reload during the copy"

. "$VM_SUITE_DIR/vmirror-lib.sh"

test() {
	local dev table fio_pid

	vmirror_load
	make_ramdisks 2 32
	fill_random /dev/ram0 65536
	delay_leg src_d /dev/ram0 2
	delay_leg mir_d /dev/ram1 2
	# 1 MiB/s (2 after the reload): the copy must outlast the suspends and
	# the reload below, which took 8 s and more on a busy machine.
	table="0 65536 vmirror /dev/mapper/src_d 0 /dev/mapper/mir_d 0 4 region_size 128 max_copy_rate $(rate 1024)"
	dmsetup create vm --table "$table"
	dev=$(dm_devname vm)

	fio --name=bg --filename="$dev" --rw=randwrite --bs=4k --size=32M \
		--io_size=6M --direct=1 --ioengine=libaio --iodepth=8 \
		--verify=crc32c --verify_fatal=1 --output="$TMPDIR/fio.txt" &
	fio_pid=$!

	sleep 1
	dmsetup suspend vm
	[[ $(vmirror_field vm 1) == suspended ]] || die "not suspended: $(dmsetup status vm)"
	[[ $(vmirror_field vm 4) == frozen ]] || die "sync_state: $(dmsetup status vm)"
	sleep 0.5
	dmsetup resume vm
	[[ $(vmirror_field vm 1) == unsynchronized ]] || die "after resume: $(dmsetup status vm)"

	echo "reload the same table with copy_priority high while copying"
	dmsetup load vm --table "0 65536 vmirror /dev/mapper/src_d 0 /dev/mapper/mir_d 0 6 region_size 128 max_copy_rate $(rate 2048) copy_priority high"
	dmsetup suspend vm
	dmsetup resume vm
	dmsetup table vm | grep -q "copy_priority high" || die "reload not live: $(dmsetup table vm)"
	[[ $(vmirror_field vm 1) == unsynchronized ]] || die "after reload: $(dmsetup status vm)"

	echo "suspend with --noflush while writes are in flight"
	dmsetup suspend --noflush vm
	dmsetup resume vm

	wait "$fio_pid" || { cat "$TMPDIR/fio.txt"; die "fio failed"; }
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 120
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 65536
	dmsetup resume vm
	dmsetup remove vm
	dmsetup remove src_d mir_d
	echo ok
}
