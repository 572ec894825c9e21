# shellcheck shell=bash
# tests/vm/vmirror-lib.sh - helpers for the vmirror VM tests (guest side).
# Source it from a test file after lib.sh (which suite.sh sources).

VMIRROR_KO=${VMIRROR_KO:-$SRCDIR/kernel/dm-vmirror.ko}

# vmirror_load  - load dm-mod and the freshly built dm-vmirror.ko, and the
# stock targets the tests stack under the legs.
vmirror_load() {
	modprobe dm-mod
	modprobe dm-delay
	modprobe dm-flakey
	# What dm-vmirror.ko links against (metadata_dev): insmod loads no
	# dependency.
	modprobe dm-bufio
	modprobe libcrc32c
	if [[ ! -d /sys/module/dm_vmirror ]]; then
		insmod "$VMIRROR_KO" || die "insmod $VMIRROR_KO failed"
	fi
	dmsetup targets | grep -q '^vmirror ' || die "vmirror target not registered"
}

# rate KIB  - a max_copy_rate for a copy that must outlast some host I/O,
# divided by VM_RATE_DIV (make check-debug sets it: a debug kernel slows the
# host's I/O and every process far more than a rate-capped copy).
rate() {
	echo $(($1 / ${VM_RATE_DIV:-1}))
}

# vmirror_field NAME N  - field N of the vmirror status (1 = copy_state,
# 2 = percent, 3 = synced/total, 4 = sync_state, 5 = progress_status,
# 6 = copy_priority, 7 = max_copy_rate, 8 = bytes_copied,
# 9 = source_errors, 10 = mirror_errors, 11 = copy_methodology,
# 12 = requested_copy_state, 13 = bytes_zeroed, 14 = lag_bytes,
# 15 = metadata_state).
vmirror_field() {
	dmsetup status "$1" | awk -v n="$2" '$3 == "vmirror" { print $(3 + n) }'
}

# vmirror_synced NAME  - regions in sync (field 3 is synced/total)
vmirror_synced() {
	local r
	r=$(vmirror_field "$1" 3)
	echo "${r%%/*}"
}

# vmirror_mirror_dev NAME  - /dev/<name> of the mirror leg of vmirror NAME
# (its major:minor from the table line)
vmirror_mirror_dev() {
	local mm
	mm=$(dmsetup table "$1" | awk '$3 == "vmirror" { print $6 }')
	[[ -e /sys/dev/block/$mm ]] || { echo "vmirror_mirror_dev: no mirror for $1" >&2; return 1; }
	echo "/dev/$(basename "$(readlink -f "/sys/dev/block/$mm")")"
}

# vmirror_wait NAME STATE [TIMEOUT_S]  - wait until copy_state is STATE.
vmirror_wait() {
	local name=$1 want=$2 timeout=${3:-120} i
	for ((i = 0; i < timeout * 10; i++)); do
		[[ $(vmirror_field "$name" 1) == "$want" ]] && return 0
		sleep 0.1
	done
	echo "vmirror_wait: $name still '$(dmsetup status "$name")' after ${timeout}s, wanted $want" >&2
	return 1
}

# delay_leg NAME DEV WRITE_DELAY_MS  - a dm-delay device over all of DEV
# that holds every write for WRITE_DELAY_MS, so host writes and copies of
# the same region are really in flight at the same time (brd alone
# completes a write inside submit_bio).
delay_leg() {
	local name=$1 dev=$2 ms=$3 sz
	sz=$(dev_sectors "$dev")
	dmsetup create "$name" --table "0 $sz delay $dev 0 0 $dev 0 $ms"
	dm_mknodes
}

# make_nullb NAME SIZE_MB [MAX_SECTORS]  - a memory-backed null_blk device
# with a 16 MiB volatile write cache (brd has none: the block layer would
# drop flushes before they reach the target); prints /dev/NAME (null_blk
# names the disk after its configfs directory).  MAX_SECTORS: its largest
# request (brd's and the default are 127 KiB: a 1 MiB write reaches a
# target stacked on it in 9 bios).  Loads null_blk and mounts configfs
# first if need be.
make_nullb() {
	local d=/sys/kernel/config/nullb/$1
	[[ -d /sys/module/null_blk ]] || modprobe null_blk nr_devices=0 >&2
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config >&2
	mkdir "$d"
	echo "$2" >"$d/size"
	echo 1 >"$d/memory_backed"
	echo 16 >"$d/cache_size"
	[[ -z ${3:-} ]] || echo "$3" >"$d/max_sectors"
	echo 1 >"$d/power"
	echo "/dev/$1"
}

# dm_reload NAME TABLE [SUSPEND_ARGS...]  - replace the live table of a
# leg device (to break or repair it under a running vmirror).
dm_reload() {
	local name=$1 table=$2
	shift 2
	dmsetup load "$name" --table "$table"
	dmsetup suspend "$@" "$name"
	dmsetup resume "$name"
}

# expect_fail CMD...  - CMD must fail.
expect_fail() {
	if "$@" >/dev/null 2>&1; then
		die "expected failure: $*"
	fi
}

# --- the state model: dmsetup status, sysfs and the ioctl must agree ---

VMIRROR_CLI=${VMIRROR_CLI:-$SRCDIR/tests/ioctl/vmirror-ioctl-cli}
declare -A VM_COPY_STATE=([2]=initialized [3]=unsynchronized [4]=synchronized
	[5]=broken [6]=fractured [7]=split [8]=inactive [9]=suspended
	[10]=failedover [11]=prepared [12]=aborted [13]=skewed [15]=not_applicable)
declare -A VM_SYNC_STATE=([2]=initialized [3]=prepare_in_progress [4]=prepared
	[5]=resync_in_progress [6]=synchronized [7]=fracture_in_progress
	[8]=quiesce_in_progress [9]=quiesced [10]=restore_in_progress [11]=idle
	[12]=broken [13]=fractured [14]=frozen [15]=copy_in_progress)
declare -A VM_PROGRESS=([0]=unknown [2]=completed [3]=dormant [4]=initializing
	[5]=preparing [6]=synchronizing [7]=resyncing [8]=restoring [9]=fracturing
	[10]=splitting [11]=failing_over [12]=failing_back [13]=aborting [14]=mixed
	[15]=not_applicable [16]=suspending [17]=requires_fracture
	[18]=requires_resync [19]=requires_activate [20]=pending [21]=detaching)
declare -A VM_PRIORITY=([0]=not_managed [1]=low [2]=same [3]=high)
declare -A VM_METHOD=([3]=full_copy [4]=incremental_copy)

# vmirror_mm NAME  - MAJOR:MINOR of a DM device
vmirror_mm() {
	dmsetup info -c --noheadings -o major,minor "$1" | tr -d ' '
}

# vmirror_sysfs NAME  - its /sys/block/dm-N/vmirror directory
vmirror_sysfs() {
	local d
	d=$(dm_devname "$1") || return 1
	echo "/sys/block/${d#/dev/}/vmirror"
}

# vmirror_agree NAME  - dmsetup status, sysfs and VMIRROR_IOC_STATUS say
# the same; prints the state and dies otherwise.  Read with the device
# quiet (no copy running) or the counters may move between the reads.
vmirror_agree() {
	local name=$1 sys f st k
	local -A io
	sys=$(vmirror_sysfs "$name")
	[[ -d $sys ]] || die "no $sys"
	read -ra f <<<"$(dmsetup status "$name")"
	while read -r k v; do io[$k]=$v; done < <("$VMIRROR_CLI" status "$(vmirror_mm "$name")")
	st="${f[3]} ${f[4]} ${f[5]} ${f[6]} ${f[7]} ${f[8]} ${f[9]} ${f[10]} ${f[11]} ${f[12]} ${f[13]} ${f[14]} ${f[15]}"
	local want_sys="$(<"$sys/copy_state") $(<"$sys/percent_synced") $(<"$sys/regions_synced")/$(<"$sys/regions_total") $(<"$sys/sync_state") $(<"$sys/progress_status") $(<"$sys/copy_priority") $(<"$sys/max_copy_rate") $(<"$sys/bytes_copied") $(<"$sys/source_errors") $(<"$sys/mirror_errors") $(<"$sys/copy_methodology") $(<"$sys/requested_copy_state") $(<"$sys/bytes_zeroed")"
	local want_io="${VM_COPY_STATE[${io[copy_state]}]} ${io[percent_synced]} ${io[regions_synced]}/${io[regions_total]} ${VM_SYNC_STATE[${io[sync_state]}]} ${VM_PROGRESS[${io[progress_status]}]} ${VM_PRIORITY[${io[copy_priority]}]} ${io[max_copy_rate]} ${io[bytes_copied]} ${io[source_errors]} ${io[mirror_errors]} ${VM_METHOD[${io[copy_methodology]}]} ${VM_COPY_STATE[${io[requested_copy_state]}]} ${io[bytes_zeroed]}"
	if [[ ${VMIRROR_AGREE_WORDS_ONLY:-0} == 1 ]]; then
		# The copy is moving: compare the state words only.
		st=$(words_only "$st"); want_sys=$(words_only "$want_sys")
		want_io=$(words_only "$want_io")
	fi
	[[ $st == "$want_sys" ]] || die "status and sysfs differ:
  status: $st
  sysfs:  $want_sys"
	[[ $st == "$want_io" ]] || die "status and ioctl differ:
  status: $st
  ioctl:  $want_io"
	[[ $(<"$sys/sync_maintained") == "${io[sync_maintained]}" ]] || die "sync_maintained differs"
	echo "   agree: $st"
}

words_only() { local -a w; read -ra w <<<"$1"; echo "${w[0]} ${w[3]} ${w[4]} ${w[5]} ${w[10]} ${w[11]}"; }

# vmirror_expect NAME COPY_STATE SYNC_STATE PROGRESS  - and all agree
vmirror_expect() {
	local f
	vmirror_agree "$1"
	read -ra f <<<"$(dmsetup status "$1")"
	[[ "${f[3]} ${f[6]} ${f[7]}" == "$2 $3 $4" ]] ||
		die "$1: ${f[3]}/${f[6]}/${f[7]}, want $2/$3/$4"
}

# blockdev_mm DEV  - MAJOR:MINOR of a block device
blockdev_mm() {
	local d
	d=$(basename "$(readlink -f "$1")")
	cat "/sys/class/block/$d/dev"
}

# --- remote legs (102-remote-nvme, 103-remote-nbd) ---

# vm_fio_verify NAME ARGS...  - 4k random writes (QD4) to /dev/mapper/vm
# with crc32c verify headers, checked at the end (or by a later run of the
# same NAME and seed with --verify_only); dies on an I/O or verify error.
vm_fio_verify() {
	local name=$1
	shift
	fio --name="$name" --filename=/dev/mapper/vm --rw=randwrite --bs=4k \
		--size=64M --direct=1 --ioengine=libaio --iodepth=4 \
		--verify=crc32c --verify_fatal=1 "$@" --output="$TMPDIR/$name.txt" ||
		{ cat "$TMPDIR/$name.txt"; die "fio $name failed"; }
	grep -q 'err= 0' "$TMPDIR/$name.txt" || die "fio $name saw errors"
}

# no_d_state  - no user process stays in uninterruptible sleep: one seen
# in D in five samples over two seconds is stuck (a single sample may
# catch anything waiting for a page under a loaded VM).
no_d_state() {
	local i d stuck=""
	for ((i = 0; i < 5; i++)); do
		d=$(ps -eo stat=,ppid=,pid=,comm= | awk '$1 ~ /^D/ && $2 != 2 && $3 != 2 { print $3 "/" $4 }')
		if ((i == 0)); then
			stuck=$d
		else
			stuck=$(comm -12 <(tr ' ' '\n' <<<"$stuck" | sort) <(tr ' ' '\n' <<<"$d" | sort) | xargs)
		fi
		sleep 0.5
	done
	[[ -z $stuck ]] || die "processes stuck in D state: $stuck"
}

# vmirror_ops_return NAME  - status, suspend and resume of NAME return
# (within 10, 20 and 10 s) after a leg failed.
vmirror_ops_return() {
	timeout 10 dmsetup status "$1" >/dev/null || die "dmsetup status hangs"
	timeout 20 dmsetup suspend "$1" || die "dmsetup suspend hangs"
	timeout 10 dmsetup resume "$1" || die "dmsetup resume hangs"
}

# nbd_serve DEV  - nbd-server (config and pid file in $TMPDIR) exporting
# DEV as "disk" on 127.0.0.1:10809, listening when this returns.
nbd_serve() {
	local i
	cat >"$TMPDIR/nbd.conf" <<EOC
[generic]
user = root
group = root
listenaddr = 127.0.0.1
port = 10809
[disk]
exportname = $1
EOC
	rm -f "$TMPDIR/nbd.pid"
	nbd-server -C "$TMPDIR/nbd.conf" -p "$TMPDIR/nbd.pid" 2>/dev/null ||
		die "nbd-server did not start"
	for ((i = 0; i < 100; i++)); do
		[[ -n $(ss -Hltn 'sport = :10809') ]] && return 0
		sleep 0.1
	done
	die "nbd-server does not listen"
}

# nbd_server_pids  - the server of nbd_serve and its children, which serve
# the connections (one each)
nbd_server_pids() {
	local p
	p=$(<"$TMPDIR/nbd.pid")
	# shellcheck disable=SC2046 # one pid a word
	echo "$p" $(ps -o pid= --ppid "$p")
}

# nbd_connect NODE TIMEOUT_S  - nbd-client (netlink) connects NODE
# (/dev/nbdN) to the export of nbd_serve; a request the server does not
# answer in TIMEOUT_S seconds fails.
nbd_connect() {
	nbd-client -N disk 127.0.0.1 10809 "$1" -timeout "$2" >/dev/null ||
		die "nbd-client $1 failed"
	(($(dev_sectors "$1") > 0)) || die "$1 has no size"
}
