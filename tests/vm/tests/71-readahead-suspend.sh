# shellcheck shell=bash
# 71-readahead-suspend: DM core fails the readahead bios of a suspended
# device with an I/O error (dm_submit_bio: REQ_RAHEAD while
# DMF_BLOCK_IO_FOR_SUSPEND).  A routine suspend of a DM source (lvextend,
# a multipath reconfiguration) under a synchronized pair must not look like
# a dying source: the error goes back to the host (which reads the page
# again without readahead), nothing fails over, nothing is counted.
DESCRIPTION="readahead errors of a suspended DM source: no failover, no state change"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB

test() {
	local dev pid rc=0

	vmirror_load
	make_ramdisks 2 32
	fill_random /dev/ram0 $SZ
	dmsetup create src --table "0 $SZ linear /dev/ram0 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	dmesg_mark

	echo "== buffered read of the vmirror device while its source is suspended"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	blockdev --setra 1024 "$dev"
	dmsetup suspend src
	# Readahead bios fail at once; the page the reader waits for is read
	# again without REQ_RAHEAD and queued by DM until the resume.
	dd if="$dev" of="$TMPDIR/read.bin" bs=1M count=16 status=none &
	pid=$!
	sleep 2
	dmsetup resume src
	wait $pid || rc=$?
	((rc == 0)) || die "buffered read failed ($rc)"
	echo "   $(dmsetup status vm)"

	vmirror_expect vm synchronized synchronized completed
	[[ $(vmirror_field vm 9) == 0 ]] || die "readahead errors counted as source errors: $(dmsetup status vm)"
	dmesg_since_mark | grep -q "failed over" && die "failed over on a readahead error"
	cmp <(_read_direct /dev/ram0 0 32768) "$TMPDIR/read.bin" || die "read data differ from the source"

	echo "== the pair still mirrors: a write reaches both disks"
	dd if=/dev/urandom of="$dev" bs=64k count=16 oflag=direct status=none
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "source and mirror differ"
	dmsetup resume vm
	dmsetup remove vm src
	echo ok
}
