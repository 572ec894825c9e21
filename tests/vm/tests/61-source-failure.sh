# shellcheck shell=bash
# 61-source-failure: errors on the source.  During the copy they are the
# host's and break the copy; once synchronized the mirror takes over
# (failedover) and no acknowledged write is lost.
DESCRIPTION="source errors: copy read errors break, synchronized fails over, fio verify across the failure"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # sectors: 32 MiB, 64 regions of 512 KiB

# leg_error NAME  - the leg's disk is gone: every I/O fails.
leg_error() {
	dm_reload "$1" "0 $SZ error" --noflush
}

# leg_linear NAME DEV  - the leg is DEV again (repaired).
leg_linear() {
	dm_reload "$1" "0 $SZ linear $2 0" --noflush
}

expect_one_line() { # PATTERN
	local n
	n=$(dmesg_since_mark | grep -c "$1" || true)
	[[ $n == 1 ]] || die "expected one '$1' line in dmesg, saw $n"
}

copy_read_errors() {
	local dev regions synced total

	echo "== source read errors during the copy"
	fill_random /dev/ram0 $SZ
	# Regions 20 and 21 of the source cannot be read (or written).
	dmsetup create src --table "0 20480 linear /dev/ram0 0
20480 1024 error
21504 $((SZ - 21504)) linear /dev/ram0 21504"
	dm_mknodes
	dmesg_mark
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0 2 max_copy_rate 16384"
	dm_mknodes
	dev=$(dm_devname vm)

	# The host sees the source's errors as it would without vmirror...
	expect_fail dd if="$dev" of=/dev/null bs=4k count=1 skip=$((20480 / 8)) iflag=direct
	expect_fail dd if=/dev/zero of="$dev" bs=4k count=1 seek=$((20992 / 8)) oflag=direct
	# ...and nothing else.
	dd if="$dev" of=/dev/null bs=4k count=1 skip=$((20480 / 8 - 1)) iflag=direct status=none ||
		die "a read next to the bad range failed"

	# The pass ends with the bad regions out of sync: broken, not stuck.
	vmirror_wait vm broken 60
	vmirror_expect vm broken broken requires_resync
	regions=$(vmirror_field vm 3)
	synced=${regions%%/*} total=${regions##*/}
	# A failed batch (up to 4 MiB) leaves all its regions out of sync.
	((synced < total - 1 && synced >= total - 16)) || die "regions in sync: $regions"
	(($(vmirror_field vm 9) >= 3)) || die "source_errors: $(dmsetup status vm)"
	[[ $(vmirror_field vm 10) == 0 ]] || die "mirror errors counted: $(dmsetup status vm)"
	expect_one_line "could not read source"
	echo "   $(dmsetup status vm)"

	echo "== the source repaired, resync: synchronized and identical"
	leg_linear src /dev/ram0
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 60
	vmirror_expect vm synchronized synchronized completed
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "source and mirror differ after resync"
	dmsetup remove vm src
}

failover_under_fio() {
	local dev pid rc=0

	echo "== the source fails under fio (write + verify) once synchronized"
	dmsetup create src --table "0 $SZ linear /dev/ram0 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	dmesg_mark

	# Every 4 KiB block written once (random order), read back during the
	# run (verify_backlog) and all of it again at the end; the source dies
	# a second into it.
	fio --name=failover --filename="$dev" --rw=randwrite --bs=4k --size=32M \
		--direct=1 --ioengine=libaio --iodepth=8 --rate_iops=2500 \
		--verify=crc32c --verify_fatal=1 --verify_backlog=256 \
		--output="$TMPDIR/fio.txt" &
	pid=$!
	sleep 1
	leg_error src
	wait $pid || rc=$?
	((rc == 0)) || { cat "$TMPDIR/fio.txt"; die "fio failed ($rc) across the source failure"; }
	grep -q 'err= 0' "$TMPDIR/fio.txt" || die "fio saw errors"
	grep -Eq 'WRITE: bw=' "$TMPDIR/fio.txt" || die "no fio summary"

	vmirror_expect vm failedover idle completed
	(($(vmirror_field vm 9) > 0)) || die "source_errors not counted: $(dmsetup status vm)"
	[[ $(vmirror_field vm 10) == 0 ]] || die "mirror errors: $(dmsetup status vm)"
	expect_one_line "failed over to mirror"
	echo "   $(dmsetup status vm)"

	# What the host reads now is the mirror, which has every write.
	cmp_devices "$dev" 0 /dev/ram1 0 $SZ || die "vmirror device and mirror differ"
	dmsetup remove vm src
}

failover_on_read_and_flush() {
	local dev

	echo "== the source fails a read once synchronized: read again from the mirror"
	fill_random /dev/ram0 $SZ
	dmsetup create src --table "0 $SZ linear /dev/ram0 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	leg_error src
	dmesg_mark
	cmp_devices "$dev" 0 /dev/ram0 0 $SZ || die "reads after the failure differ from the old source"
	vmirror_expect vm failedover idle completed
	expect_one_line "failed over to mirror"
	dmsetup remove vm src

	echo "== the source fails during the copy: the host's error, no failover"
	dmsetup create src --table "0 $SZ linear /dev/ram0 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0 2 max_copy_rate 4096"
	dm_mknodes
	dev=$(dm_devname vm)
	leg_error src
	expect_fail dd if="$dev" of=/dev/null bs=4k count=1 iflag=direct
	expect_fail dd if=/dev/zero of="$dev" bs=4k count=1 oflag=direct
	vmirror_wait vm broken 60
	[[ $(vmirror_field vm 1) == broken ]] || die "state: $(dmsetup status vm)"
	dmsetup remove vm src
}

test() {
	vmirror_load
	make_ramdisks 2 32
	copy_read_errors
	failover_under_fio
	failover_on_read_and_flush
	echo ok
}
