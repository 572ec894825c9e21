# shellcheck shell=bash
# 89-metadata-volatile-cache: the mirror and the metadata device are
# null_blk disks with a volatile write cache.  Powering a null_blk off drops
# what its cache holds and keeps what was flushed (null_del_dev frees the
# cache, not the backing store), which is what a power cut does to a disk
# with a write cache.  Mid-copy, the metadata disk loses power, then the
# mirror; the pair is removed, both come back, and the same table line
# must still count every region it reported in sync before the cut: the
# target flushed the mirror before committing the metadata that says so,
# and flushed that commit before reporting it.  The legs end equal.
DESCRIPTION="metadata_dev on disks with a volatile cache: a power cut keeps every region reported in sync"

. "$VM_SUITE_DIR/vmirror-lib.sh"

power() { # NAME 0|1
	echo "$2" >"/sys/kernel/config/nullb/$1/power"
}

test() {
	local src mir meta t s1 s2 regions=512

	vmirror_load
	src=$(make_nullb vsrc 32)
	mir=$(make_nullb vmir 32)
	meta=$(make_nullb vmeta 4)
	fill_random "$src" 65536
	dd if=/dev/null of="$src" conv=notrunc,fsync status=none # out of the source's cache
	t="0 65536 vmirror $src 0 $mir 0 6 region_size 128 max_copy_rate $(rate 4096) metadata_dev $meta"
	dmsetup create vm --table "$t"
	until (($(vmirror_field vm 3 | cut -d/ -f1) >= regions * 4 / 10)); do sleep 0.1; done
	s1=$(<"$(vmirror_sysfs vm)/regions_synced")
	power vmeta 0
	power vmir 0
	echo "power cut at $s1/$regions regions in sync (metadata first, then the mirror)"
	sleep 1
	echo "   $(dmsetup status vm)"
	dmsetup remove vm || dmsetup remove --force vm
	power vmeta 1
	power vmir 1
	dmsetup create vm --table "$t"
	s2=$(<"$(vmirror_sysfs vm)/regions_synced")
	echo "after power on: $s2 regions in sync: $(dmsetup status vm)"
	((s2 >= s1)) || die "$s1 regions were reported in sync before the cut, $s2 are after it"
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 120
	dmsetup suspend vm
	cmp_devices "$src" 0 "$mir" 0 65536 || die "legs differ"
	dmsetup remove vm
	for t in vsrc vmir vmeta; do rmdir "/sys/kernel/config/nullb/$t"; done
	echo ok
}
