# shellcheck shell=bash
# 63-slow-mirror: a mirror that takes half a second per write (dm-delay)
# is only slower: data stays right, suspend and remove complete while
# copies and host writes are in flight.  And a mirror leg that vanishes
# (dmsetup remove --force turns it into an error device) under fio.
DESCRIPTION="slow mirror: correct, suspend/remove complete; a vanishing mirror leg breaks, host I/O unaffected"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB

# within SECONDS CMD...  - CMD must complete (successfully) in SECONDS.
within() {
	local limit=$1 start=$SECONDS
	shift
	timeout "$limit" "$@" || die "'$*' failed or took more than ${limit}s"
	echo "   '$*' took $((SECONDS - start))s"
}

fio_verify() { # DEV NAME [ARGS...]
	local dev=$1 name=$2
	shift 2
	fio --name="$name" --filename="$dev" --rw=randwrite --bs=64k --size=32M \
		--io_size=4M --direct=1 --ioengine=libaio --iodepth=8 \
		--verify=crc32c --verify_fatal=1 "$@" --output="$TMPDIR/$name.txt" ||
		{ cat "$TMPDIR/$name.txt"; die "fio $name failed"; }
	grep -q 'err= 0' "$TMPDIR/$name.txt" || die "fio $name saw errors"
}

test() {
	local dev pid i

	vmirror_load
	make_ramdisks 3 32
	fill_random /dev/ram0 $SZ

	echo "== 500 ms per mirror write: fio verify during the copy, suspend in the middle"
	delay_leg slow /dev/ram1 500
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/slow 0 2 region_size 256"
	dm_mknodes
	dev=$(dm_devname vm)
	fio_verify "$dev" slow &
	pid=$!
	sleep 2
	within 30 dmsetup suspend vm
	[[ $(vmirror_field vm 1) == suspended ]] || die "not suspended: $(dmsetup status vm)"
	within 10 dmsetup resume vm
	wait $pid || die "fio failed"
	vmirror_wait vm synchronized 120
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ with a slow mirror"
	dmsetup resume vm

	echo "== remove right after create, copies in flight to the slow mirror"
	dmsetup remove vm
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/slow 0"
	sleep 0.5
	within 30 dmsetup remove vm
	dmsetup remove slow

	echo "== the mirror leg vanishes under fio"
	dmsetup create mir --table "0 $SZ linear /dev/ram1 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/mir 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	# 64 writes at 20/s: about 3 s.  The mirror goes once fio has written
	# (its start-up time varies: with a fixed 1 s and 100/s, all of its
	# writes were done before the mirror went, on 6.12, and nothing broke).
	fio_verify "$dev" vanish --rate_iops=20 &
	pid=$!
	for ((i = 0; i < 300; i++)); do
		(($(blk_stat "$dev" 5) > 0)) && break
		sleep 0.1
	done
	# Open by vmirror: --force swaps its table for "error" and leaves it.
	dmsetup remove --force mir >/dev/null 2>&1 || true
	[[ $(dmsetup table mir) == *error* ]] || die "mir is not an error device: $(dmsetup table mir)"
	wait $pid || die "fio failed when the mirror vanished"
	echo "   $(blk_stat "$dev" 5) writes, $(vmirror_field vm 10) to the vanished mirror failed"
	[[ $(vmirror_field vm 1) == broken ]] || die "not broken: $(dmsetup status vm)"

	echo "== a new mirror disk: reload with it, full copy, identical"
	dmsetup load vm --table "0 $SZ vmirror /dev/ram0 0 /dev/ram2 0"
	dmsetup suspend vm
	dmsetup resume vm
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram2 0 $SZ || die "source and new mirror differ"
	dmsetup remove vm mir
	echo ok
}
