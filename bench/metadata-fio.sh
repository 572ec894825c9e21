#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/metadata-fio.sh - the cost of metadata_dev per write (issue 11):
# 4k randwrite at QD1 and QD32 on a synchronized pair with and without
# metadata_dev, in one VM run, contenders interleaved, RUNS times each.
# Legs and metadata: memory-backed null_blk completing after 20 us (an
# NVMe SSD), 1 GiB legs, default region size (512 KiB).
#
# Usage (host): tests/vm/run.sh --mem 3072 --out DIR -- bash bench/metadata-fio.sh
#   MDBENCH_RUNS (3), MDBENCH_RUNTIME (5 s per fio job, after a 1 s ramp)
# Prints one line per job: "mode qd run iops", then the medians and the
# ratio metadata/memory (median, min-max of the per-run ratios).
set -euo pipefail
[[ ${VM_GUEST:-} == 1 ]] || { echo "metadata-fio.sh: run it in the test VM (tests/vm/run.sh)" >&2; exit 2; }
RUNS=${MDBENCH_RUNS:-3}
RUNTIME=${MDBENCH_RUNTIME:-5}
KO=${VMIRROR_KO:-$PWD/kernel/dm-vmirror.ko}

modprobe dm-mod
modprobe dm-bufio 2>/dev/null || true
modprobe libcrc32c 2>/dev/null || true
insmod "$KO"
modprobe null_blk nr_devices=3 gb=1 bs=512 memory_backed=1 irqmode=2 \
	completion_nsec=20000 queue_mode=2 submit_queues=2 hw_queue_depth=128
for d in nullb0 nullb1 nullb2; do echo none >/sys/block/$d/queue/scheduler; done
SECTORS=$((1024 * 2048))

pair() { # pair mem|md
	local extra="1 nosync"
	if [[ $1 == md ]]; then
		dd if=/dev/zero of=/dev/nullb2 bs=1M count=4 oflag=direct status=none
		extra="3 nosync metadata_dev /dev/nullb2"
	fi
	dmsetup create vm --table "0 $SECTORS vmirror /dev/nullb0 0 /dev/nullb1 0 $extra"
	dmsetup mknodes vm
}

job() { # job QD -> IOPS
	fio --name=w --filename=/dev/mapper/vm --rw=randwrite --bs=4k --direct=1 \
		--ioengine=libaio --iodepth="$1" --ramp_time=1 --runtime="$RUNTIME" \
		--time_based --randrepeat=0 --output-format=json |
		python3 -c 'import json,sys; print(int(json.load(sys.stdin)["jobs"][0]["write"]["iops"]))'
}

declare -A IOPS
for ((run = 1; run <= RUNS; run++)); do
	for mode in mem md; do
		pair "$mode"
		for qd in 1 32; do
			IOPS[$mode,$qd,$run]=$(job "$qd")
			echo "$mode qd$qd run$run ${IOPS[$mode,$qd,$run]}"
		done
		dmsetup remove vm
	done
done

for qd in 1 32; do
	python3 - "$qd" "$RUNS" <<PY
import statistics, sys
qd, runs = sys.argv[1], int(sys.argv[2])
mem = [$(for ((r = 1; r <= RUNS; r++)); do printf '%s,' "${IOPS[mem,$qd,$r]}"; done)]
md = [$(for ((r = 1; r <= RUNS; r++)); do printf '%s,' "${IOPS[md,$qd,$r]}"; done)]
ratios = [b / a for a, b in zip(mem, md)]
print(f"QD{qd}: memory median {statistics.median(mem):.0f} IOPS, metadata median "
      f"{statistics.median(md):.0f} IOPS, ratio median {statistics.median(ratios):.3f} "
      f"(min {min(ratios):.3f}, max {max(ratios):.3f})")
PY
done
