# shellcheck shell=bash
# 66-stalled-mirror: a mirror leg that stops answering (a DM device
# suspended with --noflush holds every new bio, as an NBD or NVMe-oF target
# that went silent) must not take the vmirror device with it.  One region
# covers the whole device, so the copy is stuck in its first chunk and
# every host write is held behind it.  Each scenario stalls a leg of its
# own (mir, mir2, mir3): a stale copy write stops copies to its mirror.
#  - suspend of the vmirror device completes; the held host write
#    completes (on the source); a reload onto a new mirror disk copies
#    everything;
#  - remove --force of a vmirror device with a stuck copy completes;
#  - while an abandoned copy write to the mirror may still land, no copy
#    to that mirror starts (none reads the source): not after suspend +
#    resume of the same table, nor after a reload with another region size
#    (a new region map); host writes go to the source; once the leg
#    answers again, the copy ends and the legs are identical;
#  - the stale I/O pins the module until it has completed;
#  - a host write to a region in sync stuck on the stalled mirror: DM's
#    suspend waits for it, but a signal interrupts that wait and leaves the
#    device live.
DESCRIPTION="a stalled mirror leg: suspend, reload and remove --force of the vmirror device complete"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB
ONE_REGION="2 region_size $SZ"

# finishes SECONDS PID WHAT  - PID must exit within SECONDS, successfully.
# Otherwise print its state (D = uninterruptible) and fail, after letting
# the stalled leg go so that the VM can still shut down.
finishes() {
	local limit=$1 pid=$2 what=$3 t0
	t0=$(date +%s%N)
	while (($(date +%s%N) - t0 < limit * 1000000000)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" || die "$what failed"
			echo "   $what returned after $((($(date +%s%N) - t0) / 1000000)) ms"
			return 0
		fi
		sleep 0.1
	done
	echo "   $what still running after ${limit}s, state $(awk '{ print $3 }' "/proc/$pid/stat"):"
	sed 's/^/     /' "/proc/$pid/stack" 2>/dev/null || true
	for d in mir mir2 mir3; do dmsetup resume "$d" 2>/dev/null || true; done
	wait "$pid" || true
	die "$what hangs on a stalled mirror"
}

refcnt() { cat /sys/module/dm_vmirror/refcnt; }
# Sectors read from the source (a DM device: brd keeps no I/O statistics).
source_reads() { blk_stat "$(dm_devname src)" 3; }

test() {
	local dev pid i reads

	vmirror_load
	make_ramdisks 5 32
	fill_random /dev/ram0 $SZ
	dmsetup create src --table "0 $SZ linear /dev/ram0 0"
	dmsetup create mir --table "0 $SZ linear /dev/ram1 0"
	dmsetup create mir2 --table "0 $SZ linear /dev/ram3 0"
	dmsetup create mir3 --table "0 $SZ linear /dev/ram4 0"
	dm_mknodes
	dmsetup suspend --noflush mir
	dmsetup suspend --noflush mir2
	dmsetup suspend --noflush mir3

	echo "== copy stuck on the stalled mirror, a host write held behind it: suspend"
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/mapper/mir 0 $ONE_REGION"
	dm_mknodes
	dev=$(dm_devname vm)
	sleep 1
	[[ $(vmirror_field vm 8) == 0 ]] || die "the copy moved: $(dmsetup status vm)"
	head -c 4096 /dev/urandom >"$TMPDIR/blk"
	dd if="$TMPDIR/blk" of="$dev" bs=4k seek=100 oflag=direct status=none &
	pid=$!
	sleep 1
	kill -0 $pid 2>/dev/null || die "the host write was not held by the copy"
	dmsetup suspend vm &
	finishes 30 $! "dmsetup suspend vm"
	finishes 10 $pid "the held host write"
	cmp "$TMPDIR/blk" <(_read_direct /dev/ram0 800 8) || die "the held write is not on the source"

	echo "== reload onto a new mirror disk: full copy, identical"
	dmsetup load vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/ram2 0"
	dmsetup resume vm
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram2 0 $SZ || die "source and new mirror differ"
	dmsetup remove vm

	echo "== remove --force with a copy stuck on a stalled mirror"
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/mapper/mir2 0 $ONE_REGION"
	sleep 1
	dmsetup remove --force vm &
	finishes 30 $! "dmsetup remove --force vm"
	echo "   dm_vmirror refcnt with no vmirror device and stale I/O in flight: $(refcnt)"
	(($(refcnt) >= 2)) || die "stale copy I/O in flight, and nothing holds the module"

	echo "== suspend and resume the same table: no copy while its stale write may land"
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/mapper/mir3 0 $ONE_REGION"
	dm_mknodes
	dev=$(dm_devname vm)
	sleep 1
	dmsetup suspend vm &
	finishes 30 $! "dmsetup suspend vm"
	reads=$(source_reads)
	dmsetup resume vm
	sleep 3
	[[ $(source_reads) == "$reads" ]] ||
		die "a copy read the source with a stale copy write to its mirror in flight"
	# Not in sync, not copied: host writes go to the source alone.
	dd if=/dev/urandom of="$dev" bs=64k count=4 seek=20 oflag=direct status=none &
	finishes 10 $! "a host write to the abandoned region"
	[[ $(vmirror_field vm 1) == unsynchronized && $(vmirror_field vm 8) == 0 ]] ||
		die "state: $(dmsetup status vm)"
	echo "   $(dmsetup status vm)"

	echo "== reload with another region size (a new region map): still no copy"
	dmsetup load vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/mapper/mir3 0"
	dmsetup suspend vm &
	finishes 30 $! "dmsetup suspend vm"
	reads=$(source_reads)
	dmsetup resume vm
	sleep 3
	[[ $(source_reads) == "$reads" && $(vmirror_field vm 8) == 0 ]] ||
		die "a copy started with a stale copy write to its mirror in flight: $(dmsetup status vm)"
	echo "   $(dmsetup status vm)"

	echo "== the mirrors answer again: the stale I/O ends, the copy ends, identical"
	dmsetup resume mir
	dmsetup resume mir2
	dmsetup resume mir3
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram4 0 $SZ || die "source and mirror differ"
	dmsetup resume vm

	echo "== synchronized, a host write stuck on the stalled mirror: suspend waits, interruptibly"
	dmsetup suspend --noflush mir3
	dd if=/dev/urandom of="$dev" bs=4k count=1 seek=3000 oflag=direct status=none &
	pid=$!
	sleep 1
	kill -0 $pid 2>/dev/null || die "the host write did not wait for the mirror"
	if timeout 10 dmsetup suspend vm; then
		die "suspend returned with a host write in flight"
	fi
	[[ $(vmirror_field vm 1) == synchronized ]] ||
		die "an interrupted suspend left: $(dmsetup status vm)"
	echo "   interrupted; $(dmsetup status vm | cut -d' ' -f4-7)"
	dmsetup resume mir3
	finishes 10 $pid "the host write, once the mirror answers"
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram4 0 $SZ || die "source and mirror differ"
	dmsetup remove vm mir mir2 mir3 src
	for ((i = 0; i < 50 && $(refcnt) > 0; i++)); do sleep 0.1; done
	(($(refcnt) == 0)) || die "dm_vmirror still referenced: $(refcnt)"
	echo ok
}
