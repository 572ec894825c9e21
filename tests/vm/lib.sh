# shellcheck shell=bash
# tests/vm/lib.sh - helpers for guest-side test scripts (and the dmesg
# pattern list that the host-side run.sh shares).
#
# Source it:   . tests/vm/lib.sh
#
# Sourcing has no side effects besides defining variables and functions:
# it does not change shell options (set -e etc.) so it is safe to source from
# run.sh on the host as well as from suite.sh / tests inside the VM.
#
# NOTE: tests define a function named `test` (blktests style), which shadows
# the `test` builtin.  Code in this file must therefore never use the word
# `test` as a command; use `[ ... ]` / `[[ ... ]]` instead.

# Extended regex (grep -E) of kernel log lines that mean the kernel is
# unhappy.  A test, or a whole VM run, fails if dmesg contains any of them.
VM_BAD_DMESG_RE='BUG:|WARNING:|Oops|hung_task|blocked for more than|list_add corruption|list_del corruption|list corruption|general protection fault|Kernel panic|UBSAN|KASAN|possible circular locking|lockdep'

# Lines that match VM_BAD_DMESG_RE but are harmless.  The kernel echoes its
# own command line into the log, our dmesg marks are written by us, and a
# lockdep kernel (make check-debug) says at boot that it checks.
VM_DMESG_IGNORE_RE='Kernel command line:|vmtest-mark:|RCU lockdep checking is enabled'

# vm_log MSG...  - timestamped progress message on stderr.
vm_log() {
	printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

# die MSG...  - print an error and exit the current (sub)shell with status 1.
die() {
	printf 'ERROR: %s\n' "$*" >&2
	exit 1
}

# vm_bad_dmesg_lines [FILE]  - print the "bad" lines of FILE (default: stdin).
# Returns 0 if there were such lines, 1 otherwise (grep semantics).
# shellcheck disable=SC2120 # FILE is optional
vm_bad_dmesg_lines() {
	grep -aE "$VM_BAD_DMESG_RE" "$@" | grep -avE "$VM_DMESG_IGNORE_RE"
}

# dmesg_mark [NAME]  - remember "now" in the kernel log.
#
# We do NOT use `dmesg -C`: clearing the ring buffer would hide earlier
# messages from the final dmesg.txt that run.sh scans.  Counting lines is not
# reliable either once the ring buffer wraps.  Instead a unique marker line is
# written to /dev/kmsg; dmesg_since_mark prints what follows it.
# (run.sh boots with printk.devkmsg=on so these writes are not rate limited.)
VM_DMESG_MARK=${VM_DMESG_MARK:-}
dmesg_mark() {
	VM_DMESG_MARK="vmtest-mark: ${1:-mark} $$-$RANDOM-$(date +%s%N)"
	echo "$VM_DMESG_MARK" >/dev/kmsg
}

# dmesg_since_mark  - kernel log lines after the last dmesg_mark (the whole
# log if no mark was set or it has already scrolled out of the buffer).
dmesg_since_mark() {
	local log
	log=$(dmesg)
	if [[ -n "$VM_DMESG_MARK" ]] && grep -qF -- "$VM_DMESG_MARK" <<<"$log"; then
		awk -v m="$VM_DMESG_MARK" 'found { print } index($0, m) { found = 1 }' <<<"$log"
	else
		printf '%s\n' "$log"
	fi
}

# dmesg_check  - fail (return 1) and print the offending lines if the kernel
# logged a BUG/WARNING/Oops/... since the last dmesg_mark.
dmesg_check() {
	local bad
	# shellcheck disable=SC2119 # reads stdin
	bad=$(dmesg_since_mark | vm_bad_dmesg_lines) || true
	if [[ -n "$bad" ]]; then
		echo "dmesg_check: bad kernel messages:" >&2
		printf '%s\n' "$bad" | sed 's/^/    /' >&2
		return 1
	fi
	return 0
}

# make_ramdisks COUNT SIZE_MB  - (re)load brd to get /dev/ram0..COUNT-1,
# each SIZE_MB MiB.  brd parameters can only be set at load time, so any
# previously loaded brd is removed first.
make_ramdisks() {
	local count=$1 size_mb=$2 i
	if [[ -d /sys/module/brd ]]; then
		rmmod brd || { echo "make_ramdisks: brd is busy" >&2; return 1; }
	fi
	modprobe brd rd_nr="$count" rd_size=$((size_mb * 1024)) max_part=0 || return 1
	for ((i = 0; i < count; i++)); do
		[[ -b /dev/ram$i ]] || { echo "make_ramdisks: /dev/ram$i missing" >&2; return 1; }
	done
}

# blk_stat DEV FIELD  - a counter of /sys/block/DEV/stat (DEV: NAME or
# /dev/NAME): 3 = sectors read, 5 = write I/Os completed, 7 = sectors
# written, 16 = flushes completed.
blk_stat() {
	awk -v f="$2" '{ print $f }' "/sys/block/${1#/dev/}/stat"
}

# dev_sectors DEV  - size of a block device in 512-byte sectors.
dev_sectors() {
	blockdev --getsz "$1"
}

# fill_random DEV SECTORS [OFFSET_SECTORS]  - write SECTORS sectors of random
# data to DEV (from OFFSET_SECTORS, default 0) with O_DIRECT, in 1 MiB
# writes.  (The *_bytes flags let dd use 1 MiB buffers at sector-granular
# offsets/lengths; 512-byte dd blocks are painfully slow under TCG.)
fill_random() {
	local dev=$1 sectors=$2 off=${3:-0}
	# iflag=fullblock: /dev/urandom may return short reads.
	dd if=/dev/urandom of="$dev" bs=1M count=$((sectors * 512)) seek=$((off * 512)) \
		iflag=fullblock,count_bytes oflag=direct,seek_bytes conv=notrunc status=none
}

# _read_direct DEV OFF LEN  - LEN sectors of DEV from sector OFF to stdout,
# read with O_DIRECT (so the page cache cannot hide what is on the device)
# in 1 MiB blocks.
_read_direct() {
	dd if="$1" bs=1M skip=$(($2 * 512)) count=$(($3 * 512)) \
		iflag=direct,skip_bytes,count_bytes status=none
}

# cmp_devices DEV1 OFF1 DEV2 OFF2 LEN  (all in 512-byte sectors)
# Compare LEN sectors of DEV1 starting at OFF1 with DEV2 starting at OFF2
# (direct reads, 1 MiB blocks, streamed into cmp).  Returns 0 if identical;
# otherwise prints the first differing sector (relative to the compared
# ranges, and absolute on each device) to stderr and returns 1.
cmp_devices() {
	local d1=$1 o1=$2 d2=$3 o2=$4 len=$5 out rc=0 b
	out=$(cmp <(_read_direct "$d1" "$o1" "$len") <(_read_direct "$d2" "$o2" "$len") 2>&1) || rc=$?
	((rc == 0)) && return 0
	# "/dev/fd/63 /dev/fd/62 differ: byte 5, line 1" (cmp counts from 1);
	# anything else (EOF: a short read) is reported verbatim.
	if [[ $out =~ differ:\ (byte|char)\ ([0-9]+) ]]; then
		b=$((BASH_REMATCH[2] - 1))
		echo "cmp_devices: $d1 and $d2 differ at sector $((b / 512)) of the range" \
			"(byte $b; $d1 sector $((o1 + b / 512)), $d2 sector $((o2 + b / 512)))" >&2
	else
		echo "cmp_devices: $d1 vs $d2: ${out:-cmp failed (status $rc)}" >&2
	fi
	return 1
}

# dm_mknodes  - create /dev/mapper/* nodes.  There is no udev in the VM, so
# after dmsetup create/rename make sure the nodes exist.
dm_mknodes() {
	dmsetup mknodes >/dev/null 2>&1 || true
}

# dm_devname NAME  - print the kernel block device of dm device NAME
# (/dev/dm-N).  /dev/mapper/NAME is a plain device node here (no udev
# symlinks), so readlink cannot be used.
dm_devname() {
	local d
	for d in /sys/block/dm-*; do
		if [[ -r $d/dm/name && $(<"$d/dm/name") == "$1" ]]; then
			echo "/dev/${d##*/}"
			return 0
		fi
	done
	echo "dm_devname: no dm device named $1" >&2
	return 1
}

# dm_cleanup  - best-effort removal of all device-mapper devices.
dm_cleanup() {
	command -v dmsetup >/dev/null || return 0
	dmsetup remove_all >/dev/null 2>&1 || dmsetup remove_all --force >/dev/null 2>&1 || true
}

# vm_power_cut  - end the VM as a power cut would: no sync, no unmount, no
# flush of any cache (sysrq-b resets the machine at once; run.sh's QEMU has
# -no-reboot, so the reset ends QEMU).  For a run started with
# 'run.sh --power-cut': the kernel log so far is saved as dmesg.txt (run.sh
# checks it), then the power_cut marker says the end was planned.  Files in
# the output share are written through to the host (9p, no cache), so
# whatever the command saved there before is kept.
vm_power_cut() {
	dmesg >"$VM_OUT/dmesg.txt"
	: >"$VM_OUT/power_cut"
	echo b >/proc/sysrq-trigger
	sleep 60
	die "vm_power_cut: still running 60 s after sysrq-b"
}
