#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/map-memory.sh - resident kernel memory of the region map (issue 11):
# what "dmsetup create" of a vmirror table costs, on two dm-zero legs, for
# 64 TiB at the default 512 KiB regions (nosync, copying, copying with
# mirror_zeroed, nosync with a metadata_dev on a RAM disk) and 1 TiB at
# 4 KiB regions (nosync, copying).  Memory is read from
# /proc/meminfo (Slab + VmallocUsed, and MemAvailable) before the create
# and after it (after MAPMEM_SETTLE seconds: a table without nosync is
# copying then, its copies in flight counted).
#
# Usage (host): tests/vm/run.sh --mem 3072 --out DIR -- bash bench/map-memory.sh
#   VMIRROR_KO: the module to measure (default kernel/dm-vmirror.ko)
#   MAPMEM_SETTLE (2 s)
# Prints one line per table: "name regions slab+vmalloc_KiB avail_KiB
# bytes/region", or "name FAILED <dmsetup error>" when the table cannot be
# created (out of memory).
set -uo pipefail
[[ ${VM_GUEST:-} == 1 ]] || { echo "map-memory.sh: run it in the test VM (tests/vm/run.sh)" >&2; exit 2; }
KO=${VMIRROR_KO:-$PWD/kernel/dm-vmirror.ko}
SETTLE=${MAPMEM_SETTLE:-2}

modprobe dm-mod
modprobe dm-zero 2>/dev/null || true
modprobe dm-bufio 2>/dev/null || true
modprobe libcrc32c 2>/dev/null || true
modprobe brd rd_nr=1 rd_size=$((64 * 1024))	# 64 MiB, reads zeroes: new metadata
insmod "$KO" || exit 1

TIB=$((1 << 31))			# sectors per TiB
dmsetup create z0 --table "0 $((64 * TIB)) zero"
dmsetup create z1 --table "0 $((64 * TIB)) zero"
Z0=$(dmsetup info -c --noheadings -o major,minor --separator : z0)
Z1=$(dmsetup info -c --noheadings -o major,minor --separator : z1)

meminfo() { awk -v k="$1" '$1 == k":" { print $2 }' /proc/meminfo; }
used() { echo $(($(meminfo Slab) + $(meminfo VmallocUsed))); }

measure() { # measure NAME SECTORS REGION_SECTORS OPT_ARGS...
	local name=$1 len=$2 rs=$3 err
	shift 3
	local regions=$(((len + rs - 1) / rs))
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	local u0 a0 u1 a1
	u0=$(used)
	a0=$(meminfo MemAvailable)
	if ! err=$(dmsetup create vm --table "0 $len vmirror $Z0 0 $Z1 0 $*" 2>&1); then
		echo "$name FAILED ${err//$'\n'/ }"
		dmsetup remove vm 2>/dev/null
		return
	fi
	sleep "$SETTLE"
	u1=$(used)
	a1=$(meminfo MemAvailable)
	dmsetup remove vm
	python3 - "$name" "$regions" "$((u1 - u0))" "$((a0 - a1))" <<'PY'
import sys
name, regions, used, avail = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
print(f"{name} regions={regions} slab+vmalloc={used} KiB ({used / 1024:.1f} MiB)"
      f" avail_drop={avail} KiB ({avail / 1024:.1f} MiB)"
      f" bytes/region={used * 1024 / regions:.3f}")
PY
}

echo "module: $(modinfo -F version "$KO" 2>/dev/null) $KO"
measure 64TiB-512K-nosync $((64 * TIB)) 1024 1 nosync
measure 64TiB-512K-copying $((64 * TIB)) 1024 0
measure 64TiB-512K-copying-mirror_zeroed $((64 * TIB)) 1024 1 mirror_zeroed
measure 64TiB-512K-nosync-metadata $((64 * TIB)) 1024 3 nosync metadata_dev /dev/ram0
measure 1TiB-4K-nosync $TIB 8 3 nosync region_size 8
measure 1TiB-4K-copying $TIB 8 2 region_size 8

dmsetup remove z1
dmsetup remove z0
rmmod dm_vmirror
rmmod brd
