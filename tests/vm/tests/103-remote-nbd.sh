# shellcheck shell=bash
# 103-remote-nbd: a mirror on "another host" over NBD: nbd-server on
# loopback exports a RAM disk, nbd-client (netlink, -timeout 5) connects
# /dev/nbd0 and the mirror leg is /dev/nbd0.  The copy and fio --verify
# writes, legs equal.  Link loss under fio, twice:
#  - async, the server hangs (SIGSTOP: no FIN, no RST): NBD fails the
#    requests when the 5 s timeout expires; the pair goes broken, no host
#    I/O error, nothing hangs.  nbd-client cannot reconnect a node that is
#    held open (the pair holds it): the link comes back as /dev/nbd1, the
#    table is reloaded onto it (through a dm-linear "remote"), a full copy.
#  - sync, the server is killed (the socket closes): I/O fails at once,
#    broken, no host I/O error.  "remote" is reloaded to an error target,
#    which lets go of /dev/nbd1: nbd-client reconnects the same node, the
#    leg is reloaded onto it and resync copies only what was written.
# Then vmirrorctl break of an async pair pivots onto the remote disk,
# which holds every acknowledged write (fio verifies through it).
DESCRIPTION="remote mirror over NBD on loopback: copy, hung/killed server -> broken, new node + reload, same node + resync, break"

. "$VM_SUITE_DIR/vmirror-lib.sh"

SZ=131072 # 64 MiB
NBD_TMO=5 # nbd-client -timeout: how long a request waits for the server
CTL=$SRCDIR/tools/vmirrorctl/vmirrorctl

# loss_under_fio MODE SIGNAL  - fio --verify on vm while the server gets
# SIGNAL (STOP: hangs; KILL: its sockets close): broken within the NBD
# timeout (plus what a loaded TCG VM adds), fio unharmed, nothing hangs.
loss_under_fio() {
	local mode=$1 sig=$2 pid start
	echo "== $mode: server gets SIG$sig under fio"
	dmsetup message vm 0 sync_mode "$mode"
	# Writes to the first 8 MiB only (what resync copies), for 20 s: the
	# host keeps writing while NBD gives up and after.
	vm_fio_verify "loss-$mode" --size=8M --time_based --runtime=20 --randseed=$RANDOM &
	pid=$!
	sleep 2
	start=$SECONDS
	# shellcheck disable=SC2046 # a list of pids
	kill -"$sig" $(nbd_server_pids)
	vmirror_wait vm broken 60 || die "not broken 60 s after SIG$sig"
	echo "   broken after $((SECONDS - start)) s (nbd timeout $NBD_TMO s)"
	((SECONDS - start <= NBD_TMO + 25)) || die "broken later than the NBD timeout allows"
	vmirror_ops_return vm
	wait $pid || die "host I/O failed on link loss"
	no_d_state
	(($(vmirror_field vm 10) > 0)) || die "mirror_errors not counted"
	# shellcheck disable=SC2046
	kill -KILL $(nbd_server_pids) 2>/dev/null || true
}

cleanup() {
	dmsetup remove --force vm >/dev/null 2>&1 || true
	dmsetup remove --force remote >/dev/null 2>&1 || true
	nbd-client -d /dev/nbd0 >/dev/null 2>&1 || true
	nbd-client -d /dev/nbd1 >/dev/null 2>&1 || true
	# shellcheck disable=SC2046
	[[ -f $TMPDIR/nbd.pid ]] && { kill -KILL $(nbd_server_pids) >/dev/null 2>&1 || true; }
	sleep 1
	rmmod nbd >/dev/null 2>&1 || true
}

test() {
	local copied rc out mm

	trap cleanup EXIT
	vmirror_load
	ip link set lo up
	modprobe nbd nbds_max=2 max_part=0
	make_ramdisks 2 64
	fill_random /dev/ram0 $SZ
	nbd_serve /dev/ram1
	nbd_connect /dev/nbd0 $NBD_TMO

	echo "== copy onto /dev/nbd0, fio --verify meanwhile"
	dmsetup create vm --table "0 $SZ vmirror /dev/ram0 0 /dev/nbd0 0 2 region_size 256"
	dm_mknodes
	vm_fio_verify copy --io_size=8M
	vmirror_wait vm synchronized 300
	vm_fio_verify synced --io_size=8M --randseed=5
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/nbd0 0 $SZ || die "legs differ"
	dmsetup resume vm

	loss_under_fio async STOP
	echo "== the link comes back: /dev/nbd0 is held by the pair, a new node"
	nbd_serve /dev/ram1
	rc=0
	out=$(nbd-client -N disk 127.0.0.1 10809 /dev/nbd0 -timeout $NBD_TMO 2>&1) || rc=$?
	echo "   nbd-client onto the held /dev/nbd0: status $rc: $(tail -1 <<<"$out")"
	nbd_connect /dev/nbd1 $NBD_TMO
	dmsetup create remote --table "0 $SZ linear /dev/nbd1 0"
	dm_mknodes
	dmsetup load vm --table "0 $SZ vmirror /dev/ram0 0 /dev/mapper/remote 0 2 region_size 256"
	dmsetup suspend vm
	dmsetup resume vm
	vmirror_wait vm synchronized 300
	echo "   after the reload onto the new node: $(dmsetup status vm)"
	nbd-client -d /dev/nbd0 >/dev/null || die "nbd-client -d /dev/nbd0 failed"
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/nbd1 0 $SZ || die "legs differ after the copy onto /dev/nbd1"
	dmsetup resume vm

	loss_under_fio sync KILL
	echo "== the same node again: remote lets go of it, nbd-client, resync"
	dm_reload remote "0 $SZ error"
	nbd-client -d /dev/nbd1 >/dev/null || die "nbd-client -d /dev/nbd1 failed"
	nbd_serve /dev/ram1
	nbd_connect /dev/nbd1 $NBD_TMO
	dm_reload remote "0 $SZ linear /dev/nbd1 0"
	copied=$(vmirror_field vm 8)
	dmsetup message vm 0 resync
	vmirror_wait vm synchronized 300
	copied=$(($(vmirror_field vm 8) - copied))
	echo "   resync copied $copied bytes (written meanwhile: within 8 MiB)"
	((copied > 0)) || die "resync copied nothing"
	((copied <= 8 << 20)) || die "resync copied $copied bytes, written: 8 MiB"
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/nbd1 0 $SZ || die "legs differ after resync"
	dmsetup resume vm

	echo "== vmirrorctl break of an async pair onto the remote disk"
	dmsetup message vm 0 sync_mode async
	vm_fio_verify last --io_size=4M --randseed=9 --do_verify=0
	timeout 300 "$CTL" break vm || die "vmirrorctl break failed"
	mm=$(vmirror_mm remote)
	dmsetup table vm | grep -q " linear $mm 0" || die "not pivoted onto remote: $(dmsetup table vm)"
	vm_fio_verify last --io_size=4M --randseed=9 --verify_only
	cmp_devices /dev/ram0 0 /dev/nbd1 0 $SZ || die "legs differ after break"
	dmsetup remove vm
	dmsetup remove remote
	nbd-client -d /dev/nbd1 >/dev/null
}
