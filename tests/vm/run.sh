#!/bin/bash
# tests/vm/run.sh - run a command inside a throw-away QEMU VM that boots the
# Debian kernel and sees the host's root filesystem read-only (the virtme
# approach).  The host kernel cannot load modules, so every kernel test runs
# through this script.
#
# Usage: tests/vm/run.sh [--mem MB] [--smp N] [--timeout SECONDS] [--out DIR] \
#                        -- COMMAND [ARGS...]
#
#   --mem MB         guest RAM (default 3072)
#   --smp N          guest CPUs (default 2)
#   --timeout SECS   kill the VM after SECS seconds (default 1800)
#   --out DIR        read-write output directory, mounted in the guest at the
#                    same path (default: a fresh mktemp -d, printed at the end)
#   --print-kernel   print the release and image it would boot, and exit
#   --power-cut      the command ends by cutting the power (vm_power_cut in
#                    lib.sh: sysrq-b, which -no-reboot turns into QEMU's
#                    exit): a run that ends so, with no exit_code, is a
#                    success (status 0) if dmesg has no bad lines
#
# Environment:
#   VM_ENV="A B C"   names of host environment variables to pass to COMMAND
#   VM_KVER          guest kernel release, or a series such as 6.12 for its
#                    newest installed release (default: the release the module
#                    VMIRROR_KO, default kernel/dm-vmirror.ko, was built for;
#                    without a module, what scripts/kver.sh chooses)
#   VM_KERNEL        kernel image (default /boot/vmlinuz-$VM_KVER)
#   VM_BUILD_DIR     initramfs cache (default tests/vm/.build)
#   VM_QEMU_EXTRA    extra qemu arguments (word-split), e.g. to add disks
#   VM_ACCEL         tcg (default) or kvm (only where KVM is known to work)
#
# In the guest COMMAND runs as root via bash, in the directory run.sh was
# started from, with PATH standard, HOME=/tmp, TERM=dumb, VM_GUEST=1 and
# VM_OUT=<output dir>.  /, except the API filesystems, /run, /tmp, /var/*,
# /etc, /root (writable, changes are discarded) and the output dir, is
# read-only.
#
# Output dir afterwards: console.log (serial console), dmesg.txt (complete
# kernel log), exit_code (COMMAND's exit status), plus whatever COMMAND wrote;
# .vm/ holds internals: cmd.sh (the generated guest script), dmesg.live (kernel
# log streamed during the run: what there is after a hang), qemu.log.
#
# Exit status: COMMAND's exit status; or 1 if dmesg contains a
# BUG/WARNING/Oops/... line (see VM_BAD_DMESG_RE in lib.sh) while COMMAND
# succeeded; 124 on timeout; 125 if the VM crashed or failed to run COMMAND;
# 2 on usage / setup errors.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh" # for VM_BAD_DMESG_RE / vm_bad_dmesg_lines

usage() {
	sed -n '/^# Usage:/,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}
err() {
	echo "run.sh: error: $*" >&2
	exit 2
}

MEM=3072
SMP=2
TIMEOUT=1800
OUT=
PRINT_KERNEL=0
POWER_CUT=0
while (($#)); do
	case $1 in
	--mem) MEM=${2:?}; shift 2 ;;
	--smp) SMP=${2:?}; shift 2 ;;
	--timeout) TIMEOUT=${2:?}; shift 2 ;;
	--out) OUT=${2:?}; shift 2 ;;
	--) shift; break ;;
	--print-kernel) PRINT_KERNEL=1; shift ;;
	--power-cut) POWER_CUT=1; shift ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown argument: $1" >&2; usage ;;
	esac
done
(($#)) || ((PRINT_KERNEL)) || { echo "run.sh: no COMMAND given" >&2; usage; }
[[ $MEM =~ ^[0-9]+$ && $SMP =~ ^[0-9]+$ && $TIMEOUT =~ ^[0-9]+$ ]] ||
	err "--mem, --smp and --timeout take positive integers"

KVER=${VM_KVER:-}
if [[ -n $KVER ]]; then
	KVER=$(KVER=$KVER "$HERE/../../scripts/kver.sh") # a series (6.12): its newest release
else
	KO=${VMIRROR_KO:-$HERE/../../kernel/dm-vmirror.ko}
	if [[ -f $KO ]]; then
		KVER=$("$HERE/../../scripts/kver.sh" --module "$KO") || err "cannot read the kernel release of $KO"
	else
		KVER=$("$HERE/../../scripts/kver.sh") || err "no kernel to boot ('make deps')"
	fi
fi
KERNEL=${VM_KERNEL:-/boot/vmlinuz-$KVER}
MODDIR=/lib/modules/$KVER
if ((PRINT_KERNEL)); then
	echo "$KVER $KERNEL"
	exit 0
fi
BUILD=${VM_BUILD_DIR:-$HERE/.build}

# ---- sanity checks, with errors that say what to do -------------------------
QEMU=$(command -v qemu-system-x86_64) || err "qemu-system-x86_64 not found (apt-get install qemu-system-x86; 'make deps')"
# The initramfs needs a static busybox (a dynamic one would need its libc
# copied in too).  ldd fails on static binaries.
BUSYBOX=
for b in $(command -v busybox || true) /bin/busybox /usr/bin/busybox; do
	if [[ -x $b ]] && ! ldd "$b" >/dev/null 2>&1; then BUSYBOX=$b; break; fi
done
[[ -n $BUSYBOX ]] || err "a static busybox is needed for the initramfs (apt-get install busybox-static)"
for t in cpio gzip modprobe; do
	command -v $t >/dev/null || err "$t not found (apt-get install cpio gzip kmod)"
done
[[ -e $KERNEL ]] || err "kernel image $KERNEL not found (apt-get install linux-image-$KVER)"
[[ -r $KERNEL ]] || err "kernel image $KERNEL is not readable (run as root)"
[[ -d $MODDIR ]] || err "kernel modules $MODDIR not found (apt-get install linux-image-$KVER)"
# TCG unless VM_ACCEL=kvm: a /dev/kvm is no promise that KVM works (nested
# on some hosts QEMU aborts at the first vCPU reset, "failed to set MSR
# 0x10a", or the guest hangs), and every timing in the suite and the
# benchmarks is TCG's.
case ${VM_ACCEL:-tcg} in
tcg) ACCEL="-accel tcg,thread=multi" ;;
kvm)
	[[ -w /dev/kvm ]] || err "VM_ACCEL=kvm, but /dev/kvm is not writable"
	ACCEL="-accel kvm"
	;;
*) err "VM_ACCEL=${VM_ACCEL}: tcg or kvm" ;;
esac

# ---- output dir ----------------------------------------------------------------
if [[ -z $OUT ]]; then
	OUT=$(mktemp -d "${TMPDIR:-/tmp}/vm-out.XXXXXX")
else
	mkdir -p "$OUT"
fi
OUT=$(cd "$OUT" && pwd -P) # absolute, symlinks resolved: the guest mounts it at this path
[[ $OUT == / ]] && err "--out must not be /"
[[ $OUT == *$'\n'* ]] && err "--out must not contain newlines"
mkdir -p "$OUT/.vm"
rm -f "$OUT/exit_code" "$OUT/dmesg.txt" "$OUT/console.log" "$OUT/power_cut"
printf '%s\n' "$OUT" >"$OUT/.vm/host_path"

# ---- the guest-side command script ------------------------------------------------
# Written into the output share rather than the kernel command line: no
# length limit, no quoting problems.  %q quoting is bash syntax; the guest
# runs it with the host's own bash.
CWD=$(pwd -P)
{
	echo '# generated by tests/vm/run.sh'
	for v in ${VM_ENV:-}; do
		[[ $v =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || err "VM_ENV: bad variable name '$v'"
		if [[ -n ${!v+set} ]]; then printf 'export %s=%q\n' "$v" "${!v}"; fi
	done
	printf 'cd %q || exit 125\n' "$CWD"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$OUT/.vm/cmd.sh"

# ---- initramfs (cached) --------------------------------------------------------------
# Modules needed to reach the 9p root, in load order (deduplicated, as
# modprobe --show-depends prints shared dependencies once per module).
# overlay is used to make /etc, /tmp, /var/* writable on top of the 9p root.
MODS=(virtio_pci 9pnet_virtio 9p overlay)
mapfile -t KOS < <(
	for m in "${MODS[@]}"; do
		modprobe --show-depends -S "$KVER" "$m" ||
			echo "ERROR $m"
	done | awk '$1 == "ERROR" { print "ERROR " $2; next }
	            $1 == "insmod" && !seen[$2]++ { print $2 }'
)
for k in "${KOS[@]}"; do
	[[ $k == ERROR* ]] && err "modprobe --show-depends -S $KVER ${k#ERROR } failed (missing module?)"
	[[ -f $k ]] || err "module $k missing"
done

# The cache key covers everything that goes into the image.
KEY=$({
	echo "$KVER"
	cat "$HERE/init.sh" "$HERE/run.sh" # run.sh: its build steps shape the image too
	sha256sum "$BUSYBOX" "${KOS[@]}"
} | sha256sum | cut -c1-16)
mkdir -p "$BUILD"
INITRD=$BUILD/initramfs-$KVER-$KEY.cpio.gz
if [[ ! -s $INITRD ]]; then
	echo "run.sh: building $INITRD" >&2
	tmp=$(mktemp -d "$BUILD/tmp.XXXXXX")
	(
		set -e
		cd "$tmp"
		mkdir -p root/bin root/sbin root/proc root/sys root/dev root/modules root/newroot
		cp "$BUSYBOX" root/bin/busybox
		for a in $(root/bin/busybox --list); do
			[[ $a == busybox ]] || ln -s busybox "root/bin/$a"
		done
		install -m 0755 "$HERE/init.sh" root/init
		: >root/modules/order # empty when all of them are built in
		for k in "${KOS[@]}"; do
			cp "$k" root/modules/
			basename "$k" >>root/modules/order
		done
		(cd root && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0) >initramfs.cpio
		gzip -1 -n <initramfs.cpio >initramfs.cpio.gz
	)
	mv "$tmp/initramfs.cpio.gz" "$INITRD" # atomic: concurrent runs never see half a file
	rm -rf "$tmp"
	# Images of this kernel with another key are stale now.
	for f in "$BUILD"/initramfs-"$KVER"-*.cpio.gz; do
		[[ $f == "$INITRD" ]] || rm -f "$f"
	done
fi

# ---- boot ---------------------------------------------------------------------------
# quiet loglevel=3: only errors reach the console, so the console shows the
#   command's output; dmesg.txt still gets everything.
# panic=-1 + -no-reboot: a panic reboots at once, which ends QEMU (no
#   exit_code file -> reported as a crash).  No oops=panic: an oops is
#   detected from dmesg and the command can still finish.
# printk.devkmsg=on: writes to /dev/kmsg (dmesg marks) are not rate limited.
# log_buf_len=8M: long test runs must not push early warnings out of the log.
# mitigations=off etc.: TCG is slow enough already.
APPEND="console=ttyS0 quiet loglevel=3 panic=-1 printk.devkmsg=on log_buf_len=8M"
APPEND+=" mitigations=off nokaslr audit=0 tsc=reliable no_timer_check 8250.nr_uarts=1"
APPEND+=" rdinit=/init"

CONSOLE=$OUT/console.log
: >"$CONSOLE"
# Why -serial to a file and not -nographic/-serial stdio: CI runs us with no
# stdin (closed or /dev/null); QEMU's stdio chardev then fails or spins.
# QEMU's stdin is /dev/null for the same reason; we tail the log instead.
# The host root is shared READ-ONLY (readonly=on): a test bug must never be
# able to write to the host.  multidevs=remap keeps inode numbers unique
# across the host's submounts.
# shellcheck disable=SC2086
"$QEMU" \
	-name vmtest -nodefaults -no-user-config -display none -no-reboot \
	-machine pc $ACCEL -cpu max -smp "$SMP" -m "$MEM" \
	-kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" \
	-chardev file,id=con,path="$CONSOLE",append=on -serial chardev:con \
	-fsdev local,id=rootfs,path=/,security_model=none,readonly=on,multidevs=remap \
	-device virtio-9p-pci,fsdev=rootfs,mount_tag=root \
	-fsdev local,id=outfs,path="$OUT",security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=outfs,mount_tag=out \
	-monitor none \
	${VM_QEMU_EXTRA:-} \
	</dev/null >"$OUT/.vm/qemu.log" 2>&1 &
QPID=$!
START=$(date +%s.%N)

# Kill QEMU if we are interrupted; never leave a VM behind.
trap 'kill $QPID 2>/dev/null; exit 130' INT TERM HUP
trap 'kill $QPID 2>/dev/null || true' EXIT

# Timeout watchdog.  Its sleep runs in the background with a TERM trap so
# that killing the watchdog also ends the sleep (an orphaned sleep would
# keep our stdout pipe open for 30 minutes, hanging `run.sh | tail`).
(
	trap 'kill $sp 2>/dev/null; exit 0' TERM
	sleep "$TIMEOUT" &
	sp=$!
	wait $sp
	if kill -0 $QPID 2>/dev/null; then
		echo "timeout" >"$OUT/.vm/timed_out"
		kill $QPID
		sleep 5
		kill -9 $QPID 2>/dev/null
	fi
) </dev/null >/dev/null 2>&1 &
WPID=$!

# Live console: tail exits by itself shortly after QEMU does.  The serial
# line uses CRLF; strip the CR.  Drop the kernel's final "reboot: Power down"
# (it has no trailing newline and is just noise).
# sed -u (unbuffered) so output stays live when our stdout is a pipe.
tail -n +1 -s 0.2 -f --pid=$QPID "$CONSOLE" |
	sed -u -e 's/\r$//' -e '/^\[ *[0-9.]*\] reboot: Power down$/d' || true
QRC=0
wait $QPID || QRC=$?
kill $WPID 2>/dev/null || true
wait $WPID 2>/dev/null || true
trap - EXIT INT TERM HUP
ELAPSED=$(echo "$START $(date +%s.%N)" | awk '{ printf "%.1f", $2 - $1 }')

# ---- verdict ------------------------------------------------------------------------
if [[ -e $OUT/.vm/timed_out ]]; then
	echo "run.sh: FAIL: VM killed after the ${TIMEOUT}s timeout" >&2
	RC=124
elif [[ ! -f $OUT/exit_code && $POWER_CUT == 1 && -f $OUT/power_cut ]]; then
	echo "run.sh: the guest cut its power as planned" >&2
	RC=0
elif [[ ! -f $OUT/exit_code ]]; then
	((POWER_CUT)) && echo "run.sh: FAIL: --power-cut, but the guest never reached its power cut" >&2
	echo "run.sh: FAIL: the VM crashed or did not run the command (qemu status $QRC)" >&2
	[[ -s $OUT/.vm/qemu.log ]] && sed 's/^/    qemu: /' "$OUT/.vm/qemu.log" >&2
	RC=125
else
	RC=$(<"$OUT/exit_code")
fi

# Kernel log check: dmesg.txt if the guest saved it; else (crash, timeout)
# the log streamed during the run plus whatever reached the console.
if [[ -f $OUT/dmesg.txt ]]; then
	LOGS=("$OUT/dmesg.txt")
else
	LOGS=("$CONSOLE")
	if [[ -s $OUT/.vm/dmesg.live ]]; then
		LOGS+=("$OUT/.vm/dmesg.live")
		echo "run.sh: last kernel messages ($OUT/.vm/dmesg.live):" >&2
		tail -n 30 "$OUT/.vm/dmesg.live" | sed 's/^/    /' >&2
	fi
fi
if BAD=$(vm_bad_dmesg_lines -h "${LOGS[@]}"); then
	echo "run.sh: FAIL: bad kernel messages in ${LOGS[*]}:" >&2
	printf '%s\n' "$BAD" | tr -d '\r' | sed 's/^/    /' >&2
	[[ $RC == 0 ]] && RC=1
fi

echo "run.sh: VM finished in ${ELAPSED}s, exit status $RC, output in $OUT" >&2
exit "$RC"
