# shellcheck shell=bash
# shellcheck disable=SC2034,SC2154 # DESCRIPTION, DISKS: read by crash.sh; DISK_*: set by crash-guest.sh
# 05-synced-power-cut: a power cut under flushed writes on a synchronized
# in-memory pair (no metadata_dev).  Phase 1 writes batches of 4 KiB blocks
# through the target, each block holding its own text ("seq S blk B"), each
# batch O_DIRECT and ended by fsync (REQ_PREFLUSH through the target), and
# after each fsync returns logs the batch to the output share (9p, written
# through), then cuts the power while the writer is still running.  Phase 2
# reads both legs directly: every batch logged as flushed must be on the
# source AND on the mirror (the in-memory target forgets everything at a
# crash, so this checks that a completed write and flush reached both
# legs).  Then the table is loaded again without nosync: the in-memory
# target copies the whole disk again, and the legs end equal.
DESCRIPTION="power cut under flushed writes, in-memory pair: every flushed block on both legs, full copy after"
DISKS="src:16 mir:16"
SECTORS=32768 # 16 MiB
BATCH=32      # blocks of 4 KiB per batch
MIN_BATCHES=${CRASH05_BATCHES:-24}

# batch_data N  - the BATCH blocks of batch N (blocks N*BATCH...), 4 KiB each
batch_data() {
	local k
	for ((k = $1 * BATCH; k < ($1 + 1) * BATCH; k++)); do
		printf '%-4095s\n' "seq $1 blk $k"
	done
}

phase1() {
	local pid b log=$VM_OUT/notes/flushed n
	mkdir -p "$VM_OUT/notes"
	: >"$log"
	# Fresh sparse images: both legs read zeroes, nosync is true.
	dmsetup create vm --table "0 $SECTORS vmirror $DISK_src 0 $DISK_mir 0 3 region_size 128 nosync"
	dm_mknodes
	vmirror_wait vm synchronized 30
	(
		for ((b = 0; b < SECTORS / 8 / BATCH; b++)); do
			batch_data "$b" | dd of=/dev/mapper/vm bs=4096 seek=$((b * BATCH)) \
				iflag=fullblock oflag=direct conv=fsync,notrunc status=none
			echo "$b" >>"$log"
			sync "$log"
		done
	) &
	pid=$!
	until (($(wc -l <"$log") >= MIN_BATCHES)); do
		kill -0 "$pid" 2>/dev/null || die "the writer ended early"
		sleep 0.1
	done
	kill -0 "$pid" || die "the writer is not running"
	n=$(wc -l <"$log")
	echo "cut with the writer running, $n batches ($((n * BATCH)) blocks) flushed: $(dmsetup status vm)"
	vm_power_cut
}

# leg_check NAME DEV N  - the first N batches of DEV hold their text
leg_check() {
	local name=$1 dev=$2 n=$3 bad
	dd if="$dev" of=leg bs=4096 count=$((n * BATCH)) iflag=direct status=none
	if ! cmp -s leg want; then
		bad=$({ cmp leg want || :; } | awk '{ sub(",", "", $5); print int(($5 - 1) / 4096) }')
		echo "$name: block $bad reads '$(dd if=leg bs=4096 skip="$bad" count=1 status=none | tr -d '\0 ' | head -c 40)'"
		die "a block flushed before the power cut is not on the $name"
	fi
	echo "$name: all $((n * BATCH)) flushed blocks hold their data"
}

phase2() {
	local n b
	n=$(wc -l <"$VM_OUT/phase1/flushed")
	((n >= MIN_BATCHES)) || die "phase 1 logged only $n batches"
	for ((b = 0; b < n; b++)); do batch_data "$b"; done >want
	leg_check source "$DISK_src" "$n"
	leg_check mirror "$DISK_mir" "$n"
	# The in-memory target knows nothing of the pair now: without nosync it
	# copies every region again.
	dmsetup create vm --table "0 $SECTORS vmirror $DISK_src 0 $DISK_mir 0 2 region_size 128"
	dm_mknodes
	vmirror_wait vm synchronized 120
	echo "after the cut: $(dmsetup status vm)"
	dmsetup suspend vm
	cmp_devices "$DISK_src" 0 "$DISK_mir" 0 "$SECTORS" || die "legs differ"
	dmsetup resume vm
	dmsetup remove vm
	echo "legs equal"
}
