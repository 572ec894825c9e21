# shellcheck shell=bash
# 82-broken-not-written: once a host write's mirror half has failed, the
# mirror is broken and no longer written: a later write to a region that
# was in sync goes to the source alone (the leg's write counter does not
# move, even with the leg healthy again) and that region stops counting as
# in sync; after cancel the same.  Before the fix the bio path changed the
# I/O mode without the region map's track-only flag: every later write to
# a region in sync still went to the broken mirror (and waited for it).
DESCRIPTION="a mirror broken by a host write is no longer written; its regions fall out of sync"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB, 64 regions of 512 KiB

# write_checks MiB WHAT  - one 4 KiB direct write at MiB; the mirror leg
# must not see it and the region must fall out of sync.
write_checks() {
	local mib=$1 what=$2 w0 s0 w1 s1
	w0=$(blk_stat "$LEG" 7)
	s0=$(vmirror_synced vm)
	dd if=/dev/urandom of="$DEV" bs=4k count=1 seek=$((mib * 256)) \
		oflag=direct status=none || die "host write failed ($what)"
	w1=$(blk_stat "$LEG" 7)
	s1=$(vmirror_synced vm)
	echo "   $what: mirror leg sectors written $((w1 - w0)), regions in sync $s0 -> $s1"
	((w1 == w0)) || die "$what: the broken mirror was written ($((w1 - w0)) sectors)"
	((s1 < s0)) || die "$what: the region written still counts as in sync ($s0 -> $s1)"
}

test() {
	vmirror_load
	make_ramdisks 2 32
	dmsetup create leg --table "0 $SZ linear /dev/ram1 0"
	dm_mknodes
	LEG=$(dm_devname leg)
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/leg 0 2 region_size 1024"
	dm_mknodes
	DEV=$(dm_devname vm)
	vmirror_wait vm synchronized 60

	echo "== a host write's mirror half fails: broken"
	dm_reload leg "0 $SZ flakey /dev/ram1 0 0 60 1 error_writes"
	dd if=/dev/urandom of="$DEV" bs=4k count=1 oflag=direct status=none ||
		die "the host write failed with the mirror"
	[[ $(vmirror_field vm 1) == broken ]] || die "not broken: $(dmsetup status vm)"
	echo "   $(dmsetup status vm)"
	# Healthy again: a write sent to it would now land and be counted.
	dm_reload leg "0 $SZ linear /dev/ram1 0"

	echo "== broken: a write to a region in sync goes to the source alone"
	write_checks 16 broken
	echo "== cancel: the same"
	dmsetup message vm 0 cancel
	[[ $(vmirror_field vm 1) == aborted ]] || die "not aborted: $(dmsetup status vm)"
	write_checks 24 aborted

	echo "== resync: the legs are identical again"
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "source and mirror differ"
	dmsetup remove vm leg
	echo ok
}
