# shellcheck shell=bash
# 85-fstrim: ext4 over a synchronized pair of sparse files (loop devices on
# tmpfs, which discard and write zeroes by punching holes).  Write 200 MiB,
# delete it, fstrim: fstrim succeeds (the device advertises discard since
# both legs do), the pair stays synchronized (a discard of a region in sync
# becomes a write-zeroes on both legs, which then read the same), the legs
# compare equal and the mirror file gives the space back.
DESCRIPTION="fstrim on ext4 over a synchronized pair: succeeds, stays synchronized, legs equal, the mirror file shrinks"

. "$VM_SUITE_DIR/vmirror-lib.sh"

CTL=${VMIRRORCTL:-$SRCDIR/tools/vmirrorctl/vmirrorctl}
SZ=1048576 # 512 MiB in sectors
MNT= S=

# (errexit holds in a trap too: every step may fail)
trim_cleanup() {
	umount "$MNT/fs" 2>/dev/null || true
	dmsetup remove lin 2>/dev/null || true
	[[ -z $S ]] || losetup -d "$S" 2>/dev/null || true
	[[ -z $MNT ]] || umount "$MNT" 2>/dev/null || true
}

allocated_mib() { echo $(($(du -k "$1" | cut -f1) / 1024)); }

test() {
	local dev mirror a0 a1 a2 synced

	vmirror_load
	modprobe loop
	modprobe ext4
	MNT=$TMPDIR/t
	mkdir -p "$MNT"
	mount -t tmpfs -o size=1200m none "$MNT"
	trap trim_cleanup EXIT
	truncate -s $((SZ * 512)) "$MNT/source.img"
	S=$(losetup -f --show "$MNT/source.img")
	dmsetup create lin --table "0 $SZ linear $S 0"
	dm_mknodes
	mkfs.ext4 -q -F /dev/mapper/lin

	echo "== vmirrorctl start onto a new file"
	"$CTL" start lin "$MNT/mirror.img" >/dev/null || die "vmirrorctl start failed"
	vmirror_wait lin synchronized 300
	dev=$(dm_devname lin)
	mirror=$(vmirror_mirror_dev lin)
	echo "   discard_max_bytes: $(<"/sys/block/${dev#/dev/}/queue/discard_max_bytes")"
	a0=$(allocated_mib "$MNT/mirror.img")
	echo "   mirror file: $a0 MiB allocated"

	echo "== write 200 MiB, delete it, fstrim"
	mkdir -p "$MNT/fs"
	mount -o nodiscard /dev/mapper/lin "$MNT/fs"
	dd if=/dev/urandom of="$MNT/fs/data" bs=1M count=200 conv=fsync status=none
	a1=$(allocated_mib "$MNT/mirror.img")
	echo "   mirror file: $a1 MiB allocated"
	rm "$MNT/fs/data"
	sync
	dmesg_mark
	fstrim -v "$MNT/fs" || die "fstrim failed"
	echo "   $(dmsetup status lin)"
	[[ $(vmirror_field lin 1) == synchronized ]] ||
		die "fstrim took the pair out of synchronized: $(dmsetup status lin)"
	synced=$(vmirror_field lin 3)
	[[ ${synced%/*} == "${synced#*/}" ]] || die "regions out of sync: $synced"
	[[ $(vmirror_field lin 9) == 0 && $(vmirror_field lin 10) == 0 ]] ||
		die "disk errors counted: $(dmsetup status lin)"
	dmesg_since_mark | grep -E "vmirror.*(broken|failed over|copied again)" && die "logged a failure"
	umount "$MNT/fs"

	a2=$(allocated_mib "$MNT/mirror.img")
	echo "   mirror file after fstrim: $a2 MiB allocated (source: $(allocated_mib "$MNT/source.img") MiB)"
	((a2 + 150 <= a1)) || die "the mirror file did not shrink: $a1 -> $a2 MiB"

	echo "== the legs are equal"
	dmsetup suspend lin
	cmp_devices "$S" 0 "$mirror" 0 $SZ || die "the legs differ"
	dmsetup resume lin
	vmirror_expect lin synchronized synchronized completed
	echo ok
}
