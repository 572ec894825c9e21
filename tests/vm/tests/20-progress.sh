# shellcheck shell=bash
# 20-progress: percent_synced never goes backwards without writes, ends at
# 100, and the synchronized state raises a DM event.
DESCRIPTION="progress is monotonic, ends at 100 %, synchronized raises an event"

. "$VM_SUITE_DIR/vmirror-lib.sh"

test() {
	local last=-1 pct state n=0 seen_mid=0 ev0

	vmirror_load
	make_ramdisks 2 32
	dmsetup create vm --table "0 65536 vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 256 max_copy_rate 1024"
	ev0=$(dmsetup info -c --noheadings -o events vm)
	echo "status at start: $(dmsetup status vm)"

	while :; do
		local -a f
		read -ra f <<<"$(dmsetup status vm)"
		state=${f[3]} pct=${f[4]}
		((pct >= last)) || die "percent went back from $last to $pct"
		((pct > 0 && pct < 100)) && seen_mid=1
		last=$pct
		[[ $state == synchronized ]] && break
		[[ $state == unsynchronized ]] || die "unexpected state $state"
		[[ ${f[6]} == resync_in_progress ]] || die "sync_state: ${f[*]}"
		[[ ${f[7]} == synchronizing ]] || die "progress_status: ${f[*]}"
		((++n < 1200)) || die "no synchronization after 1200 samples"
		sleep 0.05
	done
	echo "status at end:   $(dmsetup status vm) ($n samples)"
	((seen_mid)) || die "never saw a percentage between 0 and 100"
	((n >= 10)) || die "only $n samples: the test did not watch the copy"
	[[ $(vmirror_field vm 2) == 100 ]] || die "synchronized at $(vmirror_field vm 2) %"
	[[ $(vmirror_field vm 3) == 256/256 ]] || die "regions: $(vmirror_field vm 3)"
	[[ $(vmirror_field vm 4) == synchronized ]] || die "sync_state $(vmirror_field vm 4)"
	[[ $(vmirror_field vm 5) == completed ]] || die "progress $(vmirror_field vm 5)"
	[[ $(vmirror_field vm 8) == $((32 << 20)) ]] || die "bytes_copied $(vmirror_field vm 8)"
	(($(dmsetup info -c --noheadings -o events vm) > ev0)) || die "no DM event on synchronized"
	cmp_devices /dev/ram0 0 /dev/ram1 0 65536
	echo "ok: $n samples, monotonic, event seen"

	echo "nosync: starts synchronized and copies nothing"
	dmsetup remove vm
	dmsetup create vm2 --table "0 65536 vmirror /dev/ram0 0 /dev/ram1 0 1 nosync"
	vmirror_wait vm2 synchronized 10
	[[ $(vmirror_field vm2 8) == 0 ]] || die "nosync copied $(vmirror_field vm2 8) bytes"
	dmsetup remove vm2
}
