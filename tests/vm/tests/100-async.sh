# shellcheck shell=bash
# 100-async: sync_mode async over a mirror that takes 20 ms per write
# (dm-delay).  Host writes complete at the source's pace while the mirror
# lags (lag_bytes > 0, the pair stays synchronized); the lag drains to 0
# and the legs are equal; break with a lag drains it first, so the mirror
# it pivots to holds every acknowledged write (fio verifies them through
# the device, now on the mirror); split likewise gives the point in time
# of the last acknowledged write; sync <-> async switches at run time
# under fio and a reload with another sync_mode keep the data and the
# progress.  On a module that refuses "sync_mode async" the first create
# fails.
DESCRIPTION="async mode: lag_bytes, drain, break/split drain first, run-time switch, reload"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=131072 # 64 MiB
TABLE="0 $SZ vmirror /dev/ram0 0 /dev/mapper/slow 0"

lag() { cat "$(vmirror_sysfs vm)/lag_bytes"; }

# fio_run NAME ARGS...  - 4k random writes to vm with verify headers,
# checked at the end, or later by the same run with --verify_only.
fio_run() { # NAME ARGS...
	local name=$1
	shift
	fio --name="$name" --filename=/dev/mapper/vm --rw=randwrite --bs=4k \
		--size=64M --direct=1 --ioengine=libaio --randseed=100 --lat_percentiles=1 \
		--verify=crc32c --verify_fatal=1 "$@" --output-format=json \
		--output="$TMPDIR/$name.json" ||
		{ cat "$TMPDIR/$name.json"; die "fio $name failed"; }
	python3 - "$TMPDIR/$name.json" <<'EOF' || die "fio $name saw errors"
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(1 if any(x["error"] for x in j["jobs"]) else 0)
EOF
}

# lat_us NAME PCT  - write latency percentile PCT (50.000000, 99.000000)
# of fio run NAME, submission to completion, in us
lat_us() {
	python3 - "$TMPDIR/$1.json" "$2" <<'EOF'
import json, sys
w = json.load(open(sys.argv[1]))["jobs"][0]["write"]
print(int(w["lat_ns"]["percentile"][sys.argv[2]] / 1000))
EOF
}

# watch_lag PID  - until PID exits, every 0.1 s: the pair stays
# synchronized; prints the largest lag_bytes seen.
watch_lag() {
	local max=0 l st
	while kill -0 "$1" 2>/dev/null; do
		l=$(lag)
		st=$(vmirror_field vm 1)
		[[ $st == synchronized ]] || die "async write left synchronized: $(dmsetup status vm)"
		((l > max)) && max=$l
		sleep 0.1
	done
	echo "$max"
}

wait_lag0() {
	local i
	for ((i = 0; i < 600; i++)); do
		(($(lag) == 0)) && return 0
		sleep 0.1
	done
	die "lag_bytes still $(lag) after 60 s: $(dmsetup status vm)"
}

test() {
	local sys pid max p50a p99a p50s p99s

	vmirror_load
	make_ramdisks 2 64
	fill_random /dev/ram0 $SZ
	delay_leg slow /dev/ram1 20

	echo "== create with sync_mode async (a module without async refuses it)"
	dmsetup create vm --table "$TABLE 4 region_size 256 sync_mode async" ||
		die "sync_mode async refused"
	dm_mknodes
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/sync_mode") == async && $(<"$sys/copy_type") == async ]] ||
		die "sync_mode $(<"$sys/sync_mode") copy_type $(<"$sys/copy_type")"
	dmsetup table vm | grep -q ' sync_mode async' || die "table: $(dmsetup table vm)"
	vmirror_wait vm synchronized 300
	(($(lag) == 0)) || die "lag $(lag) when synchronized and idle"
	vmirror_expect vm synchronized synchronized completed

	echo "== async: fio QD1 randwrite; the mirror lags, the pair stays synchronized"
	fio_run async --iodepth=1 --io_size=16M --do_verify=0 &
	pid=$!
	max=$(watch_lag $pid)
	wait $pid || die "fio async failed"
	echo "   largest lag_bytes seen: $max"
	((max > 0)) || die "lag_bytes never > 0 with a 20 ms mirror"
	p50a=$(lat_us async 50.000000)
	p99a=$(lat_us async 99.000000)
	wait_lag0
	[[ $(vmirror_field vm 1) == synchronized ]] || die "not synchronized: $(dmsetup status vm)"
	fio_run async --iodepth=1 --io_size=16M --verify_only
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ after the lag drained"
	dmsetup resume vm

	echo "== sync: the same fio; every write waits for the mirror"
	dmsetup message vm 0 sync_mode sync
	[[ $(<"$sys/sync_mode") == sync ]] || die "sync_mode $(<"$sys/sync_mode")"
	fio_run sync --iodepth=1 --io_size=1M --randseed=3 --do_verify=0
	p50s=$(lat_us sync 50.000000)
	p99s=$(lat_us sync 99.000000)
	(($(lag) == 0)) || die "lag $(lag) in sync mode"
	echo "   4k randwrite QD1 lat: async p50 ${p50a} us p99 ${p99a} us;" \
		"sync p50 ${p50s} us p99 ${p99s} us (mirror +20 ms per write)"
	((p50s >= 20000)) || die "sync p50 ${p50s} us: the mirror is not delayed?"
	((p50a < p50s / 4)) || die "async p50 ${p50a} us is not well below sync ${p50s} us"

	echo "== switch sync <-> async every 0.5 s under fio --verify"
	fio_run switch --iodepth=4 --io_size=8M --randseed=7 &
	pid=$!
	while kill -0 $pid 2>/dev/null; do
		dmsetup message vm 0 sync_mode async
		sleep 0.5
		dmsetup message vm 0 sync_mode sync
		sleep 0.5
	done
	wait $pid || die "fio switch failed"
	wait_lag0
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "legs differ after switching"
	dmsetup resume vm
	expect_fail dmsetup message vm 0 sync_mode maybe
	[[ $(<"$sys/sync_mode") == sync ]] || die "a bad sync_mode changed it"

	echo "== reload: sync -> async keeps the progress"
	dmsetup load vm --table "$TABLE 4 region_size 256 sync_mode async"
	dmsetup suspend vm
	dmsetup resume vm
	[[ $(vmirror_field vm 1) == synchronized && $(<"$sys/sync_mode") == async ]] ||
		die "after reload: $(dmsetup status vm), sync_mode $(<"$sys/sync_mode")"
	dmesg | grep -q "reload keeps the copy's progress (512 of 512" ||
		die "the reload did not keep the progress"

	echo "== split with a lag: the mirror is the point in time of the last write"
	# A copy at 512 KiB/s keeps the lag for seconds; split waits for it.
	dmsetup message vm 0 max_copy_rate 512
	fio_run split --iodepth=8 --io_size=256K --randseed=11 --do_verify=0 &
	pid=$!
	max=$(watch_lag $pid)
	wait $pid || die "fio split failed"
	echo "   largest lag_bytes seen: $max"
	max=$(lag)
	echo "   lag_bytes at split: $max"
	((max > 0)) || die "no lag to drain before split"
	dmsetup message vm 0 split
	[[ $(vmirror_field vm 1) == split ]] || die "not split: $(dmsetup status vm)"
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "split: the mirror misses acknowledged writes"
	dmsetup message vm 0 max_copy_rate 0
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 300
	dmsetup message vm 0 max_copy_rate 512

	echo "== break with a lag: the mirror holds every acknowledged write"
	fio_run brk --iodepth=8 --io_size=256K --randseed=13 --do_verify=0
	max=$(lag)
	echo "   lag_bytes at break: $max"
	((max > 0)) || die "no lag to drain before break"
	dmsetup message vm 0 break
	[[ $(vmirror_field vm 1) == failedover ]] || die "not failedover: $(dmsetup status vm)"
	# Reads now come from the mirror alone: every block fio wrote checks.
	fio_run brk --iodepth=8 --io_size=256K --randseed=13 --verify_only
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "break: legs differ"
	dmsetup remove vm
	dmsetup remove slow
}
