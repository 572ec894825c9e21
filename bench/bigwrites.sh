#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/bigwrites.sh - 1 MiB sequential writes (issue 16, "big writes
# unsplit"): QD1 and QD8 on a synchronized pair, modules compared in one VM
# run, contenders interleaved (run 1: A B dm-mirror, run 2: A B dm-mirror,
# ...), RUNS times each.  Legs: memory-backed null_blk completing after
# 20 us (irqmode=2: an NVMe SSD), 1 MiB requests, 1 GiB, default region
# size (512 KiB; dm-mirror with the same regions, core log, nosync).
#
# Usage (host): tests/vm/run.sh --mem 3072 --out DIR -- bash bench/bigwrites.sh
#   BWBENCH_RUNS (3), BWBENCH_RUNTIME (5 s per fio job, after a 1 s ramp)
#   BWBENCH_KOS  "label=path ..." modules to compare (default:
#                cur=$VMIRROR_KO or kernel/dm-vmirror.ko); pass the paths
#                through VM_ENV
#   BWBENCH_DMMIRROR=0  leave dm-mirror out
# Prints one line per job: "label qdN runR MiB/s", then per QD the median
# MiB/s of each contender and, for each module after the first and for
# dm-mirror, the ratio to the first module (median, min-max of the per-run
# ratios).
set -euo pipefail
[[ ${VM_GUEST:-} == 1 ]] || { echo "bigwrites.sh: run it in the test VM (tests/vm/run.sh)" >&2; exit 2; }
RUNS=${BWBENCH_RUNS:-3}
RUNTIME=${BWBENCH_RUNTIME:-5}
KOS=${BWBENCH_KOS:-cur=${VMIRROR_KO:-$PWD/kernel/dm-vmirror.ko}}
DMMIRROR=${BWBENCH_DMMIRROR:-1}

modprobe dm-mod
modprobe dm-bufio 2>/dev/null || true
modprobe libcrc32c 2>/dev/null || true
modprobe dm-mirror
modprobe null_blk nr_devices=2 gb=1 bs=512 memory_backed=1 irqmode=2 max_sectors=2048 \
	completion_nsec=20000 queue_mode=2 submit_queues=2 hw_queue_depth=128
for d in nullb0 nullb1; do echo none >/sys/block/$d/queue/scheduler; done
# 1 MiB requests (brd and the default: 127 KiB, every 1 MiB write split
# before it reaches the target).
grep -qx 1024 /sys/block/nullb0/queue/max_sectors_kb ||
	{ echo "nullb0: max_sectors_kb $(cat /sys/block/nullb0/queue/max_sectors_kb)" >&2; exit 1; }
SECTORS=$((1024 * 2048))

job() { # job QD -> MiB/s
	fio --name=w --filename=/dev/mapper/bw --rw=write --bs=1M --direct=1 \
		--ioengine=libaio --iodepth="$1" --ramp_time=1 --runtime="$RUNTIME" \
		--time_based --output-format=json |
		python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["write"]["bw"] / 1024, 1))'
}

# measure LABEL RUN  - both QDs on the device "bw"
measure() {
	local qd bw
	for qd in 1 8; do
		bw=$(job "$qd")
		BW[$1,$qd,$2]=$bw
		echo "$1 qd$qd run$2 $bw MiB/s"
	done
}

declare -A BW
LABELS=()
for ((run = 1; run <= RUNS; run++)); do
	for kv in $KOS; do
		label=${kv%%=*}
		((run > 1)) || LABELS+=("$label")
		insmod "${kv#*=}"
		dmsetup create bw --table "0 $SECTORS vmirror /dev/nullb0 0 /dev/nullb1 0 1 nosync"
		dmsetup mknodes bw
		[[ $(dmsetup status bw | awk '{ print $4 }') == synchronized ]] ||
			{ dmsetup status bw; exit 1; }
		measure "$label" "$run"
		dmsetup remove bw
		rmmod dm_vmirror
	done
	if [[ $DMMIRROR == 1 ]]; then
		((run > 1)) || LABELS+=(dm-mirror)
		dmsetup create bw --table "0 $SECTORS mirror core 2 1024 nosync 2 /dev/nullb0 0 /dev/nullb1 0"
		dmsetup mknodes bw
		measure dm-mirror "$run"
		dmsetup remove bw
	fi
done

base=${LABELS[0]}
for qd in 1 8; do
	for label in "${LABELS[@]}"; do
		a=$(for ((r = 1; r <= RUNS; r++)); do printf '%s,' "${BW[$base,$qd,$r]}"; done)
		b=$(for ((r = 1; r <= RUNS; r++)); do printf '%s,' "${BW[$label,$qd,$r]}"; done)
		python3 - "$base" "$label" "$qd" "$a" "$b" <<'PY'
import statistics, sys
base, label, qd = sys.argv[1:4]
a = [float(x) for x in sys.argv[4].split(",") if x]
b = [float(x) for x in sys.argv[5].split(",") if x]
line = f"QD{qd} {label}: median {statistics.median(b):.1f} MiB/s"
if label != base:
    ratios = [y / x for x, y in zip(a, b)]
    line += (f", {label}/{base} median {statistics.median(ratios):.2f} "
             f"(min {min(ratios):.2f}, max {max(ratios):.2f}, {len(ratios)} runs)")
print(line)
PY
	done
done
