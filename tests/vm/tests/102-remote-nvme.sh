# shellcheck shell=bash
# 102-remote-nvme: a mirror on "another host": an NVMe over TCP target
# (nvmet, configfs) on loopback exports a RAM disk, nvme-tcp connects to
# it and the mirror leg is the /dev/nvmeXnY that appears.  The copy and
# fio --verify writes, legs equal.  Link loss under fio (the port loses
# the subsystem): no host I/O error, the pair goes broken once the
# transport gives up (keep-alive, then fast_io_fail_tmo), nothing hangs
# (dmsetup returns, no process in D state); the link comes back on the
# same node, resync copies only the regions written meanwhile, legs
# equal.  The same in async mode; then break pivots onto the remote disk
# and it holds every acknowledged write.
DESCRIPTION="remote mirror over NVMe/TCP on loopback: copy, link loss -> broken, reconnect + resync, break"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=131072 # 64 MiB
NQN=nqn.2026-01.invalid.vmirror:test102
NVMET=/sys/kernel/config/nvmet
PORT=$NVMET/ports/1

port_up() { ln -s "$NVMET/subsystems/$NQN" "$PORT/subsystems/$NQN"; }
port_down() { rm "$PORT/subsystems/$NQN"; }

# nvmet_export DEV  - export DEV as namespace 1 of $NQN on 127.0.0.1:4420
nvmet_export() {
	local s=$NVMET/subsystems/$NQN
	mountpoint -q /sys/kernel/config || mount -t configfs none /sys/kernel/config
	mkdir "$s"
	echo 1 >"$s/attr_allow_any_host"
	mkdir "$s/namespaces/1"
	echo "$1" >"$s/namespaces/1/device_path"
	echo 1 >"$s/namespaces/1/enable"
	mkdir "$PORT"
	echo tcp >"$PORT/addr_trtype"
	echo ipv4 >"$PORT/addr_adrfam"
	echo 127.0.0.1 >"$PORT/addr_traddr"
	echo 4420 >"$PORT/addr_trsvcid"
	port_up
}

nvmet_unexport() {
	local s=$NVMET/subsystems/$NQN
	[[ -L $PORT/subsystems/$NQN ]] && port_down
	[[ -d $PORT ]] && rmdir "$PORT"
	if [[ -d $s ]]; then
		echo 0 >"$s/namespaces/1/enable"
		rmdir "$s/namespaces/1" "$s"
	fi
}

# remote_disk  - /dev/nvmeXnY of namespace 1 of $NQN (the multipath head,
# not a hidden nvmeXcYnZ path), waiting up to 10 s for it.
remote_disk() {
	local i d n
	for ((i = 0; i < 100; i++)); do
		for d in /sys/block/nvme*n*; do
			[[ -e $d ]] || continue
			n=${d##*/}
			[[ $n == *c* ]] && continue
			if [[ $(cat "$d/device/subsysnqn" 2>/dev/null) == "$NQN" ]]; then
				echo "/dev/$n"
				return 0
			fi
		done
		sleep 0.1
	done
	die "no block device for $NQN"
}

# remote_ctrl  - /sys/class/nvme/nvmeN of the controller of $NQN
remote_ctrl() {
	local c
	for c in /sys/class/nvme/nvme*; do
		if [[ $(cat "$c/subsysnqn" 2>/dev/null) == "$NQN" ]]; then
			echo "$c"
			return 0
		fi
	done
	die "no controller for $NQN"
}

# link_loss MODE  - under fio, the port drops the subsystem: broken within
# the transport timeout, fio unharmed; back: resync copies only the
# regions written meanwhile.
link_loss() {
	local mode=$1 pid start copied t
	echo "== $mode: link loss under fio"
	dmsetup message vm 0 sync_mode "$mode"
	# Writes to the first 8 MiB only: what resync must copy.  For 60 s, so
	# host writes are still coming when the transport gives up (15-35 s
	# on a loaded TCG VM, a few seconds on a quiet one).
	vm_fio_verify "loss-$mode" --size=8M --time_based --runtime=60 --randseed=$RANDOM &
	pid=$!
	sleep 1
	start=$SECONDS
	port_down
	# nvme-tcp notices the loss by keep-alive (5 s), then fails I/O after
	# fast_io_fail_tmo (2 s); a loaded TCG VM takes 15-35 s for that.
	while ((SECONDS - start < 90)); do
		[[ $(vmirror_field vm 1) == broken ]] && break
		sleep 0.2
	done
	[[ $(vmirror_field vm 1) == broken ]] || die "not broken 90 s after link loss: $(dmsetup status vm)"
	echo "   broken after $((SECONDS - start)) s"
	vmirror_ops_return vm
	wait $pid || die "host I/O failed on link loss"
	no_d_state
	(($(vmirror_field vm 10) > 0)) || die "mirror_errors not counted"

	echo "== $mode: reconnect on the same node, resync copies what changed"
	copied=$(vmirror_field vm 8)
	port_up
	for ((t = 0; t < 300; t++)); do
		[[ $(cat "$(remote_ctrl)/state") == live ]] && break
		sleep 0.1
	done
	[[ $(remote_disk) == "$RDISK" ]] || die "the remote disk came back as $(remote_disk)"
	# The controller is live again; I/O may need a moment.
	dd if="$RDISK" of=/dev/null bs=4k count=1 iflag=direct status=none
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 300
	copied=$(($(vmirror_field vm 8) - copied))
	echo "   resync copied $copied bytes"
	((copied > 0)) || die "resync copied nothing"
	# A failed mirror *write* takes only its region out of sync; a failed
	# mirror *flush* may have lost any write since the last good one, so
	# every region is copied again (the log says "write error" for both).
	# In sync mode the copier is idle and a host write meets the loss
	# first; in async mode the copier carrying the lag may meet it with its
	# flush, and then resync copies everything: bounded in sync mode only.
	if [[ $mode == sync ]]; then
		((copied <= 8 << 20)) || die "resync copied $copied bytes, written: 8 MiB"
	fi
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 $SZ || die "$mode: legs differ after resync"
	dmsetup resume vm
}

# After a failure too: brd and the nvme modules must be free for the
# tests after this one.
cleanup() {
	dmsetup remove --force vm >/dev/null 2>&1 || true
	nvme disconnect -n "$NQN" >/dev/null 2>&1 || true
	nvmet_unexport >/dev/null 2>&1 || true
}

test() {
	local dev

	trap cleanup EXIT
	vmirror_load
	ip link set lo up
	modprobe nvmet
	modprobe nvmet-tcp
	modprobe nvme-tcp
	make_ramdisks 2 64
	fill_random /dev/ram0 $SZ
	nvmet_export /dev/ram1
	nvme connect -t tcp -a 127.0.0.1 -s 4420 -n "$NQN" \
		--hostnqn=nqn.2026-01.invalid.vmirror:host --ctrl-loss-tmo=120 \
		--reconnect-delay=1 || die "nvme connect failed"
	# I/O fails 2 s into a link loss; the node stays for 120 s (nvme-cli
	# of Debian 12 has no --fast_io_fail_tmo).
	echo 2 >"$(remote_ctrl)/fast_io_fail_tmo"
	RDISK=$(remote_disk)
	echo "   remote mirror: $RDISK"

	echo "== copy onto the remote disk, fio --verify meanwhile"
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 $RDISK 0 2 region_size 256"
	dm_mknodes
	vm_fio_verify copy --io_size=8M
	vmirror_wait vm synchronized 300
	vm_fio_verify synced --io_size=8M --randseed=5
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 "$RDISK" 0 $SZ || die "legs differ"
	dmsetup resume vm

	link_loss sync
	link_loss async

	echo "== break onto the remote disk"
	dmsetup message vm 0 sync_mode async
	vm_fio_verify last --io_size=4M --randseed=9 --do_verify=0
	dmsetup message vm 0 break
	[[ $(vmirror_field vm 1) == failedover ]] || die "not failedover: $(dmsetup status vm)"
	vm_fio_verify last --io_size=4M --randseed=9 --verify_only
	cmp_devices /dev/ram0 0 "$RDISK" 0 $SZ || die "legs differ after break"
	dmsetup remove vm
	nvme disconnect -n "$NQN" >/dev/null
	nvmet_unexport
	dev=$RDISK
	[[ ! -e /sys/block/${dev#/dev/} ]] || die "$dev still there after disconnect"
}
