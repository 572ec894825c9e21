#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/run.sh - "make bench": run the benchmark suite in the test VM and
# render bench/results/latest.{md,json} and the plots (bench/README.md).
#
# Usage: bench/run.sh                 build nothing; needs kernel/dm-vmirror.ko
#                                     and tools/vmirrorctl/vmirrorctl
#        bench/run.sh --render RAWDIR only render the results of an earlier run
#
# Environment (all optional):
#   BENCH_QUICK=1     tiny sizes, 1 run, 1 s per fio job: for development;
#                     results go to bench/results/quick/, not latest.*
#   BENCH_RUNS        repetitions of every measurement (default 5); medians,
#                     and the spread of the per-run ratios
#   BENCH_RUNTIME     seconds per fio job (default 5, plus 1 s ramp)
#   BENCH_NUMJOBS     fio jobs of the QD32 and 1M workloads (default 2)
#   BENCH_COPY_MB     size of the devices and of the full copy (default 1024)
#   BENCH_BACKENDS    "nullb-20us nullb-100us brd" (default), a subset, or
#                     null_blk (no data, completion in the submitter)
#   BENCH_PHASES      "fio metadata copy rate migrate load" (default), or a
#                     subset: development
#   BENCH_MEM         VM memory in MiB (default 2 * BENCH_COPY_MB + 2048)
#   BENCH_TIMEOUT     VM timeout in seconds (default 7200)
#   BENCH_OUT         VM output dir with the raw results (default
#                     bench/results/vm-out, not meant to be committed)
#   BENCH_RESULTS     where latest.md, latest.json, *.png go
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)

if [[ ${1:-} == --render ]]; then
	RAW=${2:?--render needs the raw results dir}
	exec python3 "$HERE/report.py" --raw "$RAW" --out "${BENCH_RESULTS:-$HERE/results}"
fi

QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
	COPY_MB=${BENCH_COPY_MB:-64}
	RESULTS=${BENCH_RESULTS:-$HERE/results/quick}
else
	COPY_MB=${BENCH_COPY_MB:-1024}
	RESULTS=${BENCH_RESULTS:-$HERE/results}
fi
MEM=${BENCH_MEM:-$((2 * COPY_MB + 2048))}
((MEM >= 3072)) || MEM=3072
TIMEOUT=${BENCH_TIMEOUT:-7200}
OUT=${BENCH_OUT:-$HERE/results/vm-out}

die() { echo "bench: $*" >&2; exit 1; }
[[ -f $ROOT/kernel/dm-vmirror.ko ]] || die "kernel/dm-vmirror.ko missing: run 'make module' first"
# The migration phase runs vmirrorctl: found missing an hour in otherwise.
if [[ " ${BENCH_PHASES:-migrate} " == *" migrate "* ]]; then
	[[ -x $ROOT/tools/vmirrorctl/vmirrorctl ]] || die "tools/vmirrorctl/vmirrorctl missing: run 'make tools' first"
fi
for t in python3 gnuplot fio mdadm dmsetup; do
	command -v $t >/dev/null || die "$t not found ('make deps' installs it)"
done

mkdir -p "$OUT" "$RESULTS"
OUT=$(cd "$OUT" && pwd -P)
export BENCH_RAW=$OUT/raw SRCDIR=$ROOT
export BENCH_QUICK BENCH_RUNS BENCH_RUNTIME BENCH_NUMJOBS BENCH_COPY_MB BENCH_BACKENDS BENCH_RATE_MB BENCH_PHASES
{
	echo "host_kernel=$(uname -r)"
	echo "host_cpus=$(nproc)"
	echo "host_cpu_model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "accel=${VM_ACCEL:-tcg}"
	echo "vm_mem_mb=$MEM"
	echo "git=$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "module_sha256=$(sha256sum "$ROOT/kernel/dm-vmirror.ko" | cut -c1-16)"
	echo "host_load_start=$(cut -d' ' -f1-3 /proc/loadavg)"
	echo "host_other_vms_start=$(pgrep -c qemu-system || true)"
} >"$OUT/host.env"
# The command line, for the report: the knobs that were set, then make bench.
BENCH_CMD=
for v in BENCH_QUICK BENCH_RUNS BENCH_RUNTIME BENCH_NUMJOBS BENCH_COPY_MB BENCH_BACKENDS BENCH_PHASES BENCH_RATE_MB; do
	if [[ -n ${!v:-} ]]; then BENCH_CMD+="$v=${!v} "; fi
done
export BENCH_CMD="${BENCH_CMD}make bench"

echo "bench: VM with ${MEM} MiB, devices of ${COPY_MB} MiB, raw results in $OUT/raw" >&2
cd "$ROOT"
rc=0
VM_ENV="BENCH_QUICK BENCH_RUNS BENCH_RUNTIME BENCH_NUMJOBS BENCH_COPY_MB BENCH_BACKENDS BENCH_RATE_MB BENCH_PHASES BENCH_RAW SRCDIR" \
	"$ROOT/tests/vm/run.sh" --mem "$MEM" --timeout "$TIMEOUT" --out "$OUT" -- \
	bash "$HERE/guest.sh" || rc=$?
echo "host_load_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/host.env"
cp "$OUT/host.env" "$OUT/raw/host.env" 2>/dev/null || true

if ((rc != 0)) || [[ ! -f $OUT/raw/complete ]]; then
	echo "bench: the VM run failed (status $rc); console log: $OUT/console.log" >&2
	if [[ -f $OUT/raw/meta.env ]]; then
		python3 "$HERE/report.py" --raw "$OUT/raw" --out "$OUT/partial" >&2 || true
		echo "bench: what was measured is rendered in $OUT/partial" >&2
	fi
	exit $((rc ? rc : 1))
fi
python3 "$HERE/report.py" --raw "$OUT/raw" --out "$RESULTS"
if [[ -f $OUT/raw/stalled ]]; then
	echo "bench: a vmirror copy under load STALLED (no progress for 30 s): $(tr '\n' ' ' <"$OUT/raw/stalled")" >&2
	echo "bench: what the kernel showed: $OUT/raw/<that dir>/stall.txt and $OUT/dmesg.txt" >&2
	exit 1
fi
