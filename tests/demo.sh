#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# "make demo", guest side: a vmirror over two RAM disks while fio writes to
# it, progress until synchronized, then the two disks compared byte for
# byte.  Run through tests/vm/run.sh.
set -euo pipefail
SRCDIR=${SRCDIR:-$PWD}
VM_SUITE_DIR=$SRCDIR/tests/vm
. "$VM_SUITE_DIR/lib.sh"
. "$VM_SUITE_DIR/vmirror-lib.sh"

MB=128
say() { printf '\n\033[1m%s\033[0m\n' "$*"; }

say "1. Two ${MB} MiB RAM disks: the source holds data, the mirror holds other data"
vmirror_load
make_ramdisks 2 $MB
fill_random /dev/ram0 $((MB * 2048))
fill_random /dev/ram1 $((MB * 2048))

say "2. dmsetup create demo: vmirror /dev/ram0 -> /dev/ram1 (copy capped at 16 MiB/s)"
table="0 $((MB * 2048)) vmirror /dev/ram0 0 /dev/ram1 0 2 max_copy_rate 16384"
echo "   table: $table"
dmsetup create demo --table "$table"
dev=$(dm_devname demo)

say "3. fio writes to the mirrored device while the copy runs"
fio --name=demo --filename="$dev" --rw=randwrite --bssplit=4k/60:64k/40 \
	--size=${MB}M --io_size=48M --direct=1 --ioengine=libaio --iodepth=8 \
	--verify=crc32c --verify_fatal=1 --output=/tmp/demo-fio.txt &
fio_pid=$!

while :; do
	read -ra f <<<"$(dmsetup status demo)"
	printf '   %-15s %3s %%  regions %-9s copied %4d MiB  %s  fio %s\n' \
		"${f[3]}" "${f[4]}" "${f[5]}" $((f[10] >> 20)) "${f[7]}" \
		"$(kill -0 $fio_pid 2>/dev/null && echo running || echo done)"
	[[ ${f[3]} == synchronized ]] && break
	sleep 0.5
done
wait $fio_pid || { cat /tmp/demo-fio.txt; die "fio failed"; }
echo "   fio: $(grep -o 'WRITE: bw=[^,]*' /tmp/demo-fio.txt), verify passed"

say "4. Suspend and compare source and mirror with direct reads"
dmsetup suspend demo
cmp_devices /dev/ram0 0 /dev/ram1 0 $((MB * 2048))
echo "   source and mirror are byte-identical ($MB MiB)"
dmsetup resume demo
echo "   final status: $(dmsetup status demo)"
dmsetup remove demo
say "Demo finished: no write lost."
