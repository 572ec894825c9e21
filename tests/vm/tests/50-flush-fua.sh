# shellcheck shell=bash
# 50-flush-fua: cache flushes reach both legs, FUA is advertised, and
# synchronous writes land on both legs.  The legs are memory-backed
# null_blk devices with a volatile write cache, whose flush counters are
# in /sys/block/nullbN/stat (field 16).
DESCRIPTION="REQ_PREFLUSH reaches both legs; FUA advertised; O_DSYNC data on both"

. "$VM_SUITE_DIR/vmirror-lib.sh"

NULLB_CFG=/sys/kernel/config/nullb

test() {
	local a b dev f0a f0b f1a f1b

	vmirror_load
	a=$(make_nullb vfa 64)
	b=$(make_nullb vfb 64)
	[[ -b $a && -b $b ]] || die "null_blk devices missing"
	[[ $(cat "/sys/block/${a#/dev/}/queue/write_cache") == "write back" ]] ||
		die "null_blk has no write cache"

	dmsetup create vm --table "0 131072 vmirror $a 0 $b 0 2 region_size 1024"
	vmirror_wait vm synchronized 120
	dev=$(dm_devname vm)
	[[ $(cat "/sys/block/${dev#/dev/}/queue/write_cache") == "write back" ]] ||
		die "vmirror does not advertise a write cache"
	[[ $(cat "/sys/block/${dev#/dev/}/queue/fua") == 1 ]] ||
		die "vmirror does not advertise FUA"

	f0a=$(blk_stat "$a" 16); f0b=$(blk_stat "$b" 16)
	fio --name=fsync --filename="$dev" --rw=randwrite --bs=4k --size=64M \
		--io_size=1M --direct=1 --ioengine=psync --fsync=1 \
		--output="$TMPDIR/fio.txt" || { cat "$TMPDIR/fio.txt"; die "fio failed"; }
	f1a=$(blk_stat "$a" 16); f1b=$(blk_stat "$b" 16)
	echo "flushes: source $f0a -> $f1a, mirror $f0b -> $f1b (256 writes with fsync)"
	((f1a - f0a >= 250)) || die "source saw $((f1a - f0a)) flushes for 256 fsyncs"
	((f1b - f0b == f1a - f0a)) ||
		die "mirror saw $((f1b - f0b)) flushes, source $((f1a - f0a))"

	echo "O_DSYNC (REQ_FUA) writes, then compare the legs"
	fio --name=dsync --filename="$dev" --rw=randwrite --bs=16k --size=64M \
		--io_size=4M --direct=1 --ioengine=psync --sync=dsync \
		--verify=crc32c --verify_fatal=1 \
		--output="$TMPDIR/fio2.txt" || { cat "$TMPDIR/fio2.txt"; die "fio failed"; }
	dmsetup suspend vm
	cmp_devices "$a" 0 "$b" 0 131072
	dmsetup resume vm

	echo "an empty flush during the copy reaches the mirror too"
	dmsetup remove vm
	dmsetup create vm --table "0 131072 vmirror $a 0 $b 0 2 max_copy_rate 1024"
	dev=$(dm_devname vm)
	f0b=$(blk_stat "$b" 16)
	for _ in 1 2 3 4 5; do
		python3 -c "import os; fd = os.open('$dev', os.O_WRONLY); os.fsync(fd)"
	done
	f1b=$(blk_stat "$b" 16)
	((f1b - f0b >= 5)) || die "mirror saw $((f1b - f0b)) flushes for 5 fsyncs during copy"
	dmsetup remove vm
	rmdir "$NULLB_CFG/vfa" "$NULLB_CFG/vfb"
	echo ok
}
