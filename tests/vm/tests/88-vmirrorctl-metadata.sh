# shellcheck shell=bash
# 88-vmirrorctl-metadata: vmirrorctl create/start --metadata.  A missing
# file is created at the size the target needs and put on a loop device;
# the table names it as metadata_dev; status (text and JSON) shows it; the
# same command after the pair is gone takes the existing file again and
# finds the association (synchronized without a copy).  A metadata device
# that is a leg is refused; a refused load leaves an existing file as it
# was.
DESCRIPTION="vmirrorctl --metadata: file created at the needed size, in the table and status, taken again"

. "$VM_SUITE_DIR/vmirror-lib.sh"
CTL=$SRCDIR/tools/vmirrorctl/vmirrorctl

loop_of() { # FILE: the loop device backed by FILE
	local f
	for f in /sys/block/loop*/loop/backing_file; do
		[[ -e $f && $(<"$f") == "$1" ]] && { f=${f%/loop/backing_file}; echo "${f##*/}"; return 0; }
	done
	die "no loop device for $1"
}

test() {
	local md=$TMPDIR/md.img mirror=$TMPDIR/mirror.img loop want out sum

	vmirror_load
	modprobe loop
	make_ramdisks 2 8
	fill_random /dev/ram0 16384

	echo "create --metadata FILE (missing): created at 1 MiB + 2 bitmaps, rounded to 4 KiB"
	"$CTL" create vm /dev/ram0 "$mirror" --region-size 64K --metadata "$md"
	# 8 MiB / 64 KiB = 128 regions: 1 MiB + 2 * 16 bytes -> 1 MiB + 4 KiB
	want=$((1048576 + 4096))
	[[ $(stat -c %s "$md") == "$want" ]] || die "metadata file is $(stat -c %s "$md") bytes, want $want"
	loop=$(loop_of "$md")
	dmsetup table vm | grep -q " metadata_dev $(<"/sys/block/$loop/dev")\$" ||
		die "table without metadata_dev $(<"/sys/block/$loop/dev"): $(dmsetup table vm)"
	[[ $(<"$(vmirror_sysfs vm)/metadata") == "$(<"/sys/block/$loop/dev")" ]] || die "sysfs metadata"
	out=$("$CTL" status vm)
	grep -E '^metadata' <<<"$out" | sed 's/^/   /'
	grep -Eq "^metadata +$(<"/sys/block/$loop/dev")\$" <<<"$out" || die "status: metadata"
	grep -Eq "^metadata_path +/dev/$loop\$" <<<"$out" || die "status: metadata_path"
	grep -Eq "^metadata_file +$md\$" <<<"$out" || die "status: metadata_file"
	grep -Eq "^metadata_state +ok\$" <<<"$out" || die "status: metadata_state"
	[[ $(<"$(vmirror_sysfs vm)/metadata_state") == ok && $(vmirror_field vm 15) == ok ]] ||
		die "metadata_state not ok: sysfs $(<"$(vmirror_sysfs vm)/metadata_state"), $(dmsetup status vm)"
	"$CTL" status vm --json | python3 -c '
import json, sys
o = json.load(sys.stdin)
assert o["metadata"] == sys.argv[1] and o["metadata_path"] == "/dev/" + sys.argv[2] and o["metadata_file"] == sys.argv[3], o
assert o["metadata_state"] == "ok", o
' "$(<"/sys/block/$loop/dev")" "$loop" "$md" || die "status --json: metadata"
	"$CTL" wait vm --timeout 120
	"$CTL" remove vm
	sleep 0.5 # autoclear: the loop devices go with the table

	echo "the same command again: the existing file, the association kept"
	"$CTL" create vm /dev/ram0 "$mirror" --region-size 64K --metadata "$md"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "the association was not kept: $(dmsetup status vm)"
	"$CTL" status vm --json | python3 -c 'import json, sys; o = json.load(sys.stdin); assert o["metadata_file"] == sys.argv[1], o' "$md" ||
		die "status --json: metadata_file"
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 "/dev/$(loop_of "$mirror")" 0 16384
	dmsetup resume vm
	"$CTL" remove vm
	sleep 0.5

	echo "refused: another region size on that metadata; the file stays as it was"
	sum=$(sha256sum <"$md")
	expect_fail "$CTL" create vm /dev/ram0 "$mirror" --region-size 128K --metadata "$md"
	[[ $(sha256sum <"$md") == "$sum" ]] || die "the refused metadata file changed"
	[[ ! -e /dev/mapper/vm ]] || die "vm exists"

	echo "refused: the metadata device is a leg"
	expect_fail "$CTL" create vm /dev/ram0 /dev/ram1 --metadata /dev/ram1
	out=$("$CTL" create vm /dev/ram0 /dev/ram1 --metadata /dev/ram0 2>&1) && die "the source taken as metadata"
	[[ $out == "vmirrorctl: /dev/ram0: the metadata device is one of the legs" ]] ||
		die "error for a metadata device that is the source: $out"
	[[ ! -e /dev/mapper/vm ]] || die "vm exists"

	echo "without --metadata: status says none"
	"$CTL" create vm /dev/ram0 /dev/ram1 --nosync
	"$CTL" status vm | grep -Eq '^metadata +-$' || die "status: metadata is not -"
	"$CTL" status vm --json | python3 -c 'import json, sys; o = json.load(sys.stdin); assert o["metadata"] == "-" and o["metadata_path"] is None and o["metadata_file"] is None and o["metadata_state"] == "-", o' ||
		die "status --json: metadata not - and null"
	"$CTL" remove vm
	echo ok
}
