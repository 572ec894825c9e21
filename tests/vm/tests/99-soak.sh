# shellcheck shell=bash
# 99-soak: fio writes and verifies on the vmirror device while a loop fires
# random operations at it: pause, resume, fracture, split, resync, cancel,
# priority and rate changes, dmsetup suspend/resume and table reloads.  At
# the end: fio saw no error and no bad block, nothing hung, the state is
# one the model allows, and after a final resync the legs are identical.
# SOAK_SECONDS sets the length (60 in make check, 600 in make soak).
DESCRIPTION="soak: fio verify under random operations, suspends and reloads for ${SOAK_SECONDS:-60}s"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=131072 # 64 MiB
SECS=${SOAK_SECONDS:-60}

declare -A DONE=() REFUSED=()

# op NAME CMD...  - run an operation; a refusal (-EBUSY) is expected
# sometimes, a hang is not.
op() {
	local name=$1
	shift
	if timeout 60 "$@" >/dev/null 2>"$TMPDIR/op.err"; then
		DONE[$name]=$((${DONE[$name]:-0} + 1))
	else
		(($? != 124)) || die "operation '$*' hung for 60s"
		grep -q 'Device or resource busy' "$TMPDIR/op.err" ||
			{ cat "$TMPDIR/op.err"; die "operation '$*' failed unexpectedly"; }
		REFUSED[$name]=$((${REFUSED[$name]:-0} + 1))
	fi
}

reload_same() { # the same legs with other settings: the association survives
	local prio=$1
	dmsetup load vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/slow 0 4 region_size 64 copy_priority $prio" &&
		dmsetup suspend vm && dmsetup resume vm
}

random_op() {
	case $((RANDOM % 14)) in
	0) op pause dmsetup message vm 0 pause ;;
	1 | 2) op resume dmsetup message vm 0 resume ;;
	3) op fracture dmsetup message vm 0 fracture ;;
	4) op split dmsetup message vm 0 split ;;
	5 | 6) op resync dmsetup message vm 0 resync ;;
	7) if ((RANDOM % 2)); then op cancel dmsetup message vm 0 cancel; fi ;;
	8) op priority dmsetup message vm 0 copy_priority "$(shuf -n1 -e low same high)" ;;
	9) op rate dmsetup message vm 0 max_copy_rate "$(shuf -n1 -e 0 8192 32768 65536)" ;;
	10) op suspend sh -c 'dmsetup suspend vm && dmsetup resume vm' ;;
	11) op suspend_noflush sh -c 'dmsetup suspend --noflush vm && dmsetup resume vm' ;;
	12) op reload bash -c 'reload_same "$1"' _ "$(shuf -n1 -e low same high)" ;;
	13) op status dmsetup status vm ;;
	esac
}

test() {
	local dev pid end state n=0 k

	vmirror_load
	make_ramdisks 2 64
	fill_random /dev/ram0 $SZ
	# 2 ms per mirror write: host writes, copies and operations overlap.
	delay_leg slow /dev/ram1 2
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/slow 0 4 region_size 64 max_copy_rate 32768"
	dm_mknodes
	dev=$(dm_devname vm)

	fio --name=soak --filename="$dev" --rw=randrw --rwmixread=30 \
		--bssplit=4k/40:16k/30:64k/20:256k/10 --size=64M --direct=1 \
		--ioengine=libaio --iodepth=8 --time_based --runtime="$SECS" \
		--verify=crc32c --verify_fatal=1 --verify_backlog=64 \
		--output="$TMPDIR/fio.txt" &
	pid=$!

	export -f reload_same
	export SZ
	end=$((SECONDS + SECS))
	while ((SECONDS < end)) && kill -0 $pid 2>/dev/null; do
		random_op
		n=$((n + 1))
		sleep "0.$((RANDOM % 5))"
	done
	wait $pid || { cat "$TMPDIR/fio.txt"; die "fio failed under the operations"; }
	grep -q 'err= 0' "$TMPDIR/fio.txt" || die "fio saw errors"
	echo "   $n operations:"
	for k in "${!DONE[@]}" "${!REFUSED[@]}"; do echo "$k"; done | sort -u | while read -r k; do
		echo "     $k: ${DONE[$k]:-0} done, ${REFUSED[$k]:-0} refused"
	done

	# Whatever the loop left, the model must be able to get back in sync.
	state=$(vmirror_field vm 1)
	echo "   final state: $(dmsetup status vm)"
	case $state in
	unsynchronized | synchronized) ;;
	fractured | split | broken | aborted) dmsetup message vm 0 resync ;;
	*) die "unexpected state after the soak: $state" ;;
	esac
	dmsetup message vm 0 resume >/dev/null 2>&1 || true # if paused
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 300
	VMIRROR_AGREE_WORDS_ONLY=0 vmirror_expect vm synchronized synchronized completed
	[[ $(vmirror_field vm 10) == 0 ]] || die "mirror errors: $(dmsetup status vm)"
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ after the soak and a resync"
	dmsetup remove vm slow
	echo ok
}
