# shellcheck shell=bash
# 70-bad-tables: every bad table line is refused with its ti->error, no
# kernel warning and no device left behind.
DESCRIPTION="bad table lines: expected ti->error, no device left, no warning"

. "$VM_SUITE_DIR/vmirror-lib.sh"

# try_bad "TABLE" "EXPECTED ERROR"
try_bad() {
	local table=$1 want=$2 got
	dmesg_mark bad-table
	if dmsetup create badvm --table "$table" >/dev/null 2>&1; then
		dmsetup remove badvm
		die "accepted: $table"
	fi
	dmsetup info badvm >/dev/null 2>&1 && die "device left behind by: $table"
	got=$(dmesg_since_mark | grep -o "vmirror: .*" | head -n 1)
	[[ $got == *"vmirror: $want"* ]] ||
		die "'$table': logged '${got:-nothing}', want '$want'"
	echo "  refused: $table  ->  $want"
	NBAD=$((NBAD + 1))
}

test() {
	local r0=/dev/ram0 r1=/dev/ram1 small=/dev/ram2 l=65536
	NBAD=0

	vmirror_load
	make_ramdisks 3 32
	# /dev/ram2 is made small by a 16 MiB linear device over it
	dmsetup create small --table "0 32768 linear /dev/ram2 0"
	small=/dev/mapper/small
	dm_mknodes

	try_bad "0 $l vmirror" "Not enough arguments"
	try_bad "0 $l vmirror $r0 0 $r1" "Not enough arguments"
	try_bad "0 $l vmirror $r0 x $r1 0" "Invalid source offset"
	try_bad "0 $l vmirror $r0 -8 $r1 0" "Invalid source offset"
	try_bad "0 $l vmirror $r0 0 $r1 0x10" "Invalid mirror offset"
	try_bad "0 $l vmirror $r0 0 $r1 0 x" "Invalid number of optional arguments"
	try_bad "0 $l vmirror $r0 0 $r1 0 11 nosync" "Invalid number of optional arguments"
	try_bad "0 $l vmirror $r0 0 $r1 0 3 nosync" "Invalid number of optional arguments"
	try_bad "0 $l vmirror $r0 0 $r1 0 1 nosync junk" "Too many arguments"
	try_bad "0 $l vmirror $r0 0 $r1 0 1 frobnicate" "Unknown optional argument"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 nosync nosync" "Duplicate optional argument"
	try_bad "0 $l vmirror $r0 0 $r1 0 4 region_size 64 region_size 128" "Duplicate optional argument"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 region_size 1000" "Region size is not a power of 2"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 region_size 4" "Invalid region size"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 region_size 4194304" "Invalid region size"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 region_size big" "Invalid region size"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 sync_mode ASYNC" "Invalid sync mode"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 sync_mode lazy" "Invalid sync mode"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 copy_priority urgent" "Invalid copy priority"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 max_copy_rate fast" "Invalid max copy rate"
	try_bad "0 $l vmirror $r0 0 $r1 0 2 max_copy_rate 99999999999" "Invalid max copy rate"
	try_bad "0 $l vmirror /dev/nonexistent 0 $r1 0" "Source device lookup failed"
	try_bad "0 $l vmirror $r0 0 /dev/nonexistent 0" "Mirror device lookup failed"
	try_bad "0 $l vmirror $r0 0 $r0 0" "Source and mirror are the same device"
	try_bad "0 $l vmirror 1:0 0 1:0 0" "Source and mirror are the same device"
	try_bad "0 $l vmirror $r0 0 $small 0" "Mirror device too small"
	try_bad "0 $l vmirror $small 0 $r1 0" "Source device too small"
	try_bad "0 $l vmirror $r0 8 $r1 0" "Source device too small"
	try_bad "0 $l vmirror $r0 0 $r1 1" "Mirror device too small"
	try_bad "0 $l vmirror $r0 18446744073709551615 $r1 0" "Source device too small"
	try_bad "0 16384 vmirror $r0 0 $r1 0
16384 16384 vmirror $r0 16384 $r1 16384" "Only one vmirror target per table"

	echo "a good line next to a linear target is accepted (one vmirror per table)"
	dmsetup create okvm --table "0 16384 vmirror $r0 0 $r1 0
16384 16384 linear /dev/ram2 0"
	dmsetup remove okvm

	dmsetup remove small
	((NBAD >= 25)) || die "only $NBAD bad lines"
	echo "ok: $NBAD bad lines refused"
}
