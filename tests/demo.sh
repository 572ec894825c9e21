#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# "make demo", guest side: a live migration.  ext4 on a linear DM device
# over one disk, a writer changing files and recording their checksums,
# "vmirrorctl start" onto a mirror file created on the fly, "watch" to
# 100 %, "break" (the device now runs on the mirror), the writer carries
# on, then fsck and the checksums confirm nothing was lost.
set -euo pipefail
SRCDIR=${SRCDIR:-$PWD}
VM_SUITE_DIR=$SRCDIR/tests/vm
. "$VM_SUITE_DIR/lib.sh"
. "$VM_SUITE_DIR/vmirror-lib.sh"
CTL=$SRCDIR/tools/vmirrorctl/vmirrorctl

MB=256
MNT=/tmp/demo-mnt
MIRROR=/tmp/demo-mirror.img
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "1. A ${MB} MiB disk (/dev/ram0) with ext4, used through a linear DM device 'vol'"
vmirror_load
modprobe loop	# no udev here to create /dev/loop-control from modules.devname
make_ramdisks 1 $MB
dmsetup create vol --table "0 $((MB * 2048)) linear /dev/ram0 0"
dm_mknodes
mkfs.ext4 -q /dev/mapper/vol
mkdir -p $MNT
mount /dev/mapper/vol $MNT
echo "   $(dmsetup table vol)"

say "2. A writer changes files all the time and records their checksums"
(
	i=0
	while [[ ! -e /tmp/demo-stop ]]; do
		f=$MNT/file$((i % 24))
		head -c $((4096 * (1 + i % 64))) /dev/urandom >"$f.tmp"
		mv "$f.tmp" "$f"
		sync "$f"
		echo "$(sha256sum <"$f" | cut -d' ' -f1) file$((i % 24))" >>/tmp/demo-sums
		i=$((i + 1))
	done
	echo "$i" >/tmp/demo-writes
) &
writer=$!
sleep 2

say "3. vmirrorctl start vol $MIRROR   (the mirror file does not exist yet)"
"$CTL" start vol "$MIRROR" --max-rate 32M
echo "   $(dmsetup table vol)"
echo "   mirror file: $(stat -c %s "$MIRROR") bytes"

say "4. vmirrorctl watch vol"
"$CTL" watch vol

say "5. vmirrorctl status vol"
"$CTL" status vol | sed 's/^/   /'

say "6. vmirrorctl break vol: the volume now lives on the mirror file"
"$CTL" break vol
echo "   $(dmsetup table vol)"
sleep 2
touch /tmp/demo-stop
wait $writer
echo "   the writer made $(cat /tmp/demo-writes) writes, without a pause"

say "7. Verify: fsck, then every file against its last recorded checksum"
umount $MNT
e2fsck -fn /dev/mapper/vol >/tmp/demo-fsck.txt 2>&1 || { cat /tmp/demo-fsck.txt; die "fsck failed"; }
echo "   e2fsck -fn: clean"
mount /dev/mapper/vol $MNT
declare -A last
bad=0
while read -r sum name; do
	last[$name]=$sum
done < <(tac /tmp/demo-sums | awk '!seen[$2]++')
for name in "${!last[@]}"; do
	[[ $(sha256sum <"$MNT/$name" | cut -d' ' -f1) == "${last[$name]}" ]] || { echo "   MISMATCH $name"; bad=1; }
done
((bad == 0)) || die "data lost"
echo "   ${#last[@]} files match their last checksum"
umount $MNT
dmsetup remove vol
say "Demo finished: the volume moved to a new disk while in use, and no write was lost."
