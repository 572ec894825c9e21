# shellcheck shell=bash
# 94-metadata-hostile: metadata_dev with every kind of wrong content.  A
# zeroed device is formatted (a new association) and shows in sysfs; the
# same table line takes it again.  Too small, foreign (other length,
# region size, offset or mirror), a corrupted superblock, a bad magic over
# data: the load fails with one line in the kernel log and not a byte of
# the metadata device changes.
DESCRIPTION="metadata_dev: zeroed is formatted; too small, foreign, corrupt, bad magic refused, nothing written"

. "$VM_SUITE_DIR/vmirror-lib.sh"

# meta_loop FILE  - FILE on a loop device; prints the device
meta_loop() {
	losetup -f --show "$1"
}

# refused DEV TABLE WHAT  - loading TABLE fails, with a one-line reason in
# the kernel log, and DEV's bytes stay the same
refused() {
	local dev=$1 table=$2 what=$3 before after msg
	before=$(dd if="$dev" bs=64k iflag=direct status=none | sha256sum)
	dmesg_mark "refused $what"
	expect_fail dmsetup create bad --table "$table"
	dmsetup remove bad >/dev/null 2>&1 || true
	msg=$(dmesg_since_mark | grep -a 'device-mapper: table:.*vmirror' | tail -n 1 || true)
	[[ -n $msg ]] || die "$what: refused without a reason in the kernel log"
	after=$(dd if="$dev" bs=64k iflag=direct status=none | sha256sum)
	[[ $before == "$after" ]] || die "$what: the metadata device changed"
	echo "   refused, unchanged ($what): ${msg#*] }"
}

test() {
	local t m small copy sys off b

	vmirror_load
	modprobe loop
	make_ramdisks 3 16
	fill_random /dev/ram0 16384
	t="0 16384 vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 128 metadata_dev"

	echo "without metadata_dev: sysfs metadata is '-'"
	dmsetup create vm --table "0 16384 vmirror /dev/ram0 0 /dev/ram1 0 2 region_size 128"
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/metadata") == - ]] || die "metadata: '$(<"$sys/metadata")', want -"
	dmsetup remove vm

	echo "a zeroed device: formatted, shown in sysfs"
	truncate -s 2M meta.img
	m=$(meta_loop meta.img)
	dmsetup create vm --table "$t $m"
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/metadata") == "$(blockdev_mm "$m")" ]] ||
		die "metadata: '$(<"$sys/metadata")', want $(blockdev_mm "$m")"
	vmirror_wait vm synchronized 60
	dmsetup remove vm
	[[ -n $(tr -d '\0' <meta.img | head -c 1) ]] || die "the zeroed device was not formatted"
	echo "the same table line takes it again (same association)"
	dmsetup create vm --table "$t $m"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "not synchronized on the same metadata: $(dmsetup status vm)"
	dmsetup remove vm

	echo "foreign: the metadata of another association"
	refused "$m" "0 8192 vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 128 metadata_dev $m" "other length"
	refused "$m" "0 16384 vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 256 metadata_dev $m" "other region size"
	refused "$m" "0 16384 vmirror /dev/ram0 128 /dev/ram1 0 4 region_size 128 metadata_dev $m" "other source offset"
	refused "$m" "0 16384 vmirror /dev/ram0 0 /dev/ram1 256 4 region_size 128 metadata_dev $m" "other mirror offset"
	dmsetup create other --table "0 24576 linear /dev/ram2 0"
	dm_mknodes
	refused "$m" "0 16384 vmirror /dev/ram0 0 /dev/mapper/other 0 4 region_size 128 metadata_dev $m" "other mirror"
	# A plain disk of the same size, no DM uuid: what can tell it from the
	# mirror?  Said, not asserted (the kernel keeps sizes and DM uuids).
	if dmsetup create bad --table "0 16384 vmirror /dev/ram0 0 /dev/ram2 0 4 region_size 128 metadata_dev $m" 2>/dev/null; then
		echo "   NOTE: another mirror of the same size (/dev/ram2 for /dev/ram1) was taken"
		dmsetup remove bad
	else
		echo "   another mirror of the same size refused too"
	fi
	dmsetup remove other

	echo "too small: nothing written"
	truncate -s 64K small.img
	small=$(meta_loop small.img)
	refused "$small" "$t $small" "too small (64 KiB, zeroed)"
	[[ -z $(tr -d '\0' <small.img | head -c 1) ]] || die "a too small device was written"

	echo "truncated: the first 1 MiB of a formatted device"
	head -c 1M meta.img >trunc.img
	copy=$(meta_loop trunc.img)
	refused "$copy" "$t $copy" "truncated"

	echo "corrupted: one byte flipped in every block of the first MiB that holds data"
	# (the superblock and any copy of it: a second copy would rightly be
	# used if only the first were damaged).  The last non-zero byte of a
	# block is data, not its magic or version: the checksums no longer match.
	cp meta.img crc.img
	python3 - crc.img <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    data = bytearray(f.read(1 << 20))
    n = 0
    for b in range(0, len(data), 4096):
        blk = data[b:b + 4096].rstrip(b"\0")
        if blk:
            data[b + len(blk) - 1] ^= 0x5a
            n += 1
    assert n, "no block with data in the first MiB"
    f.seek(0)
    f.write(data)
print("   flipped a byte in %d blocks" % n)
PY
	copy=$(meta_loop crc.img)
	refused "$copy" "$t $copy" "checksums"

	echo "bad magic: the first MiB is other data"
	cp meta.img magic.img
	dd if=/dev/urandom of=magic.img bs=1M count=1 conv=notrunc status=none
	copy=$(meta_loop magic.img)
	refused "$copy" "$t $copy" "random first MiB"

	echo "the original still loads, the legs are equal"
	dmsetup create vm --table "$t $m"
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 16384
	dmsetup remove vm
	losetup -D
	echo ok
}
