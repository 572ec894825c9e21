# shellcheck shell=bash
# 93-split-ext4: split a mirror under an ext4 filesystem that is being
# written: the split-off mirror is a consistent point-in-time copy that
# passes fsck, and resync brings it back.
DESCRIPTION="split under ext4 write load: the mirror passes fsck -n; resync makes legs equal"

. "$VM_SUITE_DIR/vmirror-lib.sh"

test() {
	local dev mnt=$TMPDIR/mnt writer rc

	vmirror_load
	make_ramdisks 3 64
	dmsetup create vm --table "0 131072 vmirror /dev/ram0 0 /dev/ram1 0"
	vmirror_wait vm synchronized 60
	dev=$(dm_devname vm)
	mkfs.ext4 -q -F "$dev"
	mkdir -p "$mnt"
	mount "$dev" "$mnt"

	# A writer creating, rewriting and deleting files, with fsyncs.
	(
		i=0
		while :; do
			dd if=/dev/urandom of="$mnt/f$((i % 40))" bs=16k count=$((1 + i % 8)) \
				conv=fsync status=none 2>/dev/null || exit 0
			mkdir -p "$mnt/d$((i % 7))" && echo "$i" >"$mnt/d$((i % 7))/n$i"
			((i % 5)) || rm -f "$mnt/d$(((i + 3) % 7))"/n* 2>/dev/null
			i=$((i + 1))
		done
	) &
	writer=$!
	sleep 3
	echo "split while the writer runs"
	dmsetup message vm 0 split
	[[ $(vmirror_field vm 1) == split ]] || die "not split: $(dmsetup status vm)"
	sleep 2
	kill "$writer"; wait "$writer" 2>/dev/null || true

	echo "fsck -n of the split mirror (a copy of it, as the journal may need replay)"
	dd if=/dev/ram1 of=/dev/ram2 bs=1M count=64 iflag=direct oflag=direct status=none
	rc=0; e2fsck -fn /dev/ram1 >"$TMPDIR/fsck1.txt" 2>&1 || rc=$?
	echo "   e2fsck -fn on the mirror: exit $rc"
	if ((rc != 0)); then
		# A journal that needs recovery is expected after a split of a
		# mounted filesystem (like a crash); replay it on the copy and
		# require a clean check then.
		grep -q "recovery" "$TMPDIR/fsck1.txt" || { cat "$TMPDIR/fsck1.txt"; die "fsck found errors"; }
		e2fsck -fy /dev/ram2 >"$TMPDIR/fsck2.txt" 2>&1 || true
		e2fsck -fn /dev/ram2 >"$TMPDIR/fsck3.txt" 2>&1 ||
			{ cat "$TMPDIR/fsck2.txt" "$TMPDIR/fsck3.txt"; die "mirror inconsistent after journal replay"; }
		if grep -q "? yes" "$TMPDIR/fsck2.txt"; then
			cat "$TMPDIR/fsck2.txt"; die "fsck had to repair more than the journal"
		fi
		echo "   journal replayed on a copy, then e2fsck -fn clean"
	fi

	umount "$mnt"
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 131072
	dmsetup resume vm
	dmsetup remove vm
	echo ok
}
