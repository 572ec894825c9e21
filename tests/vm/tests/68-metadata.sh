# shellcheck shell=bash
# 68-metadata: with metadata_dev the association outlives its table: a
# copy interrupted by "dmsetup remove" goes on where it stopped, fracture
# and its tracking and a failover are remembered; metadata of another
# association, a device holding other data, corrupt superblocks and a
# device too small are refused and left unchanged.
DESCRIPTION="metadata_dev keeps progress, tracking and failover; foreign metadata refused, unchanged"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=32768 # 16 MiB, 256 regions of 64 KiB

table() {
	echo "0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 $((4 + $# )) region_size 128 metadata_dev /dev/ram2 $*"
}

# md_sum  - checksum of the metadata device, read past the page cache
md_sum() {
	dd if=/dev/ram2 bs=1M iflag=direct status=none | md5sum
}

# md_poke OFFSET  - change one byte of the metadata device
md_poke() {
	local blk=$(($1 / 4096))
	dd if=/dev/ram2 of="$TMPDIR/blk" bs=4096 count=1 skip=$blk iflag=direct status=none
	printf '\x09' | dd of="$TMPDIR/blk" bs=1 seek=$(($1 % 4096)) conv=notrunc status=none
	dd if="$TMPDIR/blk" of=/dev/ram2 bs=4096 seek=$blk oflag=direct conv=notrunc status=none
}

# refused TABLE WHY  - the table fails to load, the kernel says WHY, and
# the metadata device is unchanged.
refused() {
	local t=$1 why=$2 before
	before=$(md_sum)
	dmesg_mark
	expect_fail dmsetup create bad --table "$t"
	dmsetup remove bad >/dev/null 2>&1 || true
	dmesg_since_mark | grep -F "$why" >/dev/null ||
		die "no '$why' in the log: $(dmesg_since_mark | tail -3)"
	[[ $(md_sum) == "$before" ]] || die "metadata changed by a refused table ($why)"
	echo "   refused: $why"
}

test() {
	local sys s1 s2 b1 t mm

	vmirror_load
	make_ramdisks 4 16
	fill_random /dev/ram0 $SZ

	echo "a new association: the zeroed metadata device is formatted"
	t=$(table max_copy_rate "$(rate 1024)")
	dmsetup create vm --table "$t"
	dm_mknodes
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/metadata") == 1:2 ]] || die "sysfs metadata: $(<"$sys/metadata")"
	dmsetup table vm | grep -q " metadata_dev 1:2" || die "table: $(dmsetup table vm)"
	dd if=/dev/ram2 bs=4096 count=1 iflag=direct status=none | head -c 8 | grep -q VMIRMETA || die "no superblock written"
	sleep 4
	dmsetup message vm 0 pause
	s1=$(<"$sys/regions_synced"); b1=$(<"$sys/bytes_copied")
	echo "   before remove: $s1 regions, $b1 bytes copied"
	((s1 > 0 && s1 < 256)) || die "want a partial copy, have $s1/256"
	dmsetup remove vm

	echo "the same line again: the copy goes on where it stopped"
	dmsetup create vm --table "$t"
	dm_mknodes
	sys=$(vmirror_sysfs vm)
	s2=$(<"$sys/regions_synced")
	echo "   after create: $s2 regions, $(<"$sys/bytes_copied") bytes copied, $(<"$sys/copy_state")/$(<"$sys/progress_status")"
	((s2 >= s1)) || die "progress lost: $s1 -> $s2"
	(($(<"$sys/bytes_copied") >= b1)) || die "bytes_copied lost"
	[[ $(<"$sys/progress_status") == dormant ]] || die "pause not remembered"
	dmsetup message vm 0 resume
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm

	echo "synchronized is remembered; fracture and its tracking too"
	t=$(table)
	dmsetup create vm --table "$t"
	dm_mknodes
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/copy_state") == synchronized ]] || die "state $(<"$sys/copy_state") after reload"
	[[ $(<"$sys/regions_synced") == 256 ]] || die "$(<"$sys/regions_synced") regions in sync"
	dmsetup message vm 0 fracture
	# Regions 10 and 200.
	dd if=/dev/urandom of=/dev/mapper/vm bs=64k count=1 seek=10 oflag=direct status=none
	dd if=/dev/urandom of=/dev/mapper/vm bs=64k count=1 seek=200 oflag=direct status=none
	# What a crash would leave: the metadata of a table still live.
	dd if=/dev/ram2 of=/dev/ram3 bs=1M iflag=direct oflag=direct status=none
	dmsetup remove vm
	dmsetup create vm --table "$t"
	dm_mknodes
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/copy_state") == fractured ]] || die "state $(<"$sys/copy_state"), want fractured"
	[[ $(<"$sys/regions_synced") == 254 ]] || die "$(<"$sys/regions_synced") in sync, want 254"
	echo "   fractured, 254 of 256 in sync"
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 60
	[[ $(<"$sys/progress_status") == completed ]] || die "progress $(<"$sys/progress_status")"
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ after resync"
	dmsetup resume vm
	dmsetup remove vm

	echo "after a crash: the state is kept, the written regions are not in sync"
	dmsetup create vm --table "${t/ram2/ram3}"
	dm_mknodes
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/copy_state") == fractured ]] || die "state $(<"$sys/copy_state"), want fractured"
	[[ $(<"$sys/regions_synced") == 254 ]] || die "$(<"$sys/regions_synced") in sync after a crash, want 254"
	echo "   fractured, 254 of 256 in sync"
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ after the crash's resync"
	dmsetup resume vm
	dmsetup remove vm
	dmsetup create vm --table "$t"
	dm_mknodes
	[[ $(vmirror_field vm 1) == synchronized ]] || die "$(dmsetup status vm)"

	echo "break is remembered: the mirror alone, whatever table follows"
	dmsetup message vm 0 break
	dd if=/dev/urandom of=/dev/mapper/vm bs=64k count=1 seek=30 oflag=direct status=none
	dmsetup remove vm
	dmsetup create vm --table "$t"
	dm_mknodes
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/copy_state") == failedover ]] || die "state $(<"$sys/copy_state"), want failedover"
	cmp_devices /dev/mapper/vm 0 /dev/ram1 0 $SZ || die "not serving the mirror"
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ 2>/dev/null && die "the write after break reached the source"
	dmsetup remove vm

	echo "foreign, corrupt, other data, too small: refused, nothing written"
	refused "0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 256 metadata_dev /dev/ram2" \
		"region size differs"
	refused "0 $((SZ - 128)) vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 128 metadata_dev /dev/ram2" \
		"length differs"
	# A source of another size (the legs are not known by device number).
	printf '0 %s linear /dev/ram0 0\n%s 2048 linear /dev/ram3 0\n' $SZ $SZ |
		dmsetup create src2
	dm_mknodes
	refused "0 $SZ vmirror /dev/mapper/src2 0 /dev/ram1 0 4 region_size 128 metadata_dev /dev/ram2" \
		"source leg differs"
	dmsetup remove src2
	# The version field (bytes 8-11) of both superblocks.
	md_poke 8
	md_poke $((4096 + 8))
	refused "$t" "Metadata superblocks are both corrupt"
	head -c 8192 /dev/urandom | dd of=/dev/ram2 bs=8192 conv=notrunc oflag=direct status=none
	refused "$t" "holds other data"
	dd if=/dev/zero of=/dev/ram2 bs=1M count=16 oflag=direct status=none
	dd if=/dev/urandom of=/dev/ram2 bs=4096 count=1 seek=100 oflag=direct status=none
	refused "$t" "holds other data"
	dmsetup create small --table "0 2048 linear /dev/ram3 0"
	refused "0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 128 metadata_dev /dev/mapper/small" \
		"Metadata device too small: 1052672 bytes needed"
	mm=$(vmirror_mm small)
	dmsetup remove small
	[[ -n $mm ]] || die "no small device"

	echo "without metadata_dev: the metadata file says -"
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/ram1 0"
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/metadata") == - ]] || die "metadata $(<"$sys/metadata")"
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	echo ok
}
