# shellcheck shell=bash
# 56-metadata-io-error: the metadata device fails its writes (dm-flakey
# error_writes, reloaded under a copy with fio writing): the failure is
# logged once, raises a DM event and shows as metadata_state "failed" in
# dmsetup status, sysfs and vmirrorctl status (text and JSON); the copy
# stops; a write that needs a record (the first one to a region recorded
# in sync) fails with EIO and changes nothing on either leg; writes to
# regions recorded not in sync go on, and fio verifies every one of its
# writes.  Nothing hangs.  A reload onto the same metadata device has its
# resume refused; a second resume runs it as failed.  Recovery: the same
# table line reloaded without
# metadata_dev, then with a fresh metadata device, copies on to
# synchronized, the legs compare equal, and the new device holds the
# association (removed and loaded again: synchronized at once).
DESCRIPTION="metadata_dev: a metadata write error is logged once, an event, metadata_state failed, EIO only for writes needing a record, no acknowledged write lost, reload recovers"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=65536        # 32 MiB: 512 regions of 64 KiB
FIO_OFF=30      # fio writes MiB 30..31: regions the capped copy has not reached
BLK=$((20 << 8)) # a 4 KiB block at MiB 20, not copied either
CTL=$SRCDIR/tools/vmirrorctl/vmirrorctl

events() { dmsetup info -c --noheadings -o events vm | tr -d ' '; }
# md_state_all WANT [ctl]  - metadata_state in dmsetup status and sysfs
# (with ctl: also in vmirrorctl status and its JSON)
md_state_all() {
	local want=$1 sys
	sys=$(vmirror_sysfs vm)
	[[ $(vmirror_field vm 15) == "$want" ]] || die "dmsetup status metadata_state, want $want: $(dmsetup status vm)"
	[[ $(<"$sys/metadata_state") == "$want" ]] || die "sysfs metadata_state $(<"$sys/metadata_state"), want $want"
	[[ ${2:-} == ctl ]] || return 0
	"$CTL" status vm | grep -Eq "^metadata_state +$want\$" ||
		die "vmirrorctl status: $("$CTL" status vm | grep '^metadata')"
	# (grep, not python: every process costs under TCG)
	"$CTL" status vm --json | grep -q "^  \"metadata_state\": \"$want\",\?\$" ||
		die "vmirrorctl status --json: metadata_state is not $want"
}

test() {
	local t ev0 ev1 s0 s1 n fio_pid rc=0

	vmirror_load
	make_ramdisks 4 32
	fill_random /dev/ram0 $SZ
	dd if=/dev/ram0 of="$TMPDIR/region0" bs=64k count=1 iflag=direct status=none
	# The metadata device: a linear map now, dm-flakey failing writes later.
	dmsetup create meta --table "0 $(dev_sectors /dev/ram2) linear /dev/ram2 0"
	dm_mknodes
	t="0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 6 region_size 128 max_copy_rate $(rate 1024) metadata_dev /dev/mapper/meta"
	dmsetup create vm --table "$t"
	dm_mknodes
	md_state_all ok ctl

	echo "[$(date +%T)] copy under way, fio writing regions not copied yet"
	fio --name=w --filename=/dev/mapper/vm --offset=${FIO_OFF}M --size=2M --rw=randwrite \
		--bs=4k --direct=1 --ioengine=libaio --iodepth=4 --rate_iops=200 \
		--verify=crc32c --verify_fatal=1 --randseed=56 --output="$TMPDIR/fio.txt" &
	fio_pid=$!
	for ((n = 0; n < 300; n++)); do
		s0=$(vmirror_field vm 3)
		((${s0%/*} >= 8)) && break
		sleep 0.1
	done
	((${s0%/*} >= 8)) || die "the copy did not start: $(dmsetup status vm)"
	echo "   $s0 regions in sync (recorded), $(vmirror_field vm 1)"

	echo "[$(date +%T)] the metadata device fails writes"
	ev0=$(events)
	dmesg_mark "metadata fails"
	dm_reload meta "0 $(dev_sectors /dev/ram2) flakey /dev/ram2 0 0 3600 1 error_writes"
	# The copier's next flush point commits, and fails.
	for ((n = 0; n < 100; n++)); do
		[[ $(vmirror_field vm 15) == failed ]] && break
		sleep 0.1
	done
	md_state_all failed ctl
	ev1=$(events)
	((ev1 > ev0)) || die "no DM event: event number $ev0 -> $ev1"
	echo "   metadata_state failed; event number $ev0 -> $ev1"

	echo "[$(date +%T)] the copy stops"
	s0=$(vmirror_field vm 3)
	sleep 2
	s1=$(vmirror_field vm 3)
	[[ $s0 == "$s1" ]] || die "the copy moved on without its record: $s0 -> $s1"
	echo "   $s1 regions in sync, 2 s later the same"

	echo "[$(date +%T)] a write to a region recorded in sync needs a record: EIO, on no leg"
	if dd if=/dev/urandom of=/dev/mapper/vm bs=4k count=1 oflag=direct conv=notrunc status=none 2>"$TMPDIR/dd.err"; then
		die "a write needing a record succeeded"
	fi
	grep -q "Input/output error" "$TMPDIR/dd.err" || die "not EIO: $(<"$TMPDIR/dd.err")"
	cmp_devices /dev/ram0 0 /dev/ram1 0 128 || die "region 0 differs between the legs"
	dd if=/dev/ram0 bs=64k count=1 iflag=direct status=none | cmp - "$TMPDIR/region0" ||
		die "the failed write reached the source"
	echo "   $(<"$TMPDIR/dd.err")"

	echo "[$(date +%T)] a write to a region not in sync goes on"
	dd if=/dev/urandom of="$TMPDIR/blk" bs=4k count=1 status=none
	dd if="$TMPDIR/blk" of=/dev/mapper/vm bs=4k seek=$BLK oflag=direct conv=notrunc status=none ||
		die "a write to a region not in sync failed"
	dd if=/dev/mapper/vm bs=4k skip=$BLK count=1 iflag=direct status=none | cmp - "$TMPDIR/blk" ||
		die "the write to a region not in sync is not read back"

	wait "$fio_pid" || rc=$?
	((rc == 0)) || { cat "$TMPDIR/fio.txt"; die "fio failed ($rc)"; }
	grep -q 'err= 0' "$TMPDIR/fio.txt" || { cat "$TMPDIR/fio.txt"; die "fio saw errors"; }
	echo "   fio: every write acknowledged and verified"
	no_d_state

	n=$(dmesg_since_mark | grep -c "cannot write metadata device") || true
	((n == 1)) || { dmesg_since_mark; die "the failure was logged $n times, want once"; }
	dmesg_since_mark | grep "cannot write metadata device" | sed 's/^/   /'

	echo "[$(date +%T)] a reload onto the same failed metadata device: its resume fails"
	t=$(dmsetup table vm)
	timeout 60 dmsetup load vm --table "$t" || die "load onto the same metadata device"
	timeout 60 dmsetup suspend vm || die "suspend hangs"
	dmesg_mark
	if timeout 60 dmsetup resume vm 2>/dev/null; then
		die "a resume recorded nothing on the failed device, and succeeded"
	fi
	dmesg_since_mark | grep -q "cannot record the state taken over on" ||
		die "no 'cannot record the state taken over' in the log: $(dmesg_since_mark | tail -3)"
	# Not resumed: sysfs and vmirrorctl show no live target yet.
	[[ $(vmirror_field vm 15) == failed ]] || die "dmsetup status metadata_state, want failed: $(dmsetup status vm)"
	echo "   resume refused (EIO), metadata_state failed"
	echo "[$(date +%T)] a second resume runs the table as after the failure"
	timeout 60 dmsetup resume vm || die "second resume"
	md_state_all failed ctl
	if dd if=/dev/urandom of=/dev/mapper/vm bs=4k count=1 oflag=direct conv=notrunc status=none 2>/dev/null; then
		die "after the second resume, a write needing a record succeeded"
	fi
	dd if=/dev/ram0 bs=64k count=1 iflag=direct status=none | cmp - "$TMPDIR/region0" ||
		die "the failed write reached the source"
	dd if="$TMPDIR/blk" of=/dev/mapper/vm bs=4k seek=$BLK oflag=direct conv=notrunc status=none ||
		die "after the second resume, a write to a region not in sync failed"
	s0=$(vmirror_field vm 3)
	((${s0%/*} >= ${s1%/*})) || die "progress lost: $s1 -> $s0"
	sleep 2
	[[ $(vmirror_field vm 3) == "$s0" ]] || die "the copy moved on without its record: $s0 -> $(vmirror_field vm 3)"
	no_d_state
	echo "   failed, progress $s0 kept and still, EIO for a region recorded in sync, writes elsewhere go on"

	echo "[$(date +%T)] recovery: the same line without metadata_dev"
	t="0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 128 max_copy_rate $(rate 1024)"
	timeout 60 dmsetup load vm --table "$t" || die "load without metadata_dev"
	timeout 60 dmsetup suspend vm || die "suspend hangs"
	timeout 60 dmsetup resume vm || die "resume without metadata_dev"
	md_state_all -
	s0=$(vmirror_field vm 3)
	((${s0%/*} >= ${s1%/*})) || die "progress lost: $s1 -> $(dmsetup status vm)"
	for ((n = 0; n < 100; n++)); do
		[[ $(vmirror_field vm 3) != "$s0" ]] && break
		sleep 0.1
	done
	[[ $(vmirror_field vm 3) != "$s0" ]] || die "the copy does not go on: $(dmsetup status vm)"
	echo "   the copy goes on: $s0 -> $(vmirror_field vm 3)"

	echo "[$(date +%T)] recovery: the same line with a fresh metadata device"
	t="0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 128 metadata_dev /dev/ram3"
	timeout 60 dmsetup load vm --table "$t" || die "load with a fresh metadata device"
	timeout 60 dmsetup suspend vm || die "suspend hangs"
	timeout 60 dmsetup resume vm || die "resume with a fresh metadata device"
	md_state_all ok
	vmirror_wait vm synchronized 120
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ"
	dmsetup resume vm
	fio --name=w --filename=/dev/mapper/vm --offset=${FIO_OFF}M --size=2M --rw=randwrite \
		--bs=4k --direct=1 --ioengine=libaio --iodepth=4 --verify=crc32c --verify_fatal=1 \
		--randseed=56 --verify_only --output="$TMPDIR/fio2.txt" ||
		{ cat "$TMPDIR/fio2.txt"; die "fio --verify_only on the synchronized pair failed"; }
	dd if=/dev/mapper/vm bs=4k skip=$BLK count=1 iflag=direct status=none | cmp - "$TMPDIR/blk" ||
		die "the write to a region not in sync is lost"
	echo "   synchronized, legs equal, fio data verified"

	echo "[$(date +%T)] the new metadata device holds the association"
	timeout 60 dmsetup remove vm || die "dmsetup remove"
	dmsetup create vm --table "$t"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "not synchronized from the new metadata: $(dmsetup status vm)"
	md_state_all ok
	no_d_state
	dmsetup remove vm
	dmsetup remove meta
	dmesg_check || die "bad kernel messages"
	echo ok
}
