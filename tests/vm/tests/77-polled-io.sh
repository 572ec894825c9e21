# shellcheck shell=bash
# 77-polled-io: io_uring with IORING_SETUP_IOPOLL (fio --hipri) sends
# REQ_POLLED bios.  DM accepts them when every leg can poll (null_blk has
# a poll queue by default) and polls the clone it mapped to the source.
# The target's own bios - the mirror half of a write, a failed read issued
# again to the mirror after a failover - must not be polled bios: nobody
# polls the mirror's poll queue, and the I/O would never complete.
DESCRIPTION="polled I/O (io_uring hipri): mirror writes and failover reads complete"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536 # 32 MiB

# hipri_fio DEV RW NAME  - fio with polled completions; fails the test if it
# has not finished in 60 s (then polls the mirror's queue until it ends,
# so the test can clean up).
hipri_fio() {
	local dev=$1 rw=$2 name=$3 pid i rc=0
	fio --name="$name" --filename="$dev" --rw="$rw" --bs=4k --size=32M --io_size=2M \
		--direct=1 --ioengine=io_uring --hipri=1 --iodepth=4 \
		--output="$TMPDIR/$name.txt" &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $pid 2>/dev/null; then
		echo "   $name: no progress after 60 s; polling $MIRROR to free it"
		while kill -0 $pid 2>/dev/null; do
			fio --name=kick --filename="$MIRROR" --rw=read --bs=4k --io_size=64k \
				--direct=1 --ioengine=io_uring --hipri=1 --output=/dev/null || true
		done
		wait $pid || true
		die "polled I/O on the vmirror device hung: $(dmsetup status vm)"
	fi
	wait $pid || rc=$?
	if ((rc != 0)) && grep -q 'err=95.*Operation not supported' "$TMPDIR/$name.txt"; then
		# 6.1: polled bios always carry REQ_NOWAIT (block/fops.c, bio_set_polled()),
		# and DM refuses REQ_NOWAIT for a target without DM_TARGET_NOWAIT.
		echo "   $name: refused with EOPNOTSUPP at submission: polled I/O cannot reach the target on $(uname -r)"
		POLL_REFUSED=1
		return 0
	fi
	((rc == 0)) || { cat "$TMPDIR/$name.txt"; die "fio $name failed"; }
	grep -q 'err= 0' "$TMPDIR/$name.txt" || die "fio $name saw errors"
	echo "   $name: done"
}

test() {
	local a dev

	vmirror_load
	a=$(make_nullb pqa 32)
	MIRROR=$(make_nullb pqb 32)
	[[ $(cat /sys/block/pqa/queue/io_poll) == 1 ]] || die "null_blk cannot poll"
	fill_random "$a" $SZ

	echo "== polled writes go to both legs"
	dmsetup create src --table "0 $SZ flakey $a 0 60 0"
	dm_mknodes
	dmsetup create vm --table "0 $SZ vmirror /dev/mapper/src 0 $MIRROR 0"
	dm_mknodes
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	[[ $(cat "/sys/block/${dev#/dev/}/queue/io_poll") == 1 ]] ||
		die "the vmirror device does not poll: the test would prove nothing"
	POLL_REFUSED=0
	hipri_fio "$dev" randwrite writes
	vmirror_expect vm synchronized synchronized completed
	if ((POLL_REFUSED)); then
		[[ $(vmirror_field vm 9) == 0 && $(vmirror_field vm 10) == 0 ]] ||
			die "refused polled I/O counted as errors: $(dmsetup status vm)"
		dmsetup remove vm src
		echo ok
		return 0
	fi

	echo "== the source fails polled reads: failover, read again from the mirror"
	# flakey, always down, no features: every read fails, writes pass.
	dm_reload src "0 $SZ flakey $a 0 0 60"
	hipri_fio "$dev" randread reads
	vmirror_expect vm failedover idle completed

	dmsetup suspend vm
	cmp_devices "$a" 0 "$MIRROR" 0 $SZ || die "source and mirror differ"
	dmsetup remove vm src
	echo ok
}
