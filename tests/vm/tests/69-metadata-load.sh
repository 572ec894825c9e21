# shellcheck shell=bash
# 69-metadata-load: loading a table with metadata_dev.  A refused line
# writes nothing (checked before anything is opened or formatted), and so
# does a table DM drops before its first resume (another target fails, a
# clear, a second load), which formats a new device; a
# metadata device that overlaps a leg, is this very DM device, or is used
# by another DM device (as metadata or a leg) is refused, and so is a leg
# that is another DM device's metadata; legs are known by DM uuid or
# partition UUID (swapped legs refused, a grown leg accepted); a format
# that never completed counts as new; a corrupt newest superblock is
# logged; a reload onto another metadata device records the state there
# and marks the old one detached.
DESCRIPTION="metadata_dev load: nothing written when refused, overlap, in use, leg identity, detached"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=32768 # 16 MiB, 256 regions of 64 KiB

# line SOURCE MIRROR METADATA [ARGS...]
line() {
	local s=$1 m=$2 md=$3
	shift 3
	echo "0 $SZ vmirror $s 0 $m 0 $((4 + $#)) region_size 128 metadata_dev $md $*"
}

# sum DEV [MIB]  - checksum of DEV (its first MIB MiB), past the page cache
sum() {
	if [[ -n ${2:-} ]]; then
		dd if="$1" bs=1M count="$2" iflag=direct status=none | md5sum
	else
		dd if="$1" bs=1M iflag=direct status=none | md5sum
	fi
}

# poke DEV OFFSET  - change one byte of DEV
poke() {
	local blk=$(($2 / 4096))
	dd if="$1" of="$TMPDIR/blk" bs=4096 count=1 skip=$blk iflag=direct status=none
	printf '\x09' | dd of="$TMPDIR/blk" bs=1 seek=$(($2 % 4096)) conv=notrunc status=none
	dd if="$TMPDIR/blk" of="$1" bs=4096 seek=$blk oflag=direct conv=notrunc status=none
}

# seq_of DEV COPY  - the sequence number of superblock copy COPY (0: A, 1: B)
seq_of() {
	od -An -t u8 -j $((4096 * $2 + 16)) -N 8 "$1" | tr -d ' '
}

zero() {
	dd if=/dev/zero of="$1" bs=1M count=16 oflag=direct status=none
}

# refused TABLE WHY DEV [MIB] - loading TABLE fails, the kernel says WHY,
# and DEV (the metadata device; its first MIB MiB) is unchanged.
refused() {
	local t=$1 why=$2 dev=$3 before
	before=$(sum "$dev" "${4:-}")
	dmesg_mark
	expect_fail dmsetup create bad --table "$t"
	dmsetup remove bad >/dev/null 2>&1 || true
	dmesg_since_mark | grep -F "$why" >/dev/null ||
		die "no '$why' in the log: $(dmesg_since_mark | tail -3)"
	[[ $(sum "$dev" "${4:-}") == "$before" ]] || die "$dev changed by a refused table ($why)"
	echo "   refused: $why"
}

# created TABLE [LOG]  - vm is created from TABLE (and the kernel says LOG)
created() {
	dmesg_mark
	dmsetup create vm --table "$1" || die "not created: $(dmesg_since_mark | tail -2)"
	dm_mknodes
	if [[ -n ${2:-} ]]; then
		dmesg_since_mark | grep -F "$2" >/dev/null ||
			die "no '$2' in the log: $(dmesg_since_mark | tail -3)"
	fi
}

# A disk with an MBR and three partitions (PARTUUIDs 12345678-0N): 1 and 2
# of 16 MiB at 1 MiB and 18 MiB, 3 of 4 MiB at 35 MiB.
make_parted_loop() {
	truncate -s 48M "$TMPDIR/disk"
	python3 - "$TMPDIR/disk" <<'EOF'
import struct, sys
mbr = bytearray(512)
struct.pack_into('<I', mbr, 440, 0x12345678)
for i, (start, n) in enumerate([(2048, 32768), (36864, 32768), (71680, 8192)]):
    struct.pack_into('<B3sB3sII', mbr, 446 + 16 * i, 0, b'\0\0\0', 0x83, b'\0\0\0', start, n)
mbr[510:512] = b'\x55\xaa'
with open(sys.argv[1], 'r+b') as f:
    f.write(mbr)
EOF
	LOOP=$(losetup -P -f --show "$TMPDIR/disk")
	for p in 1 2 3; do
		[[ -b ${LOOP}p$p ]] || die "no ${LOOP}p$p"
	done
}

test() {
	local big md_sum_before newer other mm

	vmirror_load
	modprobe loop
	make_ramdisks 5 16
	fill_random /dev/ram0 $SZ

	echo "a line refused after the metadata checks writes nothing (Too many regions)"
	big=$(((1 << 34) + 8)) # 2^31 + 1 regions of 4 KiB
	dmsetup create zs --table "0 $big zero"
	dmsetup create zm --table "0 $big zero"
	dm_mknodes
	truncate -s 272M "$TMPDIR/bigmd"
	BIGMD=$(losetup -f --show "$TMPDIR/bigmd")
	refused "0 $big vmirror /dev/mapper/zs 0 /dev/mapper/zm 0 4 region_size 8 metadata_dev $BIGMD" \
		"Too many regions" "$BIGMD" 2
	losetup -d "$BIGMD"
	rm -f "$TMPDIR/bigmd"
	dmsetup remove zs
	dmsetup remove zm

	echo "a table that is never resumed writes nothing; its first resume formats"
	zero /dev/ram3
	md_sum_before=$(sum /dev/ram3)
	# Another target of the same table fails: DM drops the table.
	printf '%s\n%s 8 linear /dev/nonexistent 0\n' \
		"$(line /dev/ram0 /dev/ram1 /dev/ram3 nosync)" $SZ >"$TMPDIR/two"
	dmesg_mark
	expect_fail dmsetup create bad "$TMPDIR/two"
	dmsetup remove bad >/dev/null 2>&1 || true
	dmesg_since_mark | grep -F "linear: Device lookup failed" >/dev/null ||
		die "the second target was not refused: $(dmesg_since_mark | tail -3)"
	[[ $(sum /dev/ram3) == "$md_sum_before" ]] ||
		die "a table whose other target failed formatted its metadata device"
	echo "   a table refused by its other target: nothing written"
	# Loaded then cleared; loaded twice (the second replaces the first).
	dmsetup create vm --notable
	dmsetup load vm --table "$(line /dev/ram0 /dev/ram1 /dev/ram3 nosync)"
	dmsetup clear vm
	dmsetup load vm --table "$(line /dev/ram0 /dev/ram1 /dev/ram3 nosync)"
	dmsetup load vm --table "$(line /dev/ram0 /dev/ram1 /dev/ram3 nosync)"
	[[ $(sum /dev/ram3) == "$md_sum_before" ]] ||
		die "a table cleared or replaced before its resume wrote its metadata device"
	echo "   tables cleared or replaced unresumed: nothing written"
	dmesg_mark
	dmsetup resume vm
	dm_mknodes
	dmesg_since_mark | grep -F "a new association, formatted" >/dev/null ||
		die "no 'formatted' at the first resume: $(dmesg_since_mark | tail -3)"
	[[ $(sum /dev/ram3) != "$md_sum_before" ]] || die "metadata device not formatted at resume"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "$(dmsetup status vm)"
	dmsetup suspend vm
	dmsetup resume vm
	dmesg_since_mark | grep -c "a new association, formatted" | grep -qx 1 ||
		die "formatted again at a later resume"
	dmsetup remove vm
	created "$(line /dev/ram0 /dev/ram1 /dev/ram3 nosync)" "256 of 256 regions in sync"
	dmsetup remove vm
	echo "   formatted at the first resume, once; read back at the next load"

	echo "a format that never completed counts as new"
	created "$(line /dev/ram0 /dev/ram1 /dev/ram2 nosync)" "a new association, formatted"
	dmsetup remove vm
	# The bitmap blocks stay, no superblock: what a format leaves before
	# its superblock write.
	dd if=/dev/zero of=/dev/ram2 bs=4096 count=2 oflag=direct status=none
	created "$(line /dev/ram0 /dev/ram1 /dev/ram2 nosync)" "a new association, formatted"
	dmsetup remove vm
	# Copy A torn, copy B zeroes: a format torn in its superblock write.
	dd if=/dev/zero of=/dev/ram2 bs=4096 count=1 seek=1 oflag=direct status=none
	poke /dev/ram2 100
	created "$(line /dev/ram0 /dev/ram1 /dev/ram2 nosync)" "a new association, formatted"
	dmsetup remove vm

	echo "a corrupt newest superblock copy: the older one is used, and that is logged"
	if (($(seq_of /dev/ram2 0) > $(seq_of /dev/ram2 1))); then
		newer=0 other=B
	else
		newer=1 other=A
	fi
	poke /dev/ram2 $((4096 * newer + 200))
	created "$(line /dev/ram0 /dev/ram1 /dev/ram2 nosync)" "is corrupt, copy $other"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "$(dmsetup status vm)"

	echo "a metadata device in use by another DM device is refused"
	dmsetup suspend vm
	refused "$(line /dev/ram3 /dev/ram4 /dev/ram2)" "Metadata device is in use by vm" /dev/ram2
	# Another DM device's leg as metadata, its metadata as a leg.
	refused "$(line /dev/ram3 /dev/ram4 /dev/ram1)" "Metadata device is in use by vm" /dev/ram1
	refused "0 $SZ vmirror /dev/ram3 0 /dev/ram2 0 2 region_size 128" \
		"A leg is the metadata device of vm" /dev/ram2
	dmsetup resume vm
	echo "   ...but a reload of the same device takes it over"
	dm_reload vm "$(line /dev/ram0 /dev/ram1 /dev/ram2)"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "$(dmsetup status vm)"

	echo "metadata on this very DM device is refused"
	mm=$(vmirror_mm vm)
	dmesg_mark
	expect_fail dmsetup load vm --table "$(line /dev/ram0 /dev/ram1 "$mm")"
	dmesg_since_mark | grep -F "Metadata device is this vmirror device" >/dev/null ||
		die "no 'this vmirror device' in the log: $(dmesg_since_mark | tail -3)"
	echo "   refused: Metadata device is this vmirror device"
	dmsetup remove vm

	echo "a metadata device that overlaps a leg is refused"
	refused "$(line /dev/ram0 /dev/ram1 /dev/ram1)" "Metadata device overlaps the mirror" /dev/ram1
	refused "$(line /dev/ram0 /dev/ram1 /dev/ram0)" "Metadata device overlaps the source" /dev/ram0
	# A partition of a leg's disk: the block layer's exclusive open refuses
	# it (a partition of a held disk, a disk with a held partition).
	make_parted_loop
	refused "$(line "$LOOP" /dev/ram1 "${LOOP}p1")" "Metadata device lookup failed" "${LOOP}p1"
	refused "0 $SZ vmirror /dev/ram0 0 ${LOOP}p2 0 4 region_size 128 metadata_dev $LOOP" \
		"Metadata device lookup failed" "$LOOP"

	echo "partition legs are known by their PARTUUID: swapped, refused"
	zero /dev/ram3
	created "$(line "${LOOP}p1" "${LOOP}p2" /dev/ram3 nosync)"
	dmsetup remove vm
	refused "$(line "${LOOP}p2" "${LOOP}p1" /dev/ram3 nosync)" "source leg differs" /dev/ram3
	losetup -d "$LOOP"

	echo "DM legs are known by their uuid: swapped, refused; grown, accepted"
	dmsetup create srcd --uuid VMTEST-SRC --table "0 $SZ linear /dev/ram0 0"
	dmsetup create mird --uuid VMTEST-MIR --table "0 $SZ linear /dev/ram1 0"
	dm_mknodes
	zero /dev/ram2
	created "$(line /dev/mapper/srcd /dev/mapper/mird /dev/ram2)"
	vmirror_wait vm synchronized 60
	dmsetup remove vm
	refused "$(line /dev/mapper/mird /dev/mapper/srcd /dev/ram2)" "source leg differs" /dev/ram2
	printf '0 %s linear /dev/ram0 0\n%s 8192 linear /dev/ram4 0\n' $SZ $SZ >"$TMPDIR/grown"
	dmsetup load srcd "$TMPDIR/grown"
	dmsetup suspend srcd
	dmsetup resume srcd
	created "$(line /dev/mapper/srcd /dev/mapper/mird /dev/ram2)"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "grown leg: $(dmsetup status vm)"
	echo "   grown source accepted, still synchronized"
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	dmsetup remove srcd
	dmsetup remove mird

	echo "a reload onto another metadata device: the state moves, the old one is detached"
	zero /dev/ram2
	zero /dev/ram3
	created "$(line /dev/ram0 /dev/ram1 /dev/ram2 nosync)"
	dmsetup message vm 0 break
	dd if=/dev/urandom of=/dev/mapper/vm bs=64k count=1 seek=30 oflag=direct status=none
	dmesg_mark
	dm_reload vm "$(line /dev/ram0 /dev/ram1 /dev/ram3 nosync)"
	dmesg_since_mark | grep -F "metadata device ram2 detached" >/dev/null ||
		dmesg_since_mark | grep -F "detached" >/dev/null ||
		die "no 'detached' in the log: $(dmesg_since_mark | tail -3)"
	[[ $(vmirror_field vm 1) == failedover ]] || die "$(dmsetup status vm)"
	dmsetup remove vm
	refused "$(line /dev/ram0 /dev/ram1 /dev/ram2 nosync)" "detached from its association by a reload" /dev/ram2
	# Both copies say so: the newest one corrupt, the other still does.
	if (($(seq_of /dev/ram2 0) > $(seq_of /dev/ram2 1))); then
		poke /dev/ram2 200
	else
		poke /dev/ram2 $((4096 + 200))
	fi
	refused "$(line /dev/ram0 /dev/ram1 /dev/ram2 nosync)" "detached from its association by a reload" /dev/ram2
	created "$(line /dev/ram0 /dev/ram1 /dev/ram3 nosync)"
	[[ $(vmirror_field vm 1) == failedover ]] || die "not failedover on the new metadata: $(dmsetup status vm)"
	cmp_devices /dev/mapper/vm 0 /dev/ram1 0 $SZ || die "not serving the mirror"
	dmsetup remove vm

	echo "adding metadata_dev on a reload records the state taken over"
	zero /dev/ram3
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/ram1 0 3 region_size 128 nosync"
	dmsetup message vm 0 break
	dm_reload vm "$(line /dev/ram0 /dev/ram1 /dev/ram3 nosync)"
	dmsetup remove vm
	created "$(line /dev/ram0 /dev/ram1 /dev/ram3 nosync)"
	[[ $(vmirror_field vm 1) == failedover ]] || die "failover not recorded: $(dmsetup status vm)"
	cmp_devices /dev/mapper/vm 0 /dev/ram1 0 $SZ || die "not serving the mirror"
	dmsetup remove vm
	echo ok
}
