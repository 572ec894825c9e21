# shellcheck shell=bash
# 92-notify: poll() on copy_state wakes on a state change; a KOBJ_CHANGE
# uevent is sent; sysfs writes are validated.
DESCRIPTION="poll() wake-up, uevents, writable sysfs files and their validation"

. "$VM_SUITE_DIR/vmirror-lib.sh"

test() {
	local sys

	vmirror_load
	make_ramdisks 2 16
	dmsetup create vm --table "0 32768 vmirror /dev/ram0 0 /dev/ram1 0 2 max_copy_rate 512"
	sys=$(vmirror_sysfs vm)

	echo "poll() on copy_state and a uevent listener, then pause"
	python3 - "$sys" <<'PY' &
import os, select, socket, sys, time
sysdir = sys.argv[1]
ue = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 15)  # NETLINK_KOBJECT_UEVENT
ue.bind((0, 1))
fd = os.open(sysdir + "/copy_state", os.O_RDONLY)
os.read(fd, 64)
p = select.poll()
p.register(fd, select.POLLPRI | select.POLLERR)
open("/tmp/vmtest-ready", "w").close()
t0 = time.time()
ev = p.poll(20000)
if not ev:
    print("poll: no wake-up in 20 s"); sys.exit(1)
os.lseek(fd, 0, 0)
print("poll woke after %.2f s: copy_state %s" % (time.time() - t0, os.read(fd, 64).decode().strip()))
ue.settimeout(20)
while True:
    msg = ue.recv(8192).split(b"\0")
    if msg[0].startswith(b"change@") and any(m.startswith(b"VMIRROR_COPY_STATE=") for m in msg):
        print("uevent:", msg[0].decode(), [m.decode() for m in msg if m.startswith(b"VMIRROR")]); break
PY
	local pid=$!
	for _ in $(seq 100); do [[ -e /tmp/vmtest-ready ]] && break; sleep 0.1; done
	sleep 0.3
	dmsetup message vm 0 pause
	wait $pid || die "no poll() wake-up or no uevent"

	echo "writable files"
	echo high >"$sys/copy_priority"
	[[ $(<"$sys/copy_priority") == high && $(vmirror_field vm 6) == high ]] || die "copy_priority write"
	echo 2048 >"$sys/max_copy_rate"
	[[ $(<"$sys/max_copy_rate") == 2048 && $(vmirror_field vm 7) == 2048 ]] || die "max_copy_rate write"
	for bad in urgent "" "high low" HIGH 5 "$(printf 'x%.0s' $(seq 300))"; do
		if echo "$bad" >"$sys/copy_priority" 2>/dev/null; then die "copy_priority took '$bad'"; fi
	done
	for bad in -1 abc 1.5 99999999999 "" " "; do
		if echo "$bad" >"$sys/max_copy_rate" 2>/dev/null; then die "max_copy_rate took '$bad'"; fi
	done
	[[ $(<"$sys/copy_priority") == high && $(<"$sys/max_copy_rate") == 2048 ]] ||
		die "a refused write changed a value"
	if echo unsynchronized >"$sys/copy_state" 2>/dev/null; then die "copy_state is writable"; fi
	for f in "$sys"/*; do [[ $(<"$f") ]] || die "$f empty"; done
	echo "   $(ls "$sys" | wc -l) files: $(ls "$sys" | tr '\n' ' ')"
	[[ $(ls "$sys" | wc -l) == 28 ]] || die "want 28 files"

	echo "poll() on percent_synced wakes when a write after fracture lowers it"
	dmsetup message vm 0 resume
	echo 0 >"$sys/max_copy_rate"
	vmirror_wait vm synchronized 60
	dmsetup message vm 0 fracture
	python3 - "$sys" <<'PY' &
import os, select, sys
fd = os.open(sys.argv[1] + "/percent_synced", os.O_RDONLY)
before = os.read(fd, 16).decode().strip()
open("/tmp/vmtest-ready2", "w").close()
p = select.poll()
p.register(fd, select.POLLPRI | select.POLLERR)
if not p.poll(20000):
    print("percent_synced: no wake-up"); sys.exit(1)
os.lseek(fd, 0, 0)
print("percent_synced woke: %s -> %s" % (before, os.read(fd, 16).decode().strip()))
PY
	pid=$!
	for _ in $(seq 100); do [[ -e /tmp/vmtest-ready2 ]] && break; sleep 0.1; done
	sleep 0.3
	dd if=/dev/urandom of="$(dm_devname vm)" bs=64k count=1 seek=100 oflag=direct status=none
	wait $pid || die "no poll() wake-up on percent_synced"
	[[ $(<"$sys/percent_synced") -lt 100 ]] || die "percent_synced did not drop"
	dmsetup remove vm
	[[ ! -e $sys ]] || die "$sys left after remove"
	echo ok
}
