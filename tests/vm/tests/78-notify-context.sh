# shellcheck shell=bash
# 78-notify-context: sysfs_notify() takes kernfs locks (a sleeping rwsem
# that is held across GFP_KERNEL allocations); the bio path, which may run
# for memory reclaim, must never call it.  The function tracer records
# the call stack of every sysfs_notify(): none may come from the target's
# map.  The notification itself still comes (from the notify work).
DESCRIPTION="sysfs_notify() never runs on the bio path; percent_synced is still notified"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB, 64 regions

test() {
	local dev sys tr n

	vmirror_load
	make_ramdisks 2 32
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/ram1 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	sys=$(vmirror_sysfs vm)
	dmsetup message vm 0 fracture

	tr=/sys/kernel/tracing
	[[ -e $tr/trace ]] || mount -t tracefs nodev $tr
	echo 0 >$tr/tracing_on
	echo nop >$tr/current_tracer
	echo >$tr/trace
	echo sysfs_notify >$tr/set_ftrace_filter
	echo function >$tr/current_tracer
	echo 1 >$tr/options/func_stack_trace

	echo "== writes to regions in sync while fractured: percent_synced falls"
	python3 - "$sys/percent_synced" <<'PY' &
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.read(fd, 64)
p = select.poll()
p.register(fd, select.POLLPRI | select.POLLERR)
open("/tmp/vmtest-78-ready", "w").close()
sys.exit(0 if p.poll(20000) else 1)
PY
	local ppid=$!
	for ((n = 0; n < 50; n++)); do [[ -e /tmp/vmtest-78-ready ]] && break; sleep 0.1; done
	rm -f /tmp/vmtest-78-ready
	echo 1 >$tr/tracing_on
	# One 4 KiB write in each of 8 regions: percent_synced 100 -> 87.
	for ((n = 0; n < 8; n++)); do
		dd if=/dev/urandom of="$dev" bs=4k count=1 seek=$((n * 128 + 5)) oflag=direct status=none
	done
	sleep 1
	echo 0 >$tr/tracing_on
	wait $ppid || die "no poll() wake-up on percent_synced"
	echo "   $(dmsetup status vm)"
	[[ $(<"$sys/percent_synced") == 87 ]] || die "percent_synced $(<"$sys/percent_synced"), want 87"

	n=$(grep -c '=> sysfs_notify\|sysfs_notify <-' $tr/trace || true)
	((n > 0)) || die "the tracer saw no sysfs_notify()"
	echo "   sysfs_notify() calls traced: $n"
	if grep -q 'vmirror_map' $tr/trace; then
		grep -B2 -A12 'sysfs_notify <-' $tr/trace | head -40
		die "sysfs_notify() called from the bio path (vmirror_map)"
	fi
	echo nop >$tr/current_tracer
	echo 0 >$tr/options/func_stack_trace
	echo >$tr/set_ftrace_filter
	dmsetup remove vm
	echo ok
}
