# shellcheck shell=bash
# 67-split-race: a host write that passed vmirror_map_write() before
# "split" and reaches the region map after it must not reach the mirror:
# the split image is the point in time of the split.  The window is a few
# instructions wide; the test-only module tests/kmod/vmirror-delay.ko
# (a kprobe, not part of dm-vmirror) holds one write 5 s at the entry of
# region_map_write_begin() while the split runs on the other CPU.
DESCRIPTION="split: a write held between the mode check and the region map goes to the source alone"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=16384 # 8 MiB
DELAY_KO=${VMIRROR_DELAY_KO:-$SRCDIR/tests/kmod/vmirror-delay.ko}
PARAMS=/sys/module/vmirror_delay/parameters

test() {
	local dev pid i synced

	[[ $(modinfo -F vermagic "$DELAY_KO" 2>/dev/null) == "$(uname -r) "* ]] ||
		die "$DELAY_KO is not built for $(uname -r) (make -C tests/kmod)"
	vmirror_load
	make_ramdisks 2 8
	fill_random /dev/ram0 $SZ
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 2 region_size 8"
	dm_mknodes
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	synced=$(vmirror_field vm 3)

	echo "== a write held 5 s before the region map, split meanwhile"
	insmod "$DELAY_KO" comm=vmsplitw delay_ms=5000
	cp /bin/dd "$TMPDIR/vmsplitw"
	head -c 4096 /dev/urandom >"$TMPDIR/new"
	_read_direct /dev/ram1 800 8 >"$TMPDIR/old"
	"$TMPDIR/vmsplitw" if="$TMPDIR/new" of="$dev" bs=4k seek=100 oflag=direct status=none &
	pid=$!
	for ((i = 0; i < 100 && $(<"$PARAMS/waiting") == 0; i++)); do sleep 0.1; done
	[[ $(<"$PARAMS/waiting") == 1 ]] || die "the write was not held"
	dmsetup message vm 0 split
	[[ $(<"$PARAMS/waiting") == 1 ]] ||
		die "split returned after the held write went on: the window was missed"
	echo "   split returned while the write was still held: $(vmirror_field vm 1)"
	wait $pid || die "the write failed"
	rmmod vmirror_delay

	cmp "$TMPDIR/new" <(_read_direct /dev/ram0 800 8) || die "the write is not on the source"
	if ! cmp -s "$TMPDIR/old" <(_read_direct /dev/ram1 800 8); then
		die "a write routed after split returned changed the split image on the mirror"
	fi
	echo "   the mirror still holds the block as at the split"
	[[ $(vmirror_field vm 3) == "$((${synced%%/*} - 1))/${synced##*/}" ]] ||
		die "regions in sync: $(vmirror_field vm 3), was $synced"
	echo "   $(dmsetup status vm)"
	dmsetup remove vm
	echo ok
}
