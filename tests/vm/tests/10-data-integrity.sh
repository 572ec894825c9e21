# shellcheck shell=bash
# 10-data-integrity: host writes racing the background copy lose nothing.
DESCRIPTION="fio verify while copying over delayed legs; source == mirror byte for byte"

. "$VM_SUITE_DIR/vmirror-lib.sh"

LEG_MB=48

# run_case REGION_SECTORS SOURCE_OFFSET MIRROR_OFFSET PRIORITY
run_case() {
	local region=$1 soff=$2 moff=$3 prio=$4 len dev pct state
	len=$(( LEG_MB * 2048 - (soff > moff ? soff : moff) ))

	echo "== region_size $region, offsets $soff/$moff, copy_priority $prio"
	make_ramdisks 2 "$LEG_MB"
	fill_random /dev/ram0 $((LEG_MB * 2048))
	fill_random /dev/ram1 $((LEG_MB * 2048))
	cmp_devices /dev/ram0 "$soff" /dev/ram1 "$moff" "$len" 2>/dev/null &&
		die "legs start out equal"
	delay_leg src_d /dev/ram0 3
	delay_leg mir_d /dev/ram1 3

	# 4 MiB/s: the copy takes ~12 s, longer than the first fio run.
	dmsetup create vm --table "0 $len vmirror /dev/mapper/src_d $soff \
/dev/mapper/mir_d $moff 6 region_size $region max_copy_rate $(rate 4096) copy_priority $prio"
	dev=$(dm_devname vm)

	echo "fio: random writes of mixed sizes with crc32c verify during the copy"
	fio --name=during --filename="$dev" --rw=randwrite \
		--bssplit=4k/40:8k/10:16k/20:64k/20:256k/10 --size=$((len / 2048))M \
		--io_size=12M --direct=1 --ioengine=libaio --iodepth=16 \
		--verify=crc32c --verify_fatal=1 --randseed=$region \
		--output="$TMPDIR/fio1.txt" || { cat "$TMPDIR/fio1.txt"; die "fio failed"; }
	pct=$(vmirror_field vm 2)
	state=$(vmirror_field vm 1)
	echo "   after fio: $state, $pct %"
	[[ $state == unsynchronized && $pct -lt 100 ]] ||
		die "the copy was over before fio finished: no overlap tested"

	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 300
	[[ $(vmirror_field vm 2) == 100 ]] || die "synchronized below 100 %"

	echo "fio: more writes, now to an in-sync mirror"
	fio --name=after --filename="$dev" --rw=randwrite \
		--bssplit=4k/50:64k/50 --size=$((len / 2048))M --io_size=8M \
		--direct=1 --ioengine=libaio --iodepth=16 --verify=crc32c \
		--verify_fatal=1 --randseed=$((region + 1)) \
		--output="$TMPDIR/fio2.txt" || { cat "$TMPDIR/fio2.txt"; die "fio failed"; }

	dmsetup suspend vm
	echo "compare source and mirror (suspended)"
	cmp_devices /dev/ram0 "$soff" /dev/ram1 "$moff" "$len"
	dmsetup resume vm
	[[ $(vmirror_field vm 10) == 0 && $(vmirror_field vm 9) == 0 ]] ||
		die "unexpected I/O errors: $(dmsetup status vm)"
	dmsetup remove vm
	dmsetup remove src_d mir_d
	echo "   ok: byte-identical"
}

# run_hammer: 4 KiB regions, so the copier starts a copy every 8 ms, and
# 4 KiB writes at queue depth 32 that dm-delay holds for 10 ms: a copy that
# started while a write to its region was in flight, or a write that was not
# held during a copy, leaves the legs different.  The copy (512 KiB/s, 32 s)
# must outlast fio, which took 4 to 8 s in one VM on its own and more than
# 16 s (the copy's time at 1 MiB/s) on a busy one.
run_hammer() {
	local len=$((16 * 2048)) dev pct

	echo "== hammer: region_size 8, 4 KiB writes held 10 ms, copy at 512 KiB/s"
	make_ramdisks 2 16
	fill_random /dev/ram0 "$len"
	fill_random /dev/ram1 "$len"
	delay_leg src_d /dev/ram0 10
	delay_leg mir_d /dev/ram1 10
	dmsetup create vm --table "0 $len vmirror /dev/mapper/src_d 0 \
/dev/mapper/mir_d 0 4 region_size 8 max_copy_rate $(rate 512)"
	dev=$(dm_devname vm)
	fio --name=hammer --filename="$dev" --rw=randwrite --bs=4k --size=16M \
		--direct=1 --ioengine=libaio --iodepth=32 --verify=crc32c \
		--verify_fatal=1 --output="$TMPDIR/fio-h.txt" ||
		{ cat "$TMPDIR/fio-h.txt"; die "fio failed"; }
	# One reading: the copy goes on meanwhile (a second read saw 100 % after
	# the first printed 97 %, on a loaded machine).
	pct=$(vmirror_field vm 2)
	echo "   after fio: $(vmirror_field vm 1), $pct %"
	[[ $pct -lt 100 ]] || die "the copy was over before fio finished"
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 300
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 "$len"
	dmsetup resume vm
	dmsetup remove vm
	dmsetup remove src_d mir_d
	echo "   ok: byte-identical"
}

test() {
	vmirror_load
	run_hammer
	run_case 1024 0 0 same
	run_case 64 0 0 high
	run_case 128 2048 4096 low
}
