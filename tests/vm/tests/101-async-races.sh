# shellcheck shell=bash
# 101-async-races: sync_mode async where the lag meets the rest of the
# machine, over a mirror that takes 20 ms per write (dm-delay).
#  - a first copy under a steady write load reaches synchronized (writes
#    to copied regions go to both disks until then, as in sync mode);
#  - break and split with a lag while the device is suspended fail at
#    once (the copier does not run), change nothing, and the resume works;
#  - vmirrorctl break of an async pair with a lag, under fio: drains the
#    lag (sync_mode sync), then pivots; every block fio wrote reads back
#    from the mirror; a break interrupted while draining restores async.
DESCRIPTION="async races: converge under writes, break/split suspended, vmirrorctl break with a lag"

. "$VM_SUITE_DIR/vmirror-lib.sh"

CTL=$SRCDIR/tools/vmirrorctl/vmirrorctl
SZ=131072 # 64 MiB
TABLE="0 $SZ vmirror /dev/ram0 0 /dev/mapper/slow 0"

lag() { cat "$(vmirror_sysfs vm)/lag_bytes"; }
sync_mode() { cat "$(vmirror_sysfs vm)/sync_mode"; }

wait_lag0() {
	local i
	for ((i = 0; i < 1200; i++)); do
		(($(lag) == 0)) && return 0
		sleep 0.1
	done
	die "lag_bytes still $(lag) after 120 s: $(dmsetup status vm)"
}

# fio_bg NAME ARGS...  - 4k random writes to vm with verify headers, in the
# background; the caller waits for $!.
fio_bg() {
	local name=$1
	shift
	fio --name="$name" --filename=/dev/mapper/vm --rw=randwrite --bs=4k \
		--size=64M --direct=1 --ioengine=libaio --verify=crc32c \
		--verify_fatal=1 "$@" >"$TMPDIR/$name.out" 2>&1 &
}

# make_lag  - async writes with the copy slowed to 256 KiB/s: a lag the
# next steps find still there
make_lag() {
	dmsetup message vm 0 max_copy_rate "$(rate 256)"
	fio --name=lag --filename=/dev/mapper/vm --rw=randwrite --bs=4k --size=64M \
		--direct=1 --ioengine=libaio --iodepth=8 --io_size=512K --randseed=5 \
		>"$TMPDIR/lag.out" 2>&1 || { cat "$TMPDIR/lag.out"; die "fio lag failed"; }
	(($(lag) > 0)) || die "no lag after async writes: $(dmsetup status vm)"
}

test() {
	local pid l rc t0 t1 out mm op

	vmirror_load
	make_ramdisks 2 64
	fill_random /dev/ram0 $SZ
	delay_leg slow /dev/ram1 20

	echo "== first copy under steady writes reaches synchronized"
	# The writes start before the copy (no_activation), and the copy takes
	# some 16 s (max_copy_rate): the whole copy runs under them.
	dmsetup create vm --table "$TABLE 7 region_size 256 sync_mode async max_copy_rate $(rate 4096) no_activation"
	dm_mknodes
	fio_bg steady --iodepth=1 --time_based --runtime=600 --do_verify=0 --randseed=1
	pid=$!
	sleep 3
	kill -0 "$pid" || { cat "$TMPDIR/steady.out"; die "fio steady ended"; }
	dmsetup message vm 0 activate
	if ! vmirror_wait vm synchronized 240; then
		kill "$pid"
		wait "$pid"
		die "async first copy under writes never synchronized: $(dmsetup status vm)"
	fi
	echo "   synchronized under writes: $(dmsetup status vm)"
	kill "$pid"	# SIGINT is ignored by a background job
	wait "$pid" || true
	dmsetup message vm 0 max_copy_rate 0
	wait_lag0
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ after the first copy"
	dmsetup resume vm

	echo "== break and split with a lag while suspended: refused at once"
	make_lag
	dmsetup suspend vm
	l=$(lag)
	echo "   suspended with lag_bytes $l"
	((l > 0)) || die "the suspend carried the lag: cannot test"
	for op in break split; do
		dmesg_mark
		t0=$(date +%s)
		rc=0
		timeout 30 dmsetup message vm 0 $op 2>"$TMPDIR/err" || rc=$?
		t1=$(date +%s)
		echo "   $op: rc $rc in $((t1 - t0)) s: $(dmesg_since_mark | grep -o "$op refused.*" | head -1)"
		((rc != 124)) || die "$op hung while suspended with a lag"
		((rc != 0)) || die "$op accepted while suspended with a lag"
		((t1 - t0 < 10)) || die "$op took $((t1 - t0)) s"
		dmesg_since_mark | grep -q "$op refused: .*suspended" || die "no message for the refused $op"
		[[ $(vmirror_field vm 1) == suspended && $(sync_mode) == async ]] ||
			die "$op changed something: $(dmsetup status vm)"
	done
	timeout 30 dmsetup resume vm || die "resume after the refused break hung or failed"
	[[ $(vmirror_field vm 1) == synchronized && $(sync_mode) == async ]] ||
		die "after resume: $(dmsetup status vm), sync_mode $(sync_mode)"
	dmsetup message vm 0 max_copy_rate 0
	wait_lag0

	echo "== vmirrorctl break interrupted while draining: async restored"
	make_lag
	dmsetup message vm 0 max_copy_rate "$(rate 16)"
	rc=0
	timeout -s TERM 3 "$CTL" break vm 2>"$TMPDIR/err" || rc=$?
	cat "$TMPDIR/err"
	((rc != 0)) || die "break finished with a lag the copy cannot carry in 3 s"
	grep -q "interrupted while the mirror caught up" "$TMPDIR/err" || die "no interrupted message"
	[[ $(vmirror_field vm 1) == synchronized && $(sync_mode) == async ]] ||
		die "after an interrupted break: $(dmsetup status vm), sync_mode $(sync_mode)"
	dmsetup table vm | grep -q ' vmirror ' || die "interrupted break changed the table"

	echo "== vmirrorctl break with a lag, under fio: drains, pivots, data on the mirror"
	dmsetup message vm 0 max_copy_rate "$(rate 4096)"
	fio_bg brk --iodepth=4 --io_size=8M --randseed=9
	pid=$!
	sleep 2
	l=$(lag)
	echo "   lag_bytes at break: $l"
	((l > 0)) || die "no lag before break"
	rc=0
	out=$(timeout 300 "$CTL" break vm 2>&1) || rc=$?
	echo "$out"
	((rc == 0)) || die "vmirrorctl break failed ($rc)"
	wait "$pid" || { cat "$TMPDIR/brk.out"; die "fio brk failed (verify through the mirror)"; }
	mm=$(dmsetup info -c --noheadings -o major,minor slow | tr -d ' ')
	dmsetup table vm | grep -q " linear $mm 0" || die "not pivoted to the mirror: $(dmsetup table vm)"
	dmsetup remove vm
	dmsetup remove slow
}
