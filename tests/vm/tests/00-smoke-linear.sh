# shellcheck shell=bash
# 00-smoke-linear: proves the VM test bench itself works: brd, device-mapper,
# O_DIRECT I/O, the cmp_devices helper (including that it catches a
# difference) and fio.
# shellcheck disable=SC2034 # read by suite.sh
DESCRIPTION="dm-linear over brd: direct-I/O data path, cmp_devices, fio verify"

test() {
	local ram=/dev/ram0 dm=smoke_linear dev
	local off=2048 len=$((48 * 2048)) # linear target: 48 MiB at a 1 MiB offset

	echo "create two 64 MiB RAM disks"
	make_ramdisks 2 64

	echo "dm-linear '$dm' -> $ram sectors $off..$((off + len - 1))"
	dmsetup create "$dm" --table "0 $len linear $ram $off"
	dm_mknodes
	dev=/dev/mapper/$dm
	[[ -b $dev ]] || die "$dev missing"
	[[ $(dev_sectors "$dev") == "$len" ]] || die "$dev has the wrong size"

	echo "write 32 MiB of random data through $dev with O_DIRECT"
	fill_random "$dev" $((32 * 2048))

	echo "compare $dev with $ram at the linear offset"
	cmp_devices "$dev" 0 "$ram" "$off" "$len"

	echo "a deliberately misaligned comparison must fail (proves cmp_devices detects differences)"
	if cmp_devices "$dev" 0 "$ram" $((off + 8)) $((4 * 2048)) 2>"$TMPDIR/cmp.err"; then
		die "cmp_devices did not notice a difference"
	fi
	echo "  ok, it reported: $(cat "$TMPDIR/cmp.err")"

	echo "copy the data to a second RAM disk; a single changed sector there must be found at the right place"
	_read_direct "$dev" 0 "$len" |
		dd of=/dev/ram1 bs=1M iflag=fullblock oflag=direct status=none
	cmp_devices "$dev" 0 /dev/ram1 0 "$len"
	fill_random /dev/ram1 1 5000
	if cmp_devices "$dev" 0 /dev/ram1 0 "$len" 2>"$TMPDIR/cmp.err"; then
		die "cmp_devices did not notice one changed sector"
	fi
	grep -q "differ at sector 5000 of the range" "$TMPDIR/cmp.err" ||
		die "wrong offset reported: $(cat "$TMPDIR/cmp.err")"
	echo "  ok, it reported: $(cat "$TMPDIR/cmp.err")"

	echo "fio randwrite + crc32c verify on $dev"
	local fio_out=$VM_OUT/tests/$VM_TEST_NAME.fio.txt
	local kdev
	kdev=$(dm_devname "$dm") # /dev/dm-N
	fio --name=x --filename="$kdev" --rw=randwrite --bs=4k --size=16M \
		--direct=1 --ioengine=libaio --iodepth=8 --verify=crc32c \
		--output="$fio_out"
	grep -q 'err= 0' "$fio_out" || die "fio reported an error: $(cat "$fio_out")"
	echo "  fio ok"

	dmsetup remove "$dm"
	rmmod brd
	echo "done"
}
