# shellcheck shell=bash
# 95-ioctl: /dev/vmirror-control with good and bad input: every errno of
# the extensible-struct rules, CONTROL's privilege check as uid nobody, and
# a random fuzz that checks each result against a model of the rules and
# that nothing is written beyond the returned size; all of it once as a
# 64-bit and once as a 32-bit process (the compat ioctl path).  Then the
# ioctls race with suspend/resume, reload and create/remove of another
# mirror.  The mirror must come out of it synchronized, with its table and
# data unchanged.
DESCRIPTION="ioctl interface: errnos, struct sizes, privileges, fuzz"

. "$VM_SUITE_DIR/vmirror-lib.sh"

IOCTL_TEST=$SRCDIR/tests/ioctl/vmirror-ioctl-test
IOCTL_TEST32=$SRCDIR/tests/ioctl/vmirror-ioctl-test32

test() {
	local dev nondev src tgt table rc bin args hpid cycles

	for bin in "$IOCTL_TEST" "$IOCTL_TEST32"; do
		[[ -x $bin ]] ||
			die "$bin is missing: build it on the host first with 'make -C tests/ioctl'"
	done
	vmirror_load
	[[ -c /dev/vmirror-control ]] || die "/dev/vmirror-control is missing after loading the module"
	make_ramdisks 5 16
	fill_random /dev/ram0 32768
	dmsetup create vm --table "0 32768 vmirror /dev/ram0 0 /dev/ram1 0"
	dmsetup create lin --table "0 32768 linear /dev/ram2 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	table=$(dmsetup table vm)

	dev=$(dmsetup info -c --noheadings -o major,minor vm | tr -d ' ')
	nondev=$(dmsetup info -c --noheadings -o major,minor lin | tr -d ' ')
	src=$(</sys/block/ram0/dev)
	tgt=$(</sys/block/ram1/dev)
	[[ $dev =~ ^[0-9]+:[0-9]+$ && $nondev =~ ^[0-9]+:[0-9]+$ ]] ||
		die "cannot get the device numbers: vm '$dev', lin '$nondev'"
	echo "vm is $dev (legs $src, $tgt), lin is $nondev"

	args=(--dev "$dev" --nondev "$nondev" --source "$src" --target "$tgt"
		--fuzz "${VMIRROR_IOCTL_FUZZ:-10000}" ${VMIRROR_IOCTL_SEED:+--seed "$VMIRROR_IOCTL_SEED"})

	echo "--- as a 64-bit process"
	"$IOCTL_TEST" "${args[@]}" || die "vmirror-ioctl-test failed"

	echo "--- as a 32-bit process (compat_ioctl)"
	rc=0
	"$IOCTL_TEST32" --help >/dev/null 2>&1 || rc=$?
	if ((rc == 126)); then
		echo "skipped: this kernel cannot run 32-bit programs (no IA32 emulation)"
	else
		"$IOCTL_TEST32" "${args[@]}" || die "vmirror-ioctl-test32 failed"
	fi

	echo "--- ioctls racing with suspend/resume, reload, create/remove"
	# (--hammer: at most 120 s; SIGUSR1 stops it when we are done, or die)
	"$IOCTL_TEST" --dev "$dev" --nondev "$nondev" --hammer 120 &
	hpid=$!
	# shellcheck disable=SC2064 # $hpid now
	trap "kill -USR1 $hpid 2>/dev/null || true" EXIT
	for ((cycles = 0; cycles < ${VMIRROR_IOCTL_CYCLES:-6}; cycles++)); do
		kill -0 "$hpid" 2>/dev/null || break
		dmsetup suspend vm
		dmsetup resume vm
		dmsetup reload vm --table "$table"
		dmsetup resume vm
		dmsetup create vm2 --table "0 16384 vmirror /dev/ram3 0 /dev/ram4 0"
		dmsetup remove vm2
	done
	kill -USR1 "$hpid" 2>/dev/null || true
	wait "$hpid" || die "the ioctls failed while devices came and went"
	trap - EXIT
	echo "$cycles cycles of suspend/resume, reload, create/remove"

	echo "afterwards: $(dmsetup status vm)"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "vm is no longer synchronized: $(dmsetup status vm)"
	[[ $(dmsetup table vm) == "$table" ]] || die "table changed: '$table' -> '$(dmsetup table vm)'"
	cmp_devices /dev/ram0 0 /dev/ram1 0 32768 || die "source and mirror differ"
	dmsetup remove vm
	dmsetup remove lin
	echo ok
}
