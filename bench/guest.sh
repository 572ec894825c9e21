#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# bench/guest.sh - guest side of "make bench" (bench/README.md says what is
# measured).  Run by bench/run.sh inside the test VM:
#   tests/vm/run.sh --mem MB --out DIR -- bash bench/guest.sh
# Writes raw results under $BENCH_RAW (in the shared output dir):
#   meta.env                         settings and machine
#   fio/BACKEND/DEVICE/runN.json     fio JSON, one group per workload
#   copy/BACKEND/METHOD/runN/        idle full copy (result.json, samples.tsv)
#   load/PRIO/runN/                  copy under fio load (+ fio.json, lat log)
#   load/idle/runN/                  the same fio on a synchronized vmirror
#   rate/runN/                       copy under max_copy_rate
#   metadata/BACKEND/MODE/runN.json  a pair in use, with and without metadata_dev
# shellcheck source-path=SCRIPTDIR
set -euo pipefail
SRCDIR=${SRCDIR:-$PWD}
VM_SUITE_DIR=$SRCDIR/tests/vm
# shellcheck source=../tests/vm/lib.sh
. "$VM_SUITE_DIR/lib.sh"
# shellcheck source=../tests/vm/vmirror-lib.sh
. "$VM_SUITE_DIR/vmirror-lib.sh"

[[ ${VM_GUEST:-} == 1 ]] || { echo "guest.sh: run it through bench/run.sh" >&2; exit 2; }
RAW=${BENCH_RAW:?BENCH_RAW not set}
COPYTIME="python3 $SRCDIR/bench/copytime.py"

QUICK=${BENCH_QUICK:-0}
if [[ $QUICK == 1 ]]; then
	RUNS=${BENCH_RUNS:-1} RUNTIME=${BENCH_RUNTIME:-1} COPY_MB=${BENCH_COPY_MB:-64}
	RAMP=0 RATE_MB=16
else
	RUNS=${BENCH_RUNS:-5} RUNTIME=${BENCH_RUNTIME:-5} COPY_MB=${BENCH_COPY_MB:-1024}
	RAMP=1 RATE_MB=100
fi
RATE_MB=${BENCH_RATE_MB:-$RATE_MB}
RATE_KIB=20480                       # max_copy_rate of the rate test
REGION=1024                          # 512 KiB: vmirror's default, also dm-mirror's here
SECT=$((COPY_MB * 2048))             # every device is COPY_MB MiB
NB_GB=$(((COPY_MB + 1023) / 1024))   # null_blk size (whole GiB)
# brd last: its copy under load is the last phase.  nullb-20us and
# nullb-100us: memory-backed null_blk completing each request from a timer
# after that long (an NVMe and a SATA SSD); null_blk: no data, completion
# in the submitter (the software cost alone; not in the default set).
BACKENDS=${BENCH_BACKENDS:-nullb-20us nullb-100us brd}
NUMJOBS=${BENCH_NUMJOBS:-2}          # fio jobs of the QD32 and 1M workloads
DEVICES="raw linear dm-mirror md vmirror"
PRIOS="low same high"
PHASES=${BENCH_PHASES:-fio metadata copy rate migrate load} # for development: a subset
((RATE_MB <= COPY_MB)) || RATE_MB=$COPY_MB

log() { vm_log "$*"; }
# shellcheck disable=SC2154 # rc is set in the trap
trap 'rc=$?; ((rc == 0)) || log "guest.sh: FAILED (status $rc)"' EXIT

# ---- devices ---------------------------------------------------------------

# backend_up BACKEND: the two legs, LEG0 and LEG1, written once everywhere
# (brd allocates a page on first write).
backend_up() {
	case $1 in
	brd)
		make_ramdisks 2 "$COPY_MB"
		LEG0=/dev/ram0 LEG1=/dev/ram1
		log "pre-filling $LEG0 and $LEG1 ($COPY_MB MiB each)"
		dd if=/dev/urandom of=$LEG0 bs=1M count="$COPY_MB" iflag=fullblock oflag=direct status=none
		dd if=/dev/zero of=$LEG1 bs=1M count="$COPY_MB" oflag=direct status=none
		;;
	null_blk)
		[[ -d /sys/module/brd ]] && rmmod brd
		# irqmode=0: completion in the submitter's context; no data.
		modprobe null_blk nr_devices=2 gb="$NB_GB" bs=512 irqmode=0 \
			queue_mode=2 submit_queues=2 hw_queue_depth=128
		LEG0=/dev/nullb0 LEG1=/dev/nullb1
		local d
		for d in nullb0 nullb1; do echo none >/sys/block/$d/queue/scheduler; done
		;;
	nullb-*us)
		[[ -d /sys/module/brd ]] && rmmod brd
		# Memory-backed (real data, like brd), completed by a timer
		# COMPLETION_US after submission, like a device with latency.
		local us=${1#nullb-} d
		us=${us%us}
		# nullb2: the metadata device of the metadata phase.
		modprobe null_blk nr_devices=3 gb="$NB_GB" bs=512 memory_backed=1 \
			irqmode=2 completion_nsec=$((us * 1000)) queue_mode=2 \
			submit_queues=2 hw_queue_depth=128
		LEG0=/dev/nullb0 LEG1=/dev/nullb1 MDDEV=/dev/nullb2
		for d in nullb0 nullb1 nullb2; do echo none >/sys/block/$d/queue/scheduler; done
		log "pre-filling $LEG0 and $LEG1 ($COPY_MB MiB each)"
		dd if=/dev/urandom of=$LEG0 bs=1M count="$COPY_MB" iflag=fullblock oflag=direct status=none
		dd if=/dev/zero of=$LEG1 bs=1M count="$COPY_MB" oflag=direct status=none
		;;
	esac
}

backend_down() {
	case $1 in
	brd) rmmod brd ;;
	null_blk | nullb-*) rmmod null_blk ;;
	esac
}

# md_make clean|held: a raid1 /dev/md0 of LEG0 + LEG1 (COPY_MB MiB), in
# sync (clean) or read-only with its resync pending (held; "mdadm
# --readwrite" starts it).  null_blk keeps no data, so md's superblock could
# not be read back: there it is a superblock-less --build array (the same
# raid1 I/O path; --build has no --readonly, md_mod's start_ro holds it).
md_make() {
	local opt=(--assume-clean)
	[[ $1 == held ]] && opt=(--readonly)
	if [[ $BACKEND == null_blk ]]; then # (the memory-backed ones keep a superblock)
		[[ $1 == held ]] && { opt=(); echo 1 >/sys/module/md_mod/parameters/start_ro; }
		mdadm --build /dev/md0 --level=1 --raid-devices=2 "${opt[@]}" \
			--size=$((COPY_MB * 1024)) "$LEG0" "$LEG1" </dev/null 2>/dev/null
		echo 0 >/sys/module/md_mod/parameters/start_ro
	else
		mdadm --create /dev/md0 --run --level=1 --raid-devices=2 --bitmap=none \
			--metadata=1.2 "${opt[@]}" "$LEG0" "$LEG1" </dev/null 2>/dev/null
	fi
}

md_stop() {
	mdadm --stop /dev/md0 >/dev/null 2>&1
	[[ $BACKEND == brd ]] && mdadm --zero-superblock "$LEG0" "$LEG1"
	return 0
}

# dev_up KIND: set up the device under test and set DEV.
dev_up() {
	case $1 in
	raw) DEV=$LEG0 ;;
	linear)
		dmsetup create b_linear --table "0 $SECT linear $LEG0 0"
		DEV=$(dm_devname b_linear) ;;
	dm-mirror)
		dmsetup create b_mirror --table "0 $SECT mirror core 2 $REGION nosync 2 $LEG0 0 $LEG1 0"
		DEV=$(dm_devname b_mirror) ;;
	md)
		md_make clean
		DEV=/dev/md0 ;;
	vmirror)
		dmsetup create b_vmirror --table "0 $SECT vmirror $LEG0 0 $LEG1 0 1 nosync"
		vmirror_wait b_vmirror synchronized 60
		DEV=$(dm_devname b_vmirror) ;;
	esac
}

dev_down() {
	case $1 in
	raw) ;;
	linear) dmsetup remove b_linear ;;
	dm-mirror) dmsetup remove b_mirror ;;
	md) md_stop ;;
	vmirror) dmsetup remove b_vmirror ;;
	esac
}

# ---- fio jobs --------------------------------------------------------------

JOBS=/tmp/bench
mkdir -p $JOBS
# Four workloads, one after the other (stonewall: each its own group), on
# $DEV.  QD1 is one job (the latency of one stream); the others run
# NUMJOBS jobs, so that every device can use both vCPUs; the 1M writers
# each write their own part of the device.
cat >$JOBS/matrix.fio <<EOF
[global]
filename=\${DEV}
ioengine=libaio
direct=1
time_based=1
runtime=$RUNTIME
ramp_time=$RAMP
norandommap=1
randrepeat=0
lat_percentiles=1
percentile_list=50:99:99.9

[randwrite-4k-qd1]
stonewall
rw=randwrite
bs=4k
iodepth=1

[randwrite-4k-qd32]
stonewall
rw=randwrite
bs=4k
iodepth=32
numjobs=$NUMJOBS
group_reporting=1

[randread-4k-qd32]
stonewall
rw=randread
bs=4k
iodepth=32
numjobs=$NUMJOBS
group_reporting=1

[write-1m-qd8]
stonewall
rw=write
bs=1M
iodepth=8
numjobs=$NUMJOBS
group_reporting=1
size=$((COPY_MB / NUMJOBS))m
offset_increment=$((COPY_MB / NUMJOBS))m
EOF

# The host load during a copy: 4k random writes, QD4, latency logged
# (averages over 250 ms).  Stopped by copytime.py when the copy ends.
load_job() { # RUNTIME RAMP
	cat <<EOF
[global]
filename=\${DEV}
ioengine=libaio
direct=1
time_based=1
runtime=$1
ramp_time=$2
norandommap=1
randrepeat=0
lat_percentiles=1
percentile_list=50:99:99.9
write_lat_log=lat
log_avg_msec=250

[randwrite-4k-qd4]
rw=randwrite
bs=4k
iodepth=4
EOF
}
load_job 3600 0 >$JOBS/load.fio
load_job "$RUNTIME" "$RAMP" >$JOBS/load-idle.fio

# ---- the phases ------------------------------------------------------------

phase_fio() {
	local r d out
	for ((r = 1; r <= RUNS; r++)); do
		for d in $DEVICES; do
			log "fio $BACKEND $d run $r/$RUNS"
			out=$RAW/fio/$BACKEND/$d
			mkdir -p "$out"
			dev_up "$d"
			DEV=$DEV fio --eta=never --output-format=json --output="$out/run$r.json" $JOBS/matrix.fio
			dev_down "$d"
		done
	done
}

# A full copy of COPY_MB MiB with no other I/O: dd, vmirror at each
# priority, a dm-mirror resync and an md raid1 resync.
phase_copy() {
	local r p out
	for ((r = 1; r <= RUNS; r++)); do
		out=$RAW/copy/$BACKEND
		log "idle copy $BACKEND run $r/$RUNS"
		$COPYTIME "$out/dd/run$r" dd "$LEG0" "$LEG1" "$COPY_MB"
		for p in $PRIOS; do
			dmsetup create b_copy --table \
				"0 $SECT vmirror $LEG0 0 $LEG1 0 3 copy_priority $p no_activation"
			$COPYTIME "$out/vmirror-$p/run$r" vmirror b_copy
			dmsetup remove b_copy
		done
		dmsetup create b_dmm --notable
		dmsetup load b_dmm --table "0 $SECT mirror core 1 $REGION 2 $LEG0 0 $LEG1 0"
		$COPYTIME "$out/dm-mirror/run$r" dm-mirror b_dmm
		dmsetup remove b_dmm
		# Created read-only (resync pending), so that the clock starts
		# at "mdadm --readwrite", not with mdadm's own set-up.
		md_make held
		$COPYTIME "$out/md/run$r" md /dev/md0
		md_stop
	done
}

# The copy while fio writes to the vmirror device, at each priority, and
# the same fio on a synchronized vmirror for reference.
phase_load() {
	local r p out
	for ((r = 1; r <= RUNS; r++)); do
		log "load: idle reference run $r/$RUNS"
		out=$RAW/load/idle/run$r
		mkdir -p "$out"
		dev_up vmirror
		(cd "$out" && DEV=$DEV fio --eta=never --output-format=json --output="$out/fio.json" $JOBS/load-idle.fio)
		rm -f "$out"/lat_clat.1.log "$out"/lat_slat.1.log
		dev_down vmirror
		for p in $PRIOS; do
			log "load: copy_priority $p run $r/$RUNS"
			dmsetup create b_load --table \
				"0 $SECT vmirror $LEG0 0 $LEG1 0 3 copy_priority $p no_activation"
			rc=0
			$COPYTIME "$RAW/load/$p/run$r" vmirror b_load $JOBS/load.fio || rc=$?
			if ((rc == 3)); then
				# The copy stopped moving; its held writes never
				# complete, so the device cannot be removed: this
				# (last) phase ends here, the report says so.
				log "load: copy_priority $p run $r STALLED (see $RAW/load/$p/run$r/stall.txt)"
				echo "load/$p/run$r" >>"$RAW/stalled"
				return 0
			fi
			((rc == 0)) || return $rc
			dmsetup remove b_load
		done
	done
}

# max_copy_rate: a RATE_MB MiB copy capped at RATE_KIB KiB/s.
phase_rate() {
	local r
	for ((r = 1; r <= RUNS; r++)); do
		log "max_copy_rate $RATE_KIB KiB/s, $RATE_MB MiB, run $r/$RUNS"
		dmsetup create b_rate --table \
			"0 $((RATE_MB * 2048)) vmirror $LEG0 0 $LEG1 0 3 max_copy_rate $RATE_KIB no_activation"
		$COPYTIME "$RAW/rate/run$r" vmirror b_rate
		dmsetup remove b_rate
	done
}

# ---- metadata_dev vs in-memory ----------------------------------------------

# A pair in use, with and without metadata_dev (issues 11 and 16): created
# synchronized (nosync; the metadata device zeroed, so a new association),
# one 4 KiB write in every region (every region hot), then 4k randwrite
# QD1 and QD32 back to back in the same fio process (stonewall): a pause
# between fio processes would let the cleaner record regions in sync again
# and the next job pay for them.  bench/metadata-fio.sh also measures a
# new pair's first writes ("cold").  Interleaved per run: mem, md.  Raw:
# metadata/BACKEND/MODE/runN.json (jobs: warm, qd1, qd32).
phase_metadata() {
	local r mode out extra
	for ((r = 1; r <= RUNS; r++)); do
		for mode in mem md; do
			log "metadata $BACKEND $mode run $r/$RUNS"
			out=$RAW/metadata/$BACKEND/$mode
			mkdir -p "$out"
			extra="1 nosync"
			if [[ $mode == md ]]; then
				dd if=/dev/zero of="$MDDEV" bs=1M count=4 oflag=direct status=none
				extra="3 nosync metadata_dev $MDDEV"
			fi
			dmsetup create b_md --table "0 $SECT vmirror $LEG0 0 $LEG1 0 $extra"
			fio --filename="$(dm_devname b_md)" --bs=4k --direct=1 --ioengine=libaio \
				--randrepeat=0 --lat_percentiles=1 --output-format=json --output="$out/run$r.json" \
				--name=warm --rw=write:$((REGION / 2 - 4))k --iodepth=32 \
				--name=qd1 --stonewall --rw=randwrite --iodepth=1 --ramp_time=$RAMP \
				--runtime="$RUNTIME" --time_based \
				--name=qd32 --stonewall --rw=randwrite --iodepth=32 --ramp_time=$RAMP \
				--runtime="$RUNTIME" --time_based >/dev/null
			dmsetup remove b_md
		done
	done
}

# ---- migration: vmirror vs pvmove -------------------------------------------

# The same MIG_MB MiB volume on LEG0 moved to LEG1 while fio writes 4k
# random QD4 to it, writing 1 s before the move starts, stopped (SIGTERM: fio
# ignores SIGINT in the background) when the move is over:
#   pvmove         an LV on a VG of LEG0 + LEG1, "pvmove LEG0 LEG1"
#   vmirror-same   a linear device on LEG0, "vmirrorctl start DEV LEG1",
#   vmirror-low    wait, break (--priority low for the second)
# Each run does all three, one after the other (interleaved).  Raw:
# migrate/METHOD/runN/{result.json,fio.json}.
MIG_MB=${BENCH_MIG_MB:-$((COPY_MB / 2 < 512 ? COPY_MB / 2 : 512))} # fits a PV of COPY_MB
MIG_METHODS="pvmove vmirror-same vmirror-low"
LVM_ENV=/tmp/bench-lvm

lvm_conf() {
	mkdir -p $LVM_ENV/lock
	# No udev, no lvmpolld, no dmeventd in the VM; no backups on the
	# read-only root; only the two legs are scanned.
	cat >$LVM_ENV/lvm.conf <<EOF
devices {
	use_devicesfile = 0
	filter = [ "a|^$LEG0\$|", "a|^$LEG1\$|", "r|.*|" ]
	obtain_device_list_from_udev = 0
}
global {
	use_lvmpolld = 0
	locking_dir = "$LVM_ENV/lock"
	event_activation = 0
}
activation {
	udev_sync = 0
	udev_rules = 0
	monitoring = 0
}
backup {
	backup = 0
	archive = 0
}
EOF
}

lvm() { LVM_SYSTEM_DIR=$LVM_ENV command lvm "$@"; }

# mig_fio_start DEV DIR: the host load on DEV, in the background (FIO_PID)
mig_fio_start() {
	(cd "$2" && DEV=$1 exec fio --eta=never --output-format=json --output="$2/fio.json" \
		$JOBS/load.fio) &
	FIO_PID=$!
	# fio takes a while to start under TCG: the move starts once it
	# writes (the 5th field of the stat file: writes completed), +1 s.
	local stat i
	stat=/sys/block/$(basename "$(readlink -f "$1")")/stat
	for ((i = 0; i < 600; i++)); do
		(($(awk '{ print $5 }' "$stat") > 0)) && break
		sleep 0.1
	done
	sleep 1
}

mig_fio_stop() { # DIR
	kill -TERM "$FIO_PID"
	wait "$FIO_PID" || true
	rm -f "$1"/lat_*.log
}

# mig_result DIR METHOD T0 T1
mig_result() {
	printf '{"method": "%s", "bytes": %d, "seconds": %s}\n' "$2" \
		$((MIG_MB << 20)) "$(awk -v a="$3" -v b="$4" 'BEGIN { printf "%.3f", b - a }')" \
		>"$1/result.json"
}

mig_pvmove() { # DIR
	local t0 t1
	lvm pvcreate -q -y "$LEG0" "$LEG1" >/dev/null
	lvm vgcreate -q b_vg "$LEG0" "$LEG1" >/dev/null
	lvm lvcreate -q -y -Zn -L "${MIG_MB}m" -n vol b_vg "$LEG0" >/dev/null
	mig_fio_start "$(dm_devname b_vg-vol)" "$1"
	t0=$EPOCHREALTIME
	lvm pvmove -q -i0 "$LEG0" "$LEG1" >/dev/null
	t1=$EPOCHREALTIME
	mig_fio_stop "$1"
	mig_result "$1" pvmove "$t0" "$t1"
	lvm lvchange -q -an b_vg/vol
	lvm vgremove -q -f b_vg >/dev/null
	lvm pvremove -q -y "$LEG0" "$LEG1" >/dev/null
}

mig_vmirror() { # DIR PRIO
	local t0 t1 ctl=$SRCDIR/tools/vmirrorctl/vmirrorctl
	dmsetup create b_vol --table "0 $((MIG_MB * 2048)) linear $LEG0 0"
	mig_fio_start "$(dm_devname b_vol)" "$1"
	t0=$EPOCHREALTIME
	$ctl start b_vol "$LEG1" --existing --priority "$2" >/dev/null
	$ctl wait b_vol --timeout 3600 >/dev/null
	$ctl break b_vol >/dev/null
	t1=$EPOCHREALTIME
	mig_fio_stop "$1"
	mig_result "$1" "vmirror-$2" "$t0" "$t1"
	dmsetup remove b_vol
}

phase_migrate() {
	local r m out
	lvm_conf
	for ((r = 1; r <= RUNS; r++)); do
		for m in $MIG_METHODS; do
			log "migrate $MIG_MB MiB: $m run $r/$RUNS"
			out=$RAW/migrate/$m/run$r
			mkdir -p "$out"
			# every method starts from legs without signatures
			dd if=/dev/zero of="$LEG1" bs=1M count=4 oflag=direct status=none
			case $m in
			pvmove) mig_pvmove "$out" ;;
			vmirror-*) mig_vmirror "$out" "${m#vmirror-}" ;;
			esac
		done
	done
}

# ---- main ------------------------------------------------------------------

rm -rf "$RAW"
mkdir -p "$RAW"
T0=$EPOCHREALTIME
vmirror_load
modprobe dm-mirror
modprobe raid1
# md throttles its resync between these (KiB/s) when it sees other I/O:
# the idle copy is measured at full speed.
echo 10000000 >/proc/sys/dev/raid/speed_limit_max
echo 10000000 >/proc/sys/dev/raid/speed_limit_min
{
	echo "quick=$QUICK"
	echo "runs=$RUNS"
	echo "runtime_s=$RUNTIME"
	echo "ramp_s=$RAMP"
	echo "copy_mb=$COPY_MB"
	echo "rate_mb=$RATE_MB"
	echo "rate_kib=$RATE_KIB"
	echo "region_sectors=$REGION"
	echo "backends=$BACKENDS"
	echo "numjobs=$NUMJOBS"
	echo "phases=$PHASES"
	echo "migrate_mb=$MIG_MB"
	echo "lvm=$(command lvm version 2>/dev/null | awk '/LVM version/ { print $3 }')"
	echo "guest_kernel=$(uname -r)"
	echo "guest_cpus=$(nproc)"
	echo "guest_mem_mb=$(($(awk '/MemTotal/ { print $2 }' /proc/meminfo) / 1024))"
	echo "cpu_model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "fio=$(fio --version)"
	echo "mdadm=$(mdadm --version 2>&1)"
	echo "dmsetup=$(dmsetup --version | head -1 | awk '{ print $3 }')"
	echo "started=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
} >"$RAW/meta.env"

for BACKEND in $BACKENDS; do
	[[ -e $RAW/stalled ]] && break
	log "=== backend $BACKEND"
	backend_up "$BACKEND"
	# The copy under load last: if it stalls, its device stays stuck.
	for phase in fio metadata copy rate migrate load; do
		[[ " $PHASES " == *" $phase "* ]] || continue
		# The copy under load and the rate cap: on RAM disks only.
		[[ $BACKEND != brd && ($phase == load || $phase == rate || $phase == migrate) ]] && continue
		# metadata_dev on a third device with the legs' latency.
		[[ $BACKEND != nullb-* && $phase == metadata ]] && continue
		phase_$phase
	done
	[[ -e $RAW/stalled ]] || backend_down "$BACKEND"
done

echo "guest_seconds=$(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')" >>"$RAW/meta.env"
echo "finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$RAW/meta.env"
touch "$RAW/complete"
log "guest.sh: done in $(awk -v a="$T0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }') s"
