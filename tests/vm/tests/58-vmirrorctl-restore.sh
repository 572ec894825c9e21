# shellcheck shell=bash
# 58-vmirrorctl-restore: bringing pairs back after a reboot with a tab file
# (vmirrorctl restore --tab FILE).  Two pairs with --metadata files, one
# made by create (over a ramdisk, mirror file), one by start (a live
# linear device, mirror file), are copying when they are removed, as a
# shutdown does (the linear device comes back linear, as LVM would bring
# it back).  restore NAME brings back only that one; restore brings back
# the other and leaves the first alone; each carries on where it was: at
# least as many regions in sync as were before, and the mirror gets at
# most what was left to copy.  Refused, with nothing made or changed: a
# line without --metadata, a missing metadata file, a missing mirror
# file, metadata that holds no association (zeroes), a line that is not a
# command; the other lines of the file still run.  The legs end equal.
DESCRIPTION="vmirrorctl restore: pairs of a tab file come back after removal with their progress"

. "$VM_SUITE_DIR/vmirror-lib.sh"
CTL=$SRCDIR/tools/vmirrorctl/vmirrorctl
REGIONS=128 # 8 MiB at 64 KiB

loop_of() { # FILE: the loop device backed by FILE
	local f
	for f in /sys/block/loop*/loop/backing_file; do
		[[ -e $f && $(<"$f") == "$1" ]] && { f=${f%/loop/backing_file}; echo "${f##*/}"; return 0; }
	done
	die "no loop device for $1"
}

synced() { cat "$(vmirror_sysfs "$1")/regions_synced"; }

# Sectors written to each loop device (a loop device keeps its counts
# across attachments): W0 before a restore, to count what it copies.
declare -A W0
loop_counts() {
	local s d
	W0=()
	for s in /sys/block/loop*/stat; do
		d=${s%/stat}
		W0[${d##*/}]=$(awk '{ print $7 }' "$s")
	done
}

# restored NAME BEFORE MIRROR_FILE  - NAME is back with at least BEFORE
# regions in sync, and the copy of the rest writes at most what was left
# (its mirror's loop device's writes since loop_counts)
restored() {
	local name=$1 before=$2 loop s w0 w1 copied
	s=$(synced "$name")
	loop=$(loop_of "$3")
	w0=${W0[$loop]:-0}
	echo "   $name: $s regions in sync after restore (before the removal: $before)"
	((s >= before)) || die "$name: progress lost: $before regions were in sync, $s are"
	((s < REGIONS)) || die "$name: all in sync, but the copy was stopped at $before"
	"$CTL" set "$name" --max-rate 0
	vmirror_wait "$name" synchronized 120
	w1=$(blk_stat "$loop" 7)
	copied=$(((w1 - w0) / 128))
	echo "   $name: copied $copied regions (at most $((REGIONS - before)) were left)"
	((copied <= REGIONS - before)) || die "$name: copied $copied regions, $((REGIONS - before)) were left"
}

test() {
	local tab=$TMPDIR/vmirrortab ma=$TMPDIR/a.img mda=$TMPDIR/a.meta mb=$TMPDIR/b.img
	local mdb=$TMPDIR/b.meta sa sb out t rc sum

	vmirror_load
	modprobe loop
	make_ramdisks 3 8
	fill_random /dev/ram0 16384
	fill_random /dev/ram1 16384
	dmsetup create lin --table "0 16384 linear /dev/ram1 0"
	dm_mknodes
	cat >"$tab" <<-EOF
		# pairs to bring back after a reboot
		create va /dev/ram0 $ma --region-size 64K --max-rate $(rate 512) --metadata $mda

		start lin $mb --region-size 64K --max-rate $(rate 512) --metadata $mdb  # a live device
	EOF
	"$CTL" create va /dev/ram0 "$ma" --region-size 64K --max-rate "$(rate 512)" --metadata "$mda"
	"$CTL" start lin "$mb" --region-size 64K --max-rate "$(rate 512)" --metadata "$mdb"
	until (($(synced va) >= REGIONS * 3 / 10 && $(synced lin) >= REGIONS * 3 / 10)); do sleep 0.2; done

	echo "removed mid-copy (a shutdown); the live device comes back linear"
	sa=$(synced va) sb=$(synced lin)
	"$CTL" remove va
	"$CTL" remove lin
	sleep 0.5 # autoclear: the loop devices go with the tables
	dmsetup create lin --table "0 16384 linear /dev/ram1 0"
	dm_mknodes

	echo "restore va: only va"
	loop_counts
	"$CTL" restore --tab "$tab" va
	[[ $(dmsetup table lin | awk '{ print $3 }') == linear ]] || die "restore va touched lin"
	restored va "$sa" "$ma"
	echo "restore: lin comes back, va is left alone"
	loop_counts
	out=$("$CTL" restore --tab "$tab")
	echo "$out" | sed 's/^/   /'
	grep -qx "va: a vmirror device already, left alone" <<<"$out" || die "va not left alone"
	[[ $(vmirror_field va 1) == synchronized ]] || die "va: $(dmsetup status va)"
	restored lin "$sb" "$mb"

	# Lines that must be refused (LINE|what the error says), each followed
	# by a line that runs and fails later (no such source), so a bad line
	# does not stop the rest.  vx's source is a disk nobody uses.
	for t in "create vx /dev/ram2 $TMPDIR/x.img --region-size 64K|--metadata is needed" \
		"create vx /dev/ram2 $TMPDIR/x.img --metadata $TMPDIR/none.meta|none.meta: No such file" \
		"create vx /dev/ram2 $TMPDIR/none.img --metadata $mda|none.img" \
		"create vx /dev/ram2 $TMPDIR/x.img --metadata $TMPDIR/zero.meta|holds no vmirror metadata" \
		"remove va|not a 'create NAME"; do
		: >"$TMPDIR/x.img"
		truncate -s 8M "$TMPDIR/x.img"
		truncate -s 2M "$TMPDIR/zero.meta"
		sum=$(sha256sum "$TMPDIR/x.img" "$TMPDIR/zero.meta")
		printf '%s\ncreate vy /dev/nonexistent %s --metadata %s\n' "${t%|*}" "$mb" "$mdb" >"$tab.bad"
		rc=0
		out=$("$CTL" restore --tab "$tab.bad" 2>&1) || rc=$?
		echo "   refused: ${t%|*}"
		echo "$out" | sed 's/^/      /'
		((rc == 1)) || die "restore of a bad line exited $rc"
		grep -qF -- "${t#*|}" <<<"$out" || die "the error does not say '${t#*|}'"
		grep -q "^vmirrorctl: $tab.bad:1: " <<<"$out" || die "the error does not name line 1"
		grep -q "^vmirrorctl: $tab.bad:2: vy not restored" <<<"$out" || die "line 2 did not run"
		[[ $(grep -c "^vmirrorctl: $tab.bad:" <<<"$out") == 2 ]] || die "not one error for each line"
		[[ ! -e /dev/mapper/vx && ! -e $TMPDIR/none.meta && ! -e $TMPDIR/none.img ]] ||
			die "a refused line made something"
		[[ $(sha256sum "$TMPDIR/x.img" "$TMPDIR/zero.meta") == "$sum" ]] || die "a refused line wrote"
		[[ $(vmirror_field va 1) == synchronized ]] || die "va: $(dmsetup status va)"
	done

	for t in va lin; do dmsetup suspend "$t"; done
	cmp_devices /dev/ram0 0 "/dev/$(loop_of "$ma")" 0 16384 || die "va: legs differ"
	cmp_devices /dev/ram1 0 "/dev/$(loop_of "$mb")" 0 16384 || die "lin: legs differ"
	for t in va lin; do dmsetup resume "$t"; done
	"$CTL" remove va
	"$CTL" remove lin
	echo ok
}
