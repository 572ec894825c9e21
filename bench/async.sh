#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/async.sh - "make bench-async": sync vs async mode with the mirror
# 20 ms away, in one VM boot (bench/README.md, "Async mode over a slow
# mirror").  Two mirror links:
#   delay   the mirror is a RAM disk behind dm-delay: every write 20 ms
#   nbd     the mirror is a RAM disk exported by nbd-server on loopback,
#           with netem delaying every packet on lo by 10 ms (20 ms a round
#           trip), through nbd-client's /dev/nbd0
# For each link, run and mode (sync and async interleaved: run 1 of each,
# then run 2, ...): the full copy of a random-filled source (MiB/s, from
# the table's resume to synchronized), then fio 4k randwrite QD1 on the
# synchronized pair (latency from submission to completion, p50 and
# p99; IOPS).  Medians over the
# runs, and every run, go to bench/results/async.md.
#
# Usage: bench/async.sh              (needs kernel/dm-vmirror.ko: make module)
#        bench/async.sh --guest      (run by the VM)
#
# Environment (all optional):
#   BENCH_ASYNC_RUNS      runs of every measurement (default 3)
#   BENCH_ASYNC_RUNTIME   seconds of each fio run (default 10)
#   BENCH_ASYNC_MB        size of the disks, and of each copy (default 256)
#   BENCH_ASYNC_LINKS     "delay nbd" (default) or one of them
#   BENCH_ASYNC_OUT       VM output dir (default bench/results/vm-out-async)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${BENCH_ASYNC_RUNS:-3}
RUNTIME=${BENCH_ASYNC_RUNTIME:-10}
MB=${BENCH_ASYNC_MB:-256}
LINKS=${BENCH_ASYNC_LINKS:-delay nbd}
DELAY_MS=20

# ---- in the VM ----------------------------------------------------------------
guest() {
	local sz=$((MB * 2048)) link run mode
	export SRCDIR=$ROOT
	# shellcheck disable=SC1091 # the VM tests' helpers
	. "$ROOT/tests/vm/lib.sh"
	# shellcheck disable=SC1091
	. "$ROOT/tests/vm/vmirror-lib.sh"
	export TMPDIR=/tmp
	RES=$VM_OUT/async.tsv
	: >"$RES"
	vmirror_load
	make_ramdisks 2 "$MB"
	fill_random /dev/ram0 $sz
	for link in $LINKS; do
		case $link in
		delay) delay_leg slow /dev/ram1 $DELAY_MS; MIRROR=/dev/mapper/slow ;;
		nbd)
			ip link set lo up
			modprobe nbd nbds_max=1 max_part=0
			modprobe sch_netem
			nbd_serve /dev/ram1
			nbd_connect /dev/nbd0 60
			tc qdisc add dev lo root netem delay $((DELAY_MS / 2))ms
			MIRROR=/dev/nbd0
			;;
		*) die "unknown link $link (delay, nbd)" ;;
		esac
		vm_log "link $link: mirror $MIRROR"
		for ((run = 1; run <= RUNS; run++)); do
			for mode in sync async; do
				one "$link" "$mode" "$run" "$sz"
			done
		done
		case $link in
		delay) dmsetup remove slow ;;
		nbd)
			tc qdisc del dev lo root
			nbd-client -d /dev/nbd0 >/dev/null
			# shellcheck disable=SC2046 # a list of pids
			kill $(nbd_server_pids)
			;;
		esac
	done
}

# one LINK MODE RUN SECTORS  - a full copy, then fio on the synchronized
# pair; appends "link mode run copy_MiB/s p50_us p99_us iops max_lag" to $RES
one() {
	local link=$1 mode=$2 run=$3 sz=$4 t0 t1 mibs lag max=0 pid
	dmsetup create vm --table "0 $sz vmirror /dev/ram0 0 $MIRROR 0 2 sync_mode $mode"
	dm_mknodes
	t0=$(date +%s.%N)
	vmirror_wait vm synchronized 1800 || die "no copy"
	t1=$(date +%s.%N)
	mibs=$(awk -v t0="$t0" -v t1="$t1" -v mb="$MB" 'BEGIN { printf "%.1f", mb / (t1 - t0) }')
	fio --name=lat --filename=/dev/mapper/vm --rw=randwrite --bs=4k --direct=1 \
		--ioengine=libaio --iodepth=1 --lat_percentiles=1 --eta=never --time_based --runtime="$RUNTIME" \
		--randseed="$run" --output-format=json --output="$VM_OUT/fio-$link-$mode-$run.json" &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		lag=$(<"$(vmirror_sysfs vm)/lag_bytes")
		((lag > max)) && max=$lag
		sleep 0.5
	done
	wait $pid || die "fio failed"
	[[ $(vmirror_field vm 1) == synchronized ]] || die "left synchronized: $(dmsetup status vm)"
	python3 - "$VM_OUT/fio-$link-$mode-$run.json" "$link $mode $run $mibs" "$max" >>"$RES" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))["jobs"][0]
assert j["error"] == 0, "fio error"
w = j["write"]
p = w["lat_ns"]["percentile"]
print(sys.argv[2], int(p["50.000000"] / 1000), int(p["99.000000"] / 1000), int(w["iops"]), sys.argv[3])
EOF
	vm_log "$(tail -1 "$RES")"
	dmsetup remove vm
}

if [[ ${1:-} == --guest ]]; then
	guest
	exit 0
fi

# ---- on the host --------------------------------------------------------------
[[ -f $ROOT/kernel/dm-vmirror.ko ]] || { echo "bench-async: run 'make module' first" >&2; exit 1; }
OUT=${BENCH_ASYNC_OUT:-$HERE/results/vm-out-async}
mkdir -p "$OUT"
load=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_ASYNC_RUNS=$RUNS BENCH_ASYNC_RUNTIME=$RUNTIME BENCH_ASYNC_MB=$MB BENCH_ASYNC_LINKS=$LINKS
cd "$ROOT"
VM_ENV="BENCH_ASYNC_RUNS BENCH_ASYNC_RUNTIME BENCH_ASYNC_MB BENCH_ASYNC_LINKS" \
	tests/vm/run.sh --mem $((2 * MB + 2048)) --timeout 7200 --out "$OUT" -- \
	bash "$HERE/async.sh" --guest
python3 - "$OUT/async.tsv" "$RUNS" "$RUNTIME" "$MB" "$load" >"$HERE/results/async.md" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
runs, runtime, mb, load = sys.argv[2:6]
name = {"delay": "dm-delay, 20 ms a write", "nbd": "NBD on loopback, netem 10 ms each way"}
print("# Sync vs async over a mirror 20 ms away\n")
print(f"`make bench-async` (bench/async.sh): {runs} runs, sync and async interleaved;"
      f" {mb} MiB disks (brd); fio 4k randwrite QD1 for {runtime} s on the"
      f" synchronized pair (latency: submission to completion); copy = full first copy of a random-filled source."
      f" QEMU TCG, host load at start {load}. Medians (every run below).\n")
print("| mirror | mode | write p50 (us) | write p99 (us) | IOPS | copy (MiB/s) | max lag_bytes |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
for link in dict.fromkeys(r[0] for r in rows):
    for mode in ("sync", "async"):
        rs = [r for r in rows if r[0] == link and r[1] == mode]
        med = lambda i, f=float: statistics.median(f(r[i]) for r in rs)
        print(f"| {name.get(link, link)} | {mode} | {med(4):.0f} | {med(5):.0f} | {med(6):.0f} | {med(3):.1f} | {med(7):.0f} |")
print("\nEvery run: link mode run copy_MiB/s p50_us p99_us iops max_lag_bytes\n")
print("```")
for r in rows:
    print(" ".join(r))
print("```")
EOF
cat "$HERE/results/async.md"
