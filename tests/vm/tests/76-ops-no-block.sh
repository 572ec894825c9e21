# shellcheck shell=bash
# 76-ops-no-block: an operation that waits on a leg (a split draining a
# write whose mirror half sits in a suspended leg) must not make readers
# wait: sysfs files and VMIRROR_IOC_STATUS (the control node is 0666)
# answer at once.  The split's wait is killable: a killed split is aborted
# and the pair stays synchronized.  So are the mirror flushes of break and
# split, on a mirror whose flush never completes: killed, nothing changed.
DESCRIPTION="sysfs and the STATUS ioctl answer while a split waits on a stuck leg; split and break are killable"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=16384 # 8 MiB

# answers_fast WHAT CMD...  - CMD must finish while the split still waits
# (given 10 s: the VM may be slow, a blocked reader waits for ever).  A
# reader stuck uninterruptibly cannot be killed: the leg is resumed to
# free it, then the test fails.
answers_fast() {
	local what=$1 t0 pid i rc=0
	shift
	t0=$(date +%s%N)
	"$@" >/dev/null &
	pid=$!
	for ((i = 0; i < 100; i++)); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		echo "   $what: still waiting after 10 s ($(cat /proc/$pid/wchan 2>/dev/null))"
		dmsetup resume mleg
		wait $pid || true
		die "$what did not answer while a split waits"
	fi
	wait $pid || rc=$?
	echo "   $what: exit $rc after $((($(date +%s%N) - t0) / 1000000)) ms"
	((rc == 0)) || die "$what failed"
}

test() {
	local dev sys mm wpid spid i

	vmirror_load
	make_ramdisks 2 8
	dmsetup create mleg --table "0 $SZ linear /dev/ram1 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/mleg 0 1 nosync"
	dm_mknodes
	vmirror_wait vm synchronized 10
	dev=$(dm_devname vm)
	sys=$(vmirror_sysfs vm)
	mm=$(vmirror_mm vm)

	echo "== a write's mirror half waits in a suspended leg; split through the ioctl"
	dmsetup suspend mleg
	dd if=/dev/urandom of="$dev" bs=4k count=1 seek=10 oflag=direct status=none &
	wpid=$!
	sleep 0.5
	"$VMIRROR_CLI" control "$mm" split &
	spid=$!
	sleep 1
	[[ $(vmirror_field vm 4) == quiesce_in_progress ]] || die "split not waiting: $(dmsetup status vm)"

	answers_fast "cat copy_state" cat "$sys/copy_state"
	answers_fast "cat mirror_errors" cat "$sys/mirror_errors"
	answers_fast "STATUS ioctl" "$VMIRROR_CLI" status "$mm"
	answers_fast "dmsetup status" dmsetup status vm
	answers_fast "set max_copy_rate" sh -c "echo 1000 >$sys/max_copy_rate"

	echo "== the split is killed: aborted, still synchronized"
	[[ $(vmirror_field vm 4) == quiesce_in_progress ]] || die "split not waiting any more: $(dmsetup status vm)"
	kill -KILL $spid
	for ((i = 0; i < 100; i++)); do
		kill -0 $spid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $spid 2>/dev/null; then
		dmsetup resume mleg
		wait $spid || true
		die "the split could not be killed: $(dmsetup status vm)"
	fi
	wait $spid 2>/dev/null || true
	vmirror_expect vm synchronized synchronized completed

	echo "== the leg comes back: the write completes on both disks; a split works"
	dmsetup resume mleg
	wait $wpid || die "the write failed"
	"$VMIRROR_CLI" control "$mm" split || die "split failed"
	vmirror_expect vm split fractured requires_resync
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "the split image differs from the source"
	dmsetup remove vm mleg

	# A mirror with a write cache (brd has none: the block layer would
	# complete the flush at once), behind a suspended DM device.
	echo "== break and split wait for a mirror flush that never comes: killable, nothing changed"
	local nb op pid
	nb=$(make_nullb opsnb 8)
	dmsetup create mleg --table "0 $SZ linear $nb 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/mleg 0"
	dm_mknodes
	vmirror_wait vm synchronized 30
	dmsetup suspend mleg
	for op in break split; do
		dmsetup message vm 0 "$op" &
		pid=$!
		sleep 1
		kill -0 $pid 2>/dev/null || die "$op did not wait for the mirror's flush"
		kill -KILL $pid
		for ((i = 0; i < 100; i++)); do
			kill -0 $pid 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 $pid 2>/dev/null; then
			echo "   $op: still waiting 10 s after SIGKILL ($(cat /proc/$pid/wchan 2>/dev/null))"
			dmsetup resume mleg
			wait $pid || true
			die "$op could not be killed while the mirror's flush was stuck"
		fi
		wait $pid 2>/dev/null || true
		echo "   $op: killed; $(dmsetup status vm | cut -d' ' -f4-7)"
		vmirror_expect vm synchronized synchronized completed
	done
	echo "== the leg answers again: the abandoned flushes end; break works"
	dmsetup resume mleg
	dmsetup message vm 0 break
	[[ $(vmirror_field vm 1) == failedover ]] || die "break: $(dmsetup status vm)"
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 "$nb" 0 $SZ || die "source and mirror differ"
	dmsetup remove vm mleg
	rmdir /sys/kernel/config/nullb/opsnb
	echo ok
}
