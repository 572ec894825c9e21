#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/metadata-fio.sh - the cost of metadata_dev per write (issue 11):
# 4k randwrite at QD1 and QD32 on a synchronized pair with and without
# metadata_dev, in one VM run, contenders interleaved, RUNS times each.
# Legs and metadata: memory-backed null_blk completing after 20 us (an
# NVMe SSD, no volatile cache: flushes cost nothing), 1 GiB legs, default
# region size (512 KiB: 2048 regions).
#
# Two phases, each on a pair just created with every region recorded in
# sync ("nosync"):
#   cold    the first 6 s of writes on the new pair (one job per QD, each
#           on its own new pair): nearly every write reaches a region whose
#           bit is still set and waits for a commit (rule W) - the cost of
#           a pair's first writes, or of writes spread wider than the hot
#           cap (4096 regions).
#   steady  after a pass that writes one 4 KiB block in every region, so
#           every region is hot: the cost of writes to a working set the
#           write-intent log holds; commits only for regions the cleaner
#           recorded in sync again (not written for a whole 5 s period).
#           The pass, the QD1 job and the QD32 job run back to back in one
#           fio process (stonewall): a pause between separate fio runs (2-4 s
#           under TCG) lets a cleaner pass record many regions, and the next
#           job pays for them - a pause, not steady writing.  The commit
#           counts of this phase cover all three jobs.
# Per run and module: mem, then md, on the same null_blk devices.
#
# Usage (host): tests/vm/run.sh --mem 3072 --out DIR -- bash bench/metadata-fio.sh
#   (about 2.5 min per run and module on an idle 2-core host, twice that
#   on a busy one: give two modules --timeout 3600)
#   MDBENCH_RUNS (5), MDBENCH_RUNTIME (5 s per fio job, after a 1 s ramp)
#   MDBENCH_KOS  "label=path ..." modules to compare in the same run,
#                loaded in turn each run (default: cur=$VMIRROR_KO or
#                kernel/dm-vmirror.ko); pass the paths through VM_ENV
#   MDBENCH_COUNT=1  count metadata commits and bufio syncs per md job
#                (kprobe hit counts; needs kprobe_events in the guest)
# Prints one line per job: "label mode phase qd run iops [commits syncs]",
# then per label, phase and QD the medians and the ratio metadata/memory
# (median, min-max of the per-run ratios).
set -euo pipefail
[[ ${VM_GUEST:-} == 1 ]] || { echo "metadata-fio.sh: run it in the test VM (tests/vm/run.sh)" >&2; exit 2; }
RUNS=${MDBENCH_RUNS:-5}
RUNTIME=${MDBENCH_RUNTIME:-5}
KOS=${MDBENCH_KOS:-cur=${VMIRROR_KO:-$PWD/kernel/dm-vmirror.ko}}
COUNT=${MDBENCH_COUNT:-0}
TR=/sys/kernel/tracing

modprobe dm-mod
modprobe dm-bufio 2>/dev/null || true
modprobe libcrc32c 2>/dev/null || true
modprobe null_blk nr_devices=3 gb=1 bs=512 memory_backed=1 irqmode=2 \
	completion_nsec=20000 queue_mode=2 submit_queues=2 hw_queue_depth=128
for d in nullb0 nullb1 nullb2; do echo none >/sys/block/$d/queue/scheduler; done
SECTORS=$((1024 * 2048))
[[ $COUNT == 1 ]] && { mountpoint -q $TR || mount -t tracefs nodev $TR; }

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

steady() { # -> "IOPS_QD1 IOPS_QD32": warm pass, QD1, QD32 back to back
	fio --filename=/dev/mapper/vm --bs=4k --direct=1 --ioengine=libaio \
		--randrepeat=0 --output-format=json \
		--name=warm --rw=write:508k --iodepth=32 \
		--name=qd1 --stonewall --rw=randwrite --iodepth=1 --ramp_time=1 \
		--runtime="$RUNTIME" --time_based \
		--name=qd32 --stonewall --rw=randwrite --iodepth=32 --ramp_time=1 \
		--runtime="$RUNTIME" --time_based |
		python3 -c 'import json,sys; j = json.load(sys.stdin)["jobs"]
print(int(j[1]["write"]["iops"]), int(j[2]["write"]["iops"]))'
}

probes_on() {
	[[ $COUNT == 1 ]] || return 0
	echo >$TR/kprobe_events
	echo 'p:mdb_commit vmirror_md_commit' >>$TR/kprobe_events
	echo 'p:mdb_sync dm_bufio_write_dirty_buffers' >>$TR/kprobe_events
	echo 0 >$TR/tracing_on
	echo 1 >$TR/events/kprobes/enable
}

probes_off() { # -> "commits syncs" since probes_on
	[[ $COUNT == 1 ]] || return 0
	local c s
	c=$(awk '$1 == "mdb_commit" { print $2 }' $TR/kprobe_profile)
	s=$(awk '$1 == "mdb_sync" { print $2 }' $TR/kprobe_profile)
	echo 0 >$TR/events/kprobes/enable
	echo >$TR/kprobe_events
	echo " $c $s"
}

measure() { # measure LABEL MODE PHASE QD RUN
	local iops extra=""
	[[ $2 == md ]] && probes_on
	iops=$(job "$4")
	[[ $2 == md ]] && extra=$(probes_off)
	IOPS[$1,$2,$3,$4,$5]=$iops
	echo "$1 $2 $3 qd$4 run$5 $iops$extra"
}

measure_steady() { # measure_steady LABEL MODE RUN
	local iops extra=""
	[[ $2 == md ]] && probes_on
	read -ra iops < <(steady)
	[[ $2 == md ]] && extra=$(probes_off)
	IOPS[$1,$2,steady,1,$3]=${iops[0]}
	IOPS[$1,$2,steady,32,$3]=${iops[1]}
	echo "$1 $2 steady qd1 run$3 ${iops[0]}"
	echo "$1 $2 steady qd32 run$3 ${iops[1]}$extra (commits: warm pass + both jobs)"
}

declare -A IOPS
LABELS=()
for ((run = 1; run <= RUNS; run++)); do
	for kv in $KOS; do
		label=${kv%%=*}
		((run > 1)) || LABELS+=("$label")
		insmod "${kv#*=}"
		for mode in mem md; do
			pair "$mode"
			measure "$label" "$mode" cold 1 "$run"
			dmsetup remove vm
			pair "$mode"
			measure "$label" "$mode" cold 32 "$run"
			measure_steady "$label" "$mode" "$run"
			dmsetup remove vm
		done
		rmmod dm_vmirror
	done
done

for label in "${LABELS[@]}"; do
	for phase in cold steady; do
		for qd in 1 32; do
			mem=$(for ((r = 1; r <= RUNS; r++)); do printf '%s,' "${IOPS[$label,mem,$phase,$qd,$r]}"; done)
			md=$(for ((r = 1; r <= RUNS; r++)); do printf '%s,' "${IOPS[$label,md,$phase,$qd,$r]}"; done)
			python3 - "$label" "$phase" "$qd" "$mem" "$md" <<'PY'
import statistics, sys
label, phase, qd = sys.argv[1:4]
mem = [int(x) for x in sys.argv[4].split(",") if x]
md = [int(x) for x in sys.argv[5].split(",") if x]
ratios = [b / a for a, b in zip(mem, md)]
print(f"{label} {phase} QD{qd}: memory median {statistics.median(mem):.0f} IOPS, "
      f"metadata median {statistics.median(md):.0f} IOPS, ratio median "
      f"{statistics.median(ratios):.2f} (min {min(ratios):.2f}, max {max(ratios):.2f}, "
      f"{len(ratios)} runs)")
PY
		done
	done
done
