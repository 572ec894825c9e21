# shellcheck shell=bash
# 79-reload-race: tables of one DM device loaded and resumed from parallel
# processes, vmirror and linear in turn, while readers use sysfs and the
# ioctls.  The sysfs directory of the device object that goes away (the
# last vmirror table replaced by a linear one) and that of the one that
# comes (a vmirror table again) must never be in sysfs at the same time
# (no "duplicate filename"), and a live vmirror table always has its
# directory.
DESCRIPTION="parallel reloads vmirror <-> linear with readers: no duplicate sysfs entry, directory present"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=32768 # 16 MiB
ROUNDS=${ROUNDS:-10}

reloader() { # TABLE
	local i
	for ((i = 0; i < ROUNDS; i++)); do
		dmsetup load vm --table "$1" 2>/dev/null || continue
		dmsetup resume vm 2>/dev/null || true
	done
}

reader() { # DMDEV MM
	while [[ ! -e $TMPDIR/stop ]]; do
		cat "/sys/block/$1/vmirror/copy_state" >/dev/null 2>&1 || true
		"$VMIRROR_CLI" status "$2" >/dev/null 2>&1 || true
		dmsetup status vm >/dev/null 2>&1 || true
	done
}

test() {
	local vt lt dmdev mm pids=() p

	vmirror_load
	make_ramdisks 2 16
	vt="0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 1 nosync"
	lt="0 $SZ linear /dev/ram0 0"
	dmsetup create vm --table "$vt"
	dm_mknodes
	dmdev=$(dm_devname vm)
	dmdev=${dmdev#/dev/}
	mm=$(vmirror_mm vm)
	dmesg_mark

	echo "== $ROUNDS rounds of vmirror and linear reloads in parallel, 2 readers"
	reader "$dmdev" "$mm" &
	pids+=($!)
	reader "$dmdev" "$mm" &
	pids+=($!)
	reloader "$vt" &
	p=$!
	reloader "$lt"
	wait $p
	touch "$TMPDIR/stop"
	wait "${pids[@]}"

	if dmesg_since_mark | grep -E "duplicate filename|cannot create the sysfs directory"; then
		die "a sysfs directory was added while the old one was still there"
	fi
	echo "== a vmirror table live: its directory is there and answers"
	dmsetup load vm --table "$vt"
	dmsetup resume vm
	[[ $(cat "/sys/block/$dmdev/vmirror/copy_state") == synchronized ]] ||
		die "no working sysfs directory for the live vmirror table"
	vmirror_agree vm
	dmsetup remove vm
	echo ok
}
