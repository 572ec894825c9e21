#!/bin/sh
# tests/vm/init.sh - /init (PID 1) of the test VM's initramfs, run by the
# static busybox sh.  run.sh copies this file into the initramfs.
#
# It loads virtio + 9p modules, mounts the host's root filesystem (shared
# read-only over 9p), makes the few directories that programs write to
# writable, mounts the read-write output share at the host's path, chroots
# into the host root and runs the command that run.sh wrote into
# <out>/.vm/cmd.sh.  Then it saves dmesg and the exit code into the output
# directory and powers off.
#
# Never `exit` from here: PID 1 exiting panics the kernel.  Everything ends
# in poweroff.

export PATH=/bin:/sbin

NEW=/newroot
MSIZE=512000 # 9p max message size: bigger is faster; 512000 is virtio's cap in 6.1

fatal() {
	echo "vm-init: FATAL: $*"
	echo "vm-init: FATAL: $*" >/dev/kmsg 2>/dev/null
	# Leave no exit_code file: the host reports the VM as crashed.
	sync
	poweroff -f
	sleep 10
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The initramfs has no /dev/console node, so the kernel could not give us
# stdio: (re)open it now that devtmpfs is mounted.
exec </dev/console >/dev/console 2>&1

# Modules in dependency order, computed on the host by modprobe --show-depends.
while read -r ko; do
	[ -n "$ko" ] || continue
	insmod "/modules/$ko" || fatal "insmod $ko failed"
done </modules/order

# The 9p devices appear asynchronously after virtio_pci probes the PCI bus.
i=0
# (mount_tag is NUL-terminated without a newline, hence the tr/echo.)
tags() {
	for f in /sys/bus/virtio/drivers/9pnet_virtio/virtio*/mount_tag; do
		[ -r "$f" ] && tr -d '\000' <"$f" && echo
	done
}
until tags | grep -qx root && tags | grep -qx out; do
	i=$((i + 1))
	[ $i -gt 500 ] && fatal "9p devices 'root'/'out' did not appear"
	usleep 10000
done

# The host root is shared READ-ONLY: tests must never be able to damage the
# host (whose root is the same disk CI runs on).  cache=loose is safe because
# nothing changes the files underneath us for the life of this short VM.
mkdir -p $NEW
mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=$MSIZE,cache=loose root $NEW ||
	fatal "cannot mount the 9p root"

# The read-write output share: mount it somewhere temporary first to read the
# host path it must appear at (written by run.sh; this avoids having to
# quote arbitrary paths on the kernel command line).  No caching: the host
# reads the results.
mkdir -p /out
mount -t 9p -o trans=virtio,version=9p2000.L,msize=$MSIZE out /out ||
	fatal "cannot mount the 9p output share"
OUT=$(cat /out/.vm/host_path) || fatal "no .vm/host_path in the output share"

# API filesystems inside the new root.
mount -t proc proc $NEW/proc
mount -t sysfs sysfs $NEW/sys
mount -t devtmpfs devtmpfs $NEW/dev
mkdir -p $NEW/dev/pts $NEW/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $NEW/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $NEW/dev/shm
ln -sf /proc/self/fd $NEW/dev/fd
ln -sf /proc/self/fd/0 $NEW/dev/stdin
ln -sf /proc/self/fd/1 $NEW/dev/stdout
ln -sf /proc/self/fd/2 $NEW/dev/stderr
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs $NEW/sys/kernel/debug 2>/dev/null
[ -d /sys/kernel/config ] && mount -t configfs configfs $NEW/sys/kernel/config 2>/dev/null

# Writable places.  /run is a fresh tmpfs: the host's /run holds sockets and
# pid files of host daemons (udev, ...) that must not confuse guest tools.
mount -t tmpfs -o mode=755 tmpfs $NEW/run
mkdir -p $NEW/run/lock $NEW/run/mdadm
# For the others, an overlay (host content visible, writes go to a tmpfs) is
# better than an empty tmpfs: e.g. the work tree may itself live under /tmp
# (mktemp'ed CI checkouts) and must stay visible.  Fall back to tmpfs if
# overlayfs refuses the 9p lower layer.
mkdir -p /ovl
mount -t tmpfs -o mode=755 tmpfs /ovl
for d in tmp var/tmp var/lib var/log var/cache etc root; do
	[ -d "$NEW/$d" ] || continue
	u=/ovl/$(echo "$d" | tr / _)
	mkdir -p "$u/upper" "$u/work"
	case $d in tmp | var/tmp) chmod 1777 "$u/upper" ;; esac
	if ! mount -t overlay -o "lowerdir=$NEW/$d,upperdir=$u/upper,workdir=$u/work" overlay "$NEW/$d" 2>/dev/null; then
		echo "vm-init: overlay on /$d failed, using an empty tmpfs" >/dev/kmsg
		mount -t tmpfs -o mode=755 tmpfs "$NEW/$d"
		case $d in tmp | var/tmp) chmod 1777 "$NEW/$d" ;; esac
	fi
done
mkdir -p $NEW/var/lib/mdadm 2>/dev/null

# Finally the output share at the same absolute path as on the host (after
# the overlays, which could otherwise hide it).
mkdir -p "$NEW$OUT" 2>/dev/null
mount --move /out "$NEW$OUT" || fatal "cannot move the output share to $OUT"

# Kernel module autoloading (e.g. dm_mod when /dev/mapper/control is opened)
# runs /sbin/modprobe as a usermode helper, which resolves paths in the root
# of PID 1, i.e. this initramfs (we chroot in a child, not in PID 1).  Point
# it at a wrapper that runs the host's modprobe inside the new root.
printf '#!/bin/sh\nexec /bin/chroot %s /sbin/modprobe "$@"\n' $NEW >/sbin/vm-modprobe
chmod 755 /sbin/vm-modprobe
echo /sbin/vm-modprobe >/proc/sys/kernel/modprobe

# Sysctls useful for catching kernel bugs.
echo 60 >/proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
echo 1 >/proc/sys/kernel/sysrq 2>/dev/null

hostname vm 2>/dev/null

# Stream the kernel log into the output share while the command runs, so
# the host still gets the messages (hung task reports, the start of an oops)
# if the guest hangs and is killed by the timeout before dmesg.txt exists.
chroot $NEW /bin/dmesg -w >"$NEW$OUT/.vm/dmesg.live" 2>/dev/null &
live=$!

# Run the command, in a clean environment.  DM_DISABLE_UDEV=1: there is no
# udev, so libdevmapper must create /dev/mapper nodes itself.  stdin is
# /dev/null: nothing can type into the console, and a test waiting on input
# would hang until the timeout.
chroot $NEW /usr/bin/env -i \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	HOME=/tmp TERM=dumb LANG=C.UTF-8 VM_GUEST=1 VM_OUT="$OUT" DM_DISABLE_UDEV=1 \
	/bin/bash "$OUT/.vm/cmd.sh" </dev/null
rc=$?
kill $live 2>/dev/null

# Save the full kernel log (util-linux dmesg from the host root; busybox's as
# fallback) and the exit code, in that order: exit_code present means
# dmesg.txt is complete.
chroot $NEW /bin/dmesg >"$NEW$OUT/dmesg.txt" 2>/dev/null || dmesg -s 8388608 >"$NEW$OUT/dmesg.txt"
echo "$rc" >"$NEW$OUT/exit_code"
sync
poweroff -f
sleep 10
