# shellcheck shell=bash
# 84-sparse-copy: a mostly-empty source copied onto a new file stays
# sparse.  A 1 GiB source (brd) with 56 MiB of data in four extents, the
# rest zeroes, is moved by "vmirrorctl start" onto a new file on tmpfs:
# the copy writes no zeroes as data (the file was just created, so the
# mirror is known to read zeroes: nothing is written there), so after
# synchronized the file has at most 80 MiB allocated, and the copy takes
# at most 0.6 times as long as the same copy of random data (the source
# is still read: about half is the floor on RAM disks).  Both end with the
# legs compared byte for byte.
DESCRIPTION="zero-aware copy: a 1 GiB source with 56 MiB of data onto a new file stays sparse and copies faster"

. "$VM_SUITE_DIR/vmirror-lib.sh"

CTL=${VMIRRORCTL:-$SRCDIR/tools/vmirrorctl/vmirrorctl}
SZ=2097152 # 1 GiB in sectors
MNT=

# (errexit holds in a trap too: every step may fail)
sparse_cleanup() {
	dmsetup remove src 2>/dev/null || true
	[[ -z $MNT ]] || umount "$MNT" 2>/dev/null || true
}

# now_ms  - a monotonic-enough clock in milliseconds
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# copy_onto FILE  - "vmirrorctl start" the linear device src onto the new
# FILE, wait for synchronized; prints the milliseconds it took.
copy_onto() {
	local file=$1 t0 t1
	t0=$(now_ms)
	"$CTL" start src "$file" >/dev/null || die "vmirrorctl start onto $file failed"
	vmirror_wait src synchronized 300 || die "not synchronized"
	t1=$(now_ms)
	echo $((t1 - t0))
}

# check_equal  - the legs compare equal (the device suspended; the mirror
# read through its loop device: tmpfs has no O_DIRECT)
check_equal() {
	local mirror
	mirror=$(vmirror_mirror_dev src) || die "no mirror leg"
	dmsetup suspend src
	cmp_devices /dev/ram0 0 "$mirror" 0 $SZ || die "the legs differ"
	dmsetup resume src
}

# check_zeroed  - bytes_zeroed (sysfs, status) counts the 968 MiB of
# zeroes, give or take a chunk at each end of an extent
check_zeroed() {
	local z
	z=$(<"$(vmirror_sysfs src)/bytes_zeroed")
	[[ $z == "$(vmirror_field src 13)" ]] || die "bytes_zeroed: sysfs $z, status $(dmsetup status src)"
	((z >= 960 << 20 && z <= 968 << 20)) || die "bytes_zeroed $z, want about 968 MiB"
}

# allocated_mib FILE
allocated_mib() { echo $(($(du -k "$1" | cut -f1) / 1024)); }

test() {
	local off t t_sparse t_full alloc i

	vmirror_load
	modprobe loop
	make_ramdisks 1 1024
	MNT=$TMPDIR/t
	mkdir -p "$MNT"
	# Room for the random copy: the sparse file is removed before it.
	mount -t tmpfs -o size=1100m none "$MNT"
	trap sparse_cleanup EXIT

	echo "== 56 MiB of data in four extents of 14 MiB, the rest zeroes"
	for off in 0 300 700 1010; do
		dd if=/dev/urandom of=/dev/ram0 bs=1M seek="$off" count=14 \
			oflag=direct iflag=fullblock status=none
	done
	# Twice, the faster counts: a loaded host slows a VM in bursts.
	for i in 1 2; do
		dmsetup create src --table "0 $SZ linear /dev/ram0 0"
		dm_mknodes
		t=$(copy_onto "$MNT/sparse.img")
		echo "   $(dmsetup status src)"
		echo "   table: $(dmsetup table src)"
		alloc=$(allocated_mib "$MNT/sparse.img")
		echo "   sparse source: $t ms, $alloc MiB allocated of 1024"
		((i == 2)) || "$CTL" status src | grep -E '^(target_size|target_file_allocated|bytes_copied|bytes_zeroed) ' | sed 's/^/   /'
		((i == 2)) || check_zeroed
		# The second copy repeats the first, for its time only.
		((i == 2)) || check_equal
		((alloc <= 80)) || die "the new mirror file has $alloc MiB allocated (at most 80)"
		dmsetup remove src
		rm -f "$MNT/sparse.img"
		((i == 1 || t < t_sparse)) && t_sparse=$t
	done

	echo "== the same copy of random data"
	# 64 MiB from urandom, then copies of it (urandom is slow under TCG;
	# the copy does not care that the data repeats).
	fill_random /dev/ram0 131072
	for ((off = 64; off < 1024; off += 64)); do
		dd if=/dev/ram0 of=/dev/ram0 bs=1M count=64 seek="$off" \
			iflag=direct oflag=direct status=none
	done
	dmsetup create src --table "0 $SZ linear /dev/ram0 0"
	dm_mknodes
	t_full=$(copy_onto "$MNT/full.img")
	alloc=$(allocated_mib "$MNT/full.img")
	echo "   random source: ${t_full} ms, $alloc MiB allocated"
	check_equal
	dmsetup remove src
	rm -f "$MNT/full.img"

	echo "   ratio: $((t_sparse * 100 / t_full))% (at most 60%)"
	((t_sparse * 10 <= t_full * 6)) ||
		die "the mostly-zero copy took ${t_sparse} ms, the random one ${t_full} ms: more than 0.6x"
	echo ok
}
