#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/profile.sh - "make bench-profile": where the CPU time of a 4k random
# write goes, device by device, so that a goal of issue 16 that is not met
# comes with what bounds it.  QEMU TCG emulates no PMU: perf samples the
# software clock (cpu-clock) on both vCPUs, with call chains, while fio
# runs.  One VM boot.
#
# Legs: memory-backed null_blk completing each request 20 us after
# submission (nullb-20us of make bench), pairs in sync, 512 KiB regions
# (vmirror and dm-mirror).  For each run (devices interleaved: run 1 of
# every device, then run 2, ...) and device (dm-linear, dm-mirror, md
# raid1, vmirror): fio 4k random write QD1 (one job) and QD32 (two jobs),
# and "perf record -e cpu-clock -a -g" over RUNTIME seconds of it.
#
# Then the full copy of the source (random data) to the mirror, dd bs=1M
# direct against a new vmirror pair, as the command of "perf record -a":
# where the copy's CPU time goes, and in which threads.
#
# Writes bench/results/profile.md: the IOPS under the profiler, the busy
# CPU time per I/O split by layer (the target's modules, dm or md core, the
# rest of the kernel, null_blk, fio in user space; perf's own apart), and
# for vmirror the functions whose own time per I/O exceeds dm-linear's and
# dm-mirror's.
#
# Usage: bench/profile.sh            (needs kernel/dm-vmirror.ko: make module)
#        bench/profile.sh --guest    (run by the VM)
#
# Environment (all optional):
#   BENCH_PROF_RUNS      runs of every measurement (default 3)
#   BENCH_PROF_RUNTIME   seconds of each fio run (default 5)
#   BENCH_PROF_MB        size of the legs (default 512)
#   BENCH_PROF_HZ        samples a second and vCPU (default 1000)
#   BENCH_PROF_OUT       VM output dir (default bench/results/vm-out-profile)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
RUNS=${BENCH_PROF_RUNS:-3}
RUNTIME=${BENCH_PROF_RUNTIME:-5}
MB=${BENCH_PROF_MB:-512}
HZ=${BENCH_PROF_HZ:-1000}
DEVICES="linear dm-mirror md vmirror"
REGION=1024

# ---- in the VM ----------------------------------------------------------------
guest() {
	local sz=$((MB * 2048)) run dev qd d
	export SRCDIR=$ROOT
	# shellcheck disable=SC1091 # the VM tests' helpers
	. "$ROOT/tests/vm/lib.sh"
	# shellcheck disable=SC1091
	. "$ROOT/tests/vm/vmirror-lib.sh"
	export TMPDIR=/tmp
	command -v perf >/dev/null || die "perf not found (apt-get install linux-perf)"
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	echo 0 >/proc/sys/kernel/kptr_restrict
	# perf would lower the rate silently (-q), and the figures be off.
	(($(</proc/sys/kernel/perf_event_max_sample_rate) >= HZ)) ||
		echo "$HZ" >/proc/sys/kernel/perf_event_max_sample_rate
	vmirror_load
	modprobe dm-mirror
	modprobe raid1
	modprobe null_blk nr_devices=2 gb=$(((MB + 1023) / 1024)) bs=512 memory_backed=1 \
		irqmode=2 completion_nsec=20000 queue_mode=2 submit_queues=2 hw_queue_depth=128
	for d in nullb0 nullb1; do
		echo none >/sys/block/$d/queue/scheduler
		dd if=/dev/zero of=/dev/$d bs=1M count="$MB" oflag=direct status=none
	done
	mkdir -p "$VM_OUT/prof"
	# The module of every module symbol: perf puts them in [kernel.kallsyms]
	# when it finds no module file (dm-vmirror.ko is insmod'ed from here).
	awk 'NF == 4 && $4 ~ /^\[/ { print $3, $4 }' /proc/kallsyms >"$VM_OUT/prof/modsyms"
	{
		echo "guest_kernel=$(uname -r)"
		echo "guest_cpus=$(nproc)"
		echo "perf=$(perf --version 2>/dev/null)"
		echo "fio=$(fio --version)"
	} >"$VM_OUT/prof/meta.env"
	for ((run = 1; run <= RUNS; run++)); do
		for dev in $DEVICES; do
			case $dev in
			linear) dmsetup create p_dev --table "0 $sz linear /dev/nullb0 0" ;;
			dm-mirror) dmsetup create p_dev --table \
				"0 $sz mirror core 2 $REGION nosync 2 /dev/nullb0 0 /dev/nullb1 0" ;;
			md) mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --bitmap=none \
				--metadata=1.2 --assume-clean --size=$((MB * 1024)) \
				/dev/nullb0 /dev/nullb1 </dev/null >/dev/null 2>/tmp/mdadm.err ||
				die "mdadm --create: $(cat /tmp/mdadm.err)" ;;
			vmirror)
				dmsetup create p_dev --table "0 $sz vmirror /dev/nullb0 0 /dev/nullb1 0 1 nosync"
				vmirror_wait p_dev synchronized 60 ;;
			esac
			DEV=/dev/md0
			[[ $dev == md ]] || DEV=$(dm_devname p_dev)
			for qd in 1 32; do
				one "$dev" "$qd" "$run"
			done
			if [[ $dev == md ]]; then
				mdadm --stop /dev/md0 >/dev/null
				mdadm --zero-superblock /dev/nullb0 /dev/nullb1
			else
				dmsetup remove p_dev
			fi
		done
	done
	# The full copy: random data (a chunk of zeroes is not copied as data).
	fill_random /dev/nullb0 "$sz"
	for ((run = 1; run <= RUNS; run++)); do
		for dev in dd vmirror; do
			copy_one "$dev" "$run" "$sz"
		done
	done
}

# copy_one dd|vmirror RUN SECTORS  - the full copy of the source to the
# mirror (dd bs=1M direct, or a new vmirror pair from its activation to
# synchronized) as the command perf runs ("perf record -a"; the command
# times itself: perf takes seconds to start under TCG); leaves
# prof/copy-METHOD-RUN.{secs,self}: the copy's seconds and perf's samples
# per function ("samples|comm|dso|symbol").
copy_one() {
	local base=$VM_OUT/prof/copy-$1-$2 data=/tmp/perf.data cmd
	vm_log "profile: full copy, $1, run $2/$RUNS"
	if [[ $1 == dd ]]; then
		cmd="dd if=/dev/nullb0 of=/dev/nullb1 bs=1M count=$(($3 / 2048)) iflag=direct oflag=direct status=none"
	else
		cmd="bash $HERE/profile.sh --copy $3"
	fi
	perf record -q -e cpu-clock -F "$HZ" -a -g -o $data -- sh -c \
		"read -r t0 _ </proc/uptime; $cmd || exit 1; read -r t1 _ </proc/uptime; echo \$t0 \$t1 >/tmp/copy.t" \
		2>"$base.err" || die "perf record or the copy failed ($1): $(cat "$base.err")"
	[[ $1 == dd ]] || dmsetup remove p_dev
	awk '{ printf "%.3f\n", $2 - $1 }' /tmp/copy.t >"$base.secs"
	perf report -i $data --no-children --sort dso,sym -g none -q --stdio \
		-F sample,comm,dso,sym -t '|' >"$base.self" 2>>"$base.err" ||
		die "perf report failed: $(cat "$base.err")"
	rm -f $data
}

# one DEVICE QD RUN  - fio on $DEV, and perf over RUNTIME seconds while it
# runs; leaves prof/DEVICE-qdQD-RUN.{ios,self,child}: the writes $DEV
# completed in perf's window (its stat file, read by the command perf
# runs: perf takes seconds to start under TCG), then perf's samples per
# function (own time: "samples|comm|dso|symbol") and the share of all
# samples with the function on the stack ("percent|dso|symbol").
one() {
	local base=$VM_OUT/prof/$1-qd$2-$3 jobs=1 data=/tmp/perf.data pid stat
	(($2 == 1)) || jobs=2
	stat=/sys/block/${DEV#/dev/}/stat
	vm_log "profile $1 QD$2 run $3/$RUNS"
	# Far longer than needed: stopped once perf is done.
	fio --name=w --filename="$DEV" --rw=randwrite --bs=4k --direct=1 \
		--ioengine=libaio --iodepth="$2" --numjobs=$jobs --group_reporting=1 \
		--norandommap=1 --randrepeat=0 --time_based=1 --ramp_time=1 \
		--runtime=600 --eta=never --output=/dev/null &
	pid=$!
	sleep 2
	perf record -q -e cpu-clock -F "$HZ" -a -g -o $data -- \
		sh -c "cat $stat >/tmp/w0; sleep $RUNTIME; cat $stat >/tmp/w1" \
		2>"$base.err" || die "perf record failed on $1: $(cat "$base.err")"
	kill -0 $pid 2>/dev/null || die "fio ended before perf did ($1 QD$2)"
	kill -INT $pid
	wait $pid || true
	echo $(($(awk '{ print $5 }' /tmp/w1) - $(awk '{ print $5 }' /tmp/w0))) >"$base.ios"
	perf report -i $data --no-children --sort dso,sym -g none -q --stdio \
		-F sample,comm,dso,sym -t '|' >"$base.self" 2>>"$base.err" ||
		die "perf report failed: $(cat "$base.err")"
	perf report -i $data --children --sort dso,sym -g none -q --stdio \
		-F overhead_children,dso,sym -t '|' --percent-limit 0.1 >"$base.child" 2>>"$base.err" ||
		die "perf report failed: $(cat "$base.err")"
	rm -f $data
}

# --copy SECTORS (in the VM, the command perf runs): a new pair, to
# synchronized.
copy_vmirror() {
	export SRCDIR=$ROOT
	# shellcheck disable=SC1091
	. "$ROOT/tests/vm/lib.sh"
	# shellcheck disable=SC1091
	. "$ROOT/tests/vm/vmirror-lib.sh"
	dmsetup create p_dev --table "0 $1 vmirror /dev/nullb0 0 /dev/nullb1 0"
	vmirror_wait p_dev synchronized 600
}

if [[ ${1:-} == --copy ]]; then
	copy_vmirror "$2"
	exit 0
fi
if [[ ${1:-} == --guest ]]; then
	guest
	exit 0
fi

# ---- on the host --------------------------------------------------------------
[[ -f $ROOT/kernel/dm-vmirror.ko ]] || { echo "bench-profile: run 'make module' first" >&2; exit 1; }
command -v perf >/dev/null || { echo "bench-profile: perf not found (make deps)" >&2; exit 1; }
OUT=${BENCH_PROF_OUT:-$HERE/results/vm-out-profile}
rm -rf "$OUT/prof"
mkdir -p "$OUT"
load=$(cut -d' ' -f1-3 /proc/loadavg)
export BENCH_PROF_RUNS=$RUNS BENCH_PROF_RUNTIME=$RUNTIME BENCH_PROF_MB=$MB BENCH_PROF_HZ=$HZ
cd "$ROOT"
VM_ENV="BENCH_PROF_RUNS BENCH_PROF_RUNTIME BENCH_PROF_MB BENCH_PROF_HZ" \
	tests/vm/run.sh --mem $((2 * MB + 2048)) --timeout 3600 --out "$OUT" -- \
	bash "$HERE/profile.sh" --guest
python3 "$HERE/profile-report.py" --dir "$OUT/prof" --runs "$RUNS" --runtime "$RUNTIME" \
	--hz "$HZ" --mb "$MB" --load "$load" --git "$(git describe --always --dirty)" \
	>"$HERE/results/profile.md"
cat "$HERE/results/profile.md"
