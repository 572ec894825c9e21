# shellcheck shell=bash
# 59-metadata-failover: with metadata_dev, a failover on a source write
# error is recorded before any I/O served by the mirror alone completes:
# the write that failed over returns only once "failedover" is on the
# metadata device (slowed down by dm-delay, so an early completion shows),
# and a new table on that metadata serves the mirror.
DESCRIPTION="metadata_dev: failover recorded before the write that caused it completes"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=32768 # 16 MiB, 256 regions of 64 KiB
DELAY_MS=1500

# md_copy_state  - copy_state of the newest valid-looking superblock copy
# on /dev/ram2 (blocks 0 and 1: seq at byte 16, copy_state at byte 104)
md_copy_state() {
	dd if=/dev/ram2 bs=4096 count=2 iflag=direct status=none | python3 -c '
import struct, sys
d = sys.stdin.buffer.read()
best = None
for b in (d[:4096], d[4096:8192]):
    if b[:8] != struct.pack("<Q", 0x4154454d52494d56):
        continue
    seq, = struct.unpack_from("<Q", b, 16)
    st, = struct.unpack_from("<H", b, 104)
    if best is None or seq > best[0]:
        best = (seq, st)
print(best[1] if best else "none")'
}

test() {
	local t t0 t1 ms st

	vmirror_load
	modprobe dm-delay
	modprobe dm-flakey
	make_ramdisks 3 16
	fill_random /dev/ram0 $SZ
	dd if=/dev/ram0 of=/dev/ram1 bs=1M iflag=direct oflag=direct status=none
	dmsetup create src --table "0 $SZ linear /dev/ram0 0"
	# Metadata writes take DELAY_MS; reads are not delayed.
	dmsetup create meta --table "0 $(dev_sectors /dev/ram2) delay /dev/ram2 0 0 /dev/ram2 0 $DELAY_MS"
	dm_mknodes
	t="0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0 5 region_size 128 nosync metadata_dev /dev/mapper/meta"
	dmsetup create vm --table "$t"
	dm_mknodes
	vmirror_wait vm synchronized 30
	[[ $(md_copy_state) == 4 ]] || die "superblock copy_state $(md_copy_state), want 4 (synchronized)"

	echo "the source fails writes; one write fails over"
	dmsetup load src --table "0 $SZ flakey /dev/ram0 0 0 60 1 error_writes"
	dmsetup suspend src
	dmsetup resume src
	dd if=/dev/urandom of="$TMPDIR/blk" bs=4096 count=1 status=none
	t0=$(date +%s%N)
	dd if="$TMPDIR/blk" of=/dev/mapper/vm bs=4096 seek=1280 oflag=direct conv=notrunc status=none ||
		die "the write that failed over failed"
	t1=$(date +%s%N)
	st=$(md_copy_state)
	ms=$(((t1 - t0) / 1000000))
	echo "   write returned after $ms ms; superblock copy_state then: $st"
	[[ $st == 10 ]] || die "the write completed before failedover was recorded (copy_state $st)"
	[[ $(vmirror_field vm 1) == failedover ]] || die "$(dmsetup status vm)"

	echo "a new table on the metadata serves the mirror"
	dmsetup remove vm
	dmsetup create vm --table "$t"
	dm_mknodes
	[[ $(vmirror_field vm 1) == failedover ]] || die "not failedover after reload: $(dmsetup status vm)"
	dd if=/dev/mapper/vm bs=4096 skip=1280 count=1 iflag=direct status=none | cmp - "$TMPDIR/blk" ||
		die "the acknowledged write is not served"
	cmp_devices /dev/mapper/vm 0 /dev/ram1 0 $SZ || die "not serving the mirror"
	dmsetup remove vm
	dmsetup remove src meta
	echo ok
}
