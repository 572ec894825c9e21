# shellcheck shell=bash
# 90-state-model: every transition of the state table, driven once by DM
# messages and once by VMIRROR_IOC_CONTROL, with dmsetup status, sysfs and
# VMIRROR_IOC_STATUS agreeing after each step; fracture/resync copies only
# the changed regions; split, cancel and break route I/O as documented.
DESCRIPTION="state transitions by message and ioctl; status/sysfs/ioctl agree; fracture, split, cancel, break data paths"

. "$VM_SUITE_DIR/vmirror-lib.sh"

REG=64			# region size in sectors: 32 KiB
REGB=$((REG * 512))
LEN=16384		# 8 MiB, 256 regions

op() { # DRIVER OP [VALUE]
	local how=$1 o=$2 v=${3:-}
	if [[ $how == msg ]]; then
		case $o in
		priority) dmsetup message vm 0 copy_priority "$v" ;;
		rate) dmsetup message vm 0 max_copy_rate "$v" ;;
		*) dmsetup message vm 0 "$o" ;;
		esac
	else
		case $o in
		priority) v=$(case $v in low) echo 1 ;; same) echo 2 ;; high) echo 3 ;; esac) ;;
		esac
		"$VMIRROR_CLI" control "$(vmirror_mm vm)" "$o" $v
	fi
}

refused() { # DRIVER OP: must fail with EBUSY
	local err
	if op "$@" 2>"$TMPDIR/err"; then die "$2 accepted in state $(vmirror_field vm 1)"; fi
	if [[ $1 == ioctl ]]; then
		err=$(cat "$TMPDIR/err")
		[[ $err == EBUSY ]] || die "$2 by ioctl: $err, want EBUSY"
	fi
}

# write_pattern DEV REGION FILE  - one region of random data, direct I/O
write_pattern() {
	head -c $REGB /dev/urandom >"$3"
	dd if="$3" of="$1" bs=$REGB seek="$2" count=1 oflag=direct status=none
}
region_is() { # DEV OFFSET_SECTORS REGION FILE
	dd if="$1" bs=512 skip=$(($2 + $3 * REG)) count=$REG iflag=direct status=none | cmp -s - "$4"
}

legs_equal() {
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $LEN
	dmsetup resume vm
}

sequence() {
	local how=$1 dev b0 b1 synced total
	echo "== driven by $how"
	fill_random /dev/ram0 $LEN
	dmsetup create vm --table "0 $LEN vmirror /dev/ram0 0 /dev/ram1 0 5 region_size $REG max_copy_rate 1024 no_activation"
	dev=$(dm_devname vm)
	vmirror_expect vm initialized initialized requires_activate
	[[ $(<"$(vmirror_sysfs vm)/sync_time") == - ]] || die "sync_time before any sync"
	[[ $(<"$(vmirror_sysfs vm)/eta_seconds") == -1 ]] || die "eta before activation"
	for o in pause resume fracture split break resync; do refused "$how" $o; done

	op "$how" activate
	VMIRROR_AGREE_WORDS_ONLY=1 vmirror_expect vm unsynchronized resync_in_progress synchronizing
	[[ $(vmirror_field vm 12) == synchronized ]] || die "requested_copy_state"
	op "$how" pause
	sleep 0.5	# let a copy in flight end
	vmirror_expect vm unsynchronized resync_in_progress dormant
	op "$how" resume
	op "$how" rate 0
	vmirror_wait vm synchronized 60
	vmirror_expect vm synchronized synchronized completed
	[[ $(<"$(vmirror_sysfs vm)/sync_maintained") == 1 ]] || die "sync_maintained"
	[[ $(<"$(vmirror_sysfs vm)/sync_time") =~ ^20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-5][0-9]Z$ ]] ||
		die "sync_time: $(<"$(vmirror_sysfs vm)/sync_time")"
	[[ $(<"$(vmirror_sysfs vm)/eta_seconds") == 0 ]] || die "eta when synchronized"
	[[ $(vmirror_field vm 12) == not_applicable ]] || die "requested_copy_state after sync"
	for o in pause resume activate resync; do refused "$how" $o; done
	legs_equal

	echo "-- fracture, write 3 regions, resync copies only those"
	op "$how" fracture
	vmirror_expect vm fractured fractured requires_resync
	[[ $(<"$(vmirror_sysfs vm)/sync_maintained") == 0 ]] || die "sync_maintained"
	for r in 3 100 200; do write_pattern "$dev" $r "$TMPDIR/p$r"; done
	region_is /dev/ram1 0 100 "$TMPDIR/p100" && die "a fractured mirror was written"
	[[ $(vmirror_field vm 3) == 253/256 ]] || die "regions after 3 writes: $(vmirror_field vm 3)"
	b0=$(vmirror_field vm 8)
	op "$how" rate 8	# 4 s a region: the resync is watched while it runs
	op "$how" resync
	[[ $(vmirror_field vm 11) == incremental_copy ]] || die "copy_methodology while resyncing"
	VMIRROR_AGREE_WORDS_ONLY=1 vmirror_expect vm unsynchronized resync_in_progress resyncing
	op "$how" rate 0
	vmirror_wait vm synchronized 60
	b1=$(vmirror_field vm 8)
	echo "   bytes_copied $b0 -> $b1"
	((b1 - b0 == 3 * REGB)) || die "resync copied $((b1 - b0)) bytes, want $((3 * REGB))"
	[[ $(vmirror_field vm 11) == full_copy ]] || die "copy_methodology after resync"
	legs_equal

	echo "-- split: the mirror stops at the split point"
	op "$how" split
	vmirror_expect vm split fractured requires_resync
	write_pattern "$dev" 7 "$TMPDIR/p7"
	region_is /dev/ram1 0 7 "$TMPDIR/p7" && die "a split mirror was written"
	region_is /dev/ram0 0 7 "$TMPDIR/p7" || die "the source lost a write after split"
	op "$how" resync
	vmirror_wait vm synchronized 60
	legs_equal

	echo "-- cancel: the source is the disk, the mirror is left alone"
	op "$how" cancel
	vmirror_expect vm aborted idle requires_resync
	write_pattern "$dev" 9 "$TMPDIR/p9"
	region_is /dev/ram1 0 9 "$TMPDIR/p9" && die "an aborted mirror was written"
	region_is "$dev" 0 9 "$TMPDIR/p9" || die "read after cancel"
	for o in break cancel fracture split; do refused "$how" $o; done
	op "$how" resync
	vmirror_wait vm synchronized 60
	legs_equal

	echo "-- break: all I/O goes to the mirror alone"
	op "$how" break
	vmirror_expect vm failedover idle completed
	write_pattern "$dev" 11 "$TMPDIR/p11"
	region_is /dev/ram1 0 11 "$TMPDIR/p11" || die "write after break missed the mirror"
	region_is /dev/ram0 0 11 "$TMPDIR/p11" && die "write after break reached the source"
	dd if=/dev/urandom of=/dev/ram1 bs=$REGB seek=12 count=1 oflag=direct status=none
	dd if=/dev/ram1 of="$TMPDIR/p12" bs=$REGB skip=12 count=1 iflag=direct status=none
	region_is "$dev" 0 12 "$TMPDIR/p12" || die "read after break did not come from the mirror"
	for o in cancel resync fracture split pause activate; do refused "$how" $o; done
	dmsetup remove vm
}

test() {
	vmirror_load
	[[ -x $VMIRROR_CLI ]] || die "$VMIRROR_CLI not built (make -C tests/ioctl)"
	make_ramdisks 2 8
	sequence msg
	sequence ioctl
	echo ok
}
