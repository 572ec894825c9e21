# shellcheck shell=bash
# 73-failover-reload: after a failover the source is abandoned: the mirror
# has writes the source never saw.  A new vmirror table that would read
# that source again (same legs, other settings, so it starts over and
# copies the source onto the mirror) is refused, also after a refused
# resume destroyed the failedover table; one that reads the mirror (a new
# migration from the pivoted disk) is accepted.
DESCRIPTION="a table that would read the source abandoned by failover is refused"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=32768 # 16 MiB
BLK=300  # the 4 KiB block written after the failover

# failover  - src (linear over ram0) and ram1 synchronized; the source
# fails a write, which the mirror completes: failedover.  Sets DEV.
failover() {
	fill_random /dev/ram0 $SZ
	dmsetup create src --table "0 $SZ linear /dev/ram0 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	DEV=$(dm_devname vm)
	head -c 4096 /dev/urandom >"$TMPDIR/block"
}

write_after_failover() {
	dm_reload src "0 $SZ error"
	dd if="$TMPDIR/block" of="$DEV" bs=4k count=1 seek=$BLK oflag=direct status=none ||
		die "the write that fails over failed"
	[[ $(vmirror_field vm 1) == failedover ]] || die "no failover: $(dmsetup status vm)"
	# The source comes back, without the write.
	dm_reload src "0 $SZ linear /dev/ram0 0"
}

block_is_there() {
	cmp "$TMPDIR/block" <(dd if="$DEV" bs=4k count=1 skip=$BLK iflag=direct status=none) ||
		die "the block written after the failover is gone: $(dmsetup status vm)"
}

test() {
	local t

	vmirror_load
	make_ramdisks 3 16

	echo "== failedover, then a reload with another region_size"
	failover
	write_after_failover
	t="0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0 2 region_size 2048"
	dmesg_mark
	if dmsetup load vm --table "$t" 2>/dev/null; then
		dmsetup suspend vm
		dmsetup resume vm
		vmirror_wait vm synchronized 60 || true
		echo "   $(dmsetup status vm)"
		block_is_there
		die "a table reading the abandoned source was accepted"
	fi
	dmesg_since_mark | grep -q "vmirror: .*abandoned" || die "no ti->error logged: $(dmesg_since_mark | tail -3)"
	echo "   refused: $(dmesg_since_mark | grep -o 'vmirror: .*abandoned.*' | head -1)"
	vmirror_expect vm failedover idle completed
	block_is_there

	echo "== the same table again (same association): keeps failedover"
	dmsetup load vm --table "$(dmsetup table vm)"
	dmsetup suspend vm
	dmsetup resume vm
	vmirror_expect vm failedover idle completed
	block_is_there

	echo "== a table loaded before the failover is refused at resume"
	dmsetup remove vm src
	failover
	dmsetup load vm --table "$t"
	write_after_failover
	dmesg_mark
	dmsetup suspend vm
	if dmsetup resume vm 2>/dev/null; then
		vmirror_wait vm synchronized 60 || true
		echo "   $(dmsetup status vm)"
		block_is_there
		die "a table reading the abandoned source was resumed"
	fi
	dmesg_since_mark | grep -q "preresume failed" || die "resume not refused by preresume"
	# Refused for good, not only once.
	expect_fail dmsetup resume vm
	# The refused resume destroyed the failedover table: the fact must
	# outlive it.  A load of the same line, or of the failedover table's
	# own line (no live table is left to take failedover over from), is
	# refused too.
	echo "== after the refused resume: loads that read the abandoned source are refused"
	local tt
	for tt in "$t" "0 $SZ vmirror /dev/mapper/src 0 /dev/ram1 0"; do
		dmesg_mark
		if dmsetup load vm --table "$tt" 2>/dev/null; then
			if dmsetup resume vm 2>/dev/null; then
				vmirror_wait vm synchronized 60 || true
				echo "   resumed: $(dmsetup status vm)"
				block_is_there
			fi
			die "loaded after the refused resume although it reads the abandoned source: $tt"
		fi
		dmesg_since_mark | grep -q "vmirror: .*abandoned" ||
			die "no ti->error logged: $(dmesg_since_mark | tail -3)"
		echo "   refused: ${tt#* * }"
	done
	expect_fail dmsetup resume vm
	# The way out: the mirror is the disk.
	dmsetup load vm --table "0 $SZ linear /dev/ram1 0"
	dmsetup resume vm
	block_is_there
	dmsetup remove vm src

	echo "== a new migration from the pivoted mirror is accepted"
	failover
	write_after_failover
	dmsetup load vm --table "0 $SZ vmirror /dev/ram1 0 /dev/ram2 0"
	dmsetup suspend vm
	dmsetup resume vm
	vmirror_wait vm synchronized 60
	block_is_there
	dmsetup suspend vm
	cmp_devices /dev/ram1 0 /dev/ram2 0 $SZ || die "ram1 and ram2 differ"
	dmsetup resume vm
	dmsetup remove vm src
	echo ok
}
