# shellcheck shell=bash
# 55-metadata-stalled-source: with metadata_dev the copier's flush point
# flushes the source too.  A source whose flushes hang (dm-delay holding
# writes and flushes for 40 s, reads at once) must not hold "dmsetup
# suspend" of the vmirror device: the flush goes out with the mirror's in
# one dm-io request, and the copier abandons it after its drain timeout
# like any stuck copy I/O (review #7: it used to be a synchronous flush in
# the copier thread, and presuspend waited for it in D state).  Once the
# source answers again the copy finishes and the legs are equal.
DESCRIPTION="metadata_dev: a source whose flushes hang does not hold suspend (the copier never waits for a leg)"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=32768 # 16 MiB, 128 regions of 128 KiB

test() {
	local t pid t0 ms nb

	vmirror_load
	make_ramdisks 3 16
	# The source has a volatile cache (null_blk): on brd, which has none,
	# the block layer would complete an empty flush before dm-delay saw it.
	nb=$(make_nullb ssrc 16)
	fill_random "$nb" $SZ
	# Writes (and so flushes) held 40 s, reads at once: the copy only reads
	# the source, and no host write comes.
	dmsetup create src --table "0 $SZ delay $nb 0 0 $nb 0 40000"
	dm_mknodes
	t="0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0 4 region_size 256 metadata_dev /dev/ram2"
	dmsetup create vm --table "$t"
	dm_mknodes
	# The copy reaches its flush point within a second or two; the
	# source's flush then hangs, so nothing is counted in sync.
	sleep 4
	[[ $(vmirror_field vm 3) == 0/128 ]] || die "a batch was counted without its source flush: $(dmsetup status vm)"
	(($(vmirror_field vm 8) == 0)) || die "bytes_copied moved: $(dmsetup status vm)"

	echo "suspend with the source flush hanging"
	t0=$(date +%s%N)
	dmsetup suspend vm &
	pid=$!
	while kill -0 $pid 2>/dev/null && (($(date +%s%N) - t0 < 20000000000)); do sleep 0.2; done
	if kill -0 $pid 2>/dev/null; then
		echo "   dmsetup suspend still running after 20 s, state $(awk '{ print $3 }' "/proc/$pid/stat")"
		ps -eo stat=,pid=,comm= | awk '$1 ~ /^D/' | sed 's/^/   D: /'
		dm_reload src "0 $SZ linear $nb 0"
		wait $pid || true
		die "suspend waits for a stalled source flush"
	fi
	wait $pid || die "dmsetup suspend failed"
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "   suspend returned after $ms ms"
	dmesg | grep -q "a flush of mirror .* was abandoned in flight" ||
		die "the stuck flush was not abandoned"
	no_d_state

	echo "the source answers again: the copy finishes"
	dm_reload src "0 $SZ linear $nb 0"
	dmsetup resume vm
	vmirror_wait vm synchronized 120
	dmsetup suspend vm
	cmp_devices "$nb" 0 /dev/ram1 0 $SZ || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	dmsetup remove src
	echo 0 >/sys/kernel/config/nullb/ssrc/power
	rmdir /sys/kernel/config/nullb/ssrc
	echo ok
}
