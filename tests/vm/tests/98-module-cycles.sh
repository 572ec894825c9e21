# shellcheck shell=bash
# 98-module-cycles: 100 cycles of module load, device create with I/O,
# remove and unload leak no memory and leave no reference behind.
DESCRIPTION="100 load/create/io/remove/unload cycles: no leak, no stale reference"

. "$VM_SUITE_DIR/vmirror-lib.sh"

slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
vmalloc_kb() { awk '/^VmallocUsed:/ { print $2 }' /proc/meminfo; }

cycle() {
	insmod "$VMIRROR_KO"
	dmsetup create cyc --table "0 8192 vmirror /dev/ram0 0 /dev/ram1 0 2 region_size 64"
	dd if=/dev/urandom of="$(dm_devname cyc)" bs=64k count=4 oflag=direct status=none
	dmsetup remove cyc
	rmmod dm_vmirror
}

test() {
	local s0 s1 v0 v1 i

	vmirror_load
	make_ramdisks 2 8
	rmmod dm_vmirror
	for i in 1 2 3; do cycle; done	# warm the caches
	sync; echo 3 >/proc/sys/vm/drop_caches
	s0=$(slab_kb); v0=$(vmalloc_kb)
	for ((i = 0; i < 100; i++)); do cycle; done
	sync; echo 3 >/proc/sys/vm/drop_caches
	s1=$(slab_kb); v1=$(vmalloc_kb)
	echo "slab ${s0} -> ${s1} kB, vmalloc ${v0} -> ${v1} kB over 100 cycles"
	((s1 - s0 < 1024)) || die "slab grew by $((s1 - s0)) kB"
	((v1 - v0 < 1024)) || die "vmalloc grew by $((v1 - v0)) kB"
	[[ ! -e /sys/module/dm_vmirror ]] || die "module still loaded"
	[[ ! -e /dev/vmirror-control ]] || die "/dev/vmirror-control left behind"
	echo ok
}
