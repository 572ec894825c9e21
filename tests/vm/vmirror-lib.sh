# shellcheck shell=bash
# tests/vm/vmirror-lib.sh - helpers for the vmirror VM tests (guest side).
# Source it from a test file after lib.sh (which suite.sh sources).

VMIRROR_KO=${VMIRROR_KO:-$SRCDIR/kernel/dm-vmirror.ko}

# vmirror_load  - load dm-mod and the freshly built dm-vmirror.ko, and the
# stock targets the tests stack under the legs.
vmirror_load() {
	modprobe dm-mod
	modprobe dm-delay
	modprobe dm-flakey
	if [[ ! -d /sys/module/dm_vmirror ]]; then
		insmod "$VMIRROR_KO" || die "insmod $VMIRROR_KO failed"
	fi
	dmsetup targets | grep -q '^vmirror ' || die "vmirror target not registered"
}

# vmirror_field NAME N  - field N of the vmirror status (1 = copy_state,
# 2 = percent, 3 = synced/total, 4 = sync_state, 5 = progress_status,
# 6 = copy_priority, 7 = max_copy_rate, 8 = bytes_copied,
# 9 = source_errors, 10 = mirror_errors).
vmirror_field() {
	dmsetup status "$1" | awk -v n="$2" '$3 == "vmirror" { print $(3 + n) }'
}

# vmirror_wait NAME STATE [TIMEOUT_S]  - wait until copy_state is STATE.
vmirror_wait() {
	local name=$1 want=$2 timeout=${3:-120} i
	for ((i = 0; i < timeout * 10; i++)); do
		[[ $(vmirror_field "$name" 1) == "$want" ]] && return 0
		sleep 0.1
	done
	echo "vmirror_wait: $name still '$(dmsetup status "$name")' after ${timeout}s, wanted $want" >&2
	return 1
}

# delay_leg NAME DEV WRITE_DELAY_MS  - a dm-delay device over all of DEV
# that holds every write for WRITE_DELAY_MS, so host writes and copies of
# the same region are really in flight at the same time (brd alone
# completes a write inside submit_bio).
delay_leg() {
	local name=$1 dev=$2 ms=$3 sz
	sz=$(dev_sectors "$dev")
	dmsetup create "$name" --table "0 $sz delay $dev 0 0 $dev 0 $ms"
	dm_mknodes
}

# expect_fail CMD...  - CMD must fail.
expect_fail() {
	if "$@" >/dev/null 2>&1; then
		die "expected failure: $*"
	fi
}
