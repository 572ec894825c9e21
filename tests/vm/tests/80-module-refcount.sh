# shellcheck shell=bash
# 80-module-refcount: dm-vmirror cannot be unloaded while a device uses
# it, and unloads cleanly afterwards.
DESCRIPTION="module is pinned by a live device and unloads after removal"

. "$VM_SUITE_DIR/vmirror-lib.sh"

test() {
	vmirror_load
	make_ramdisks 2 16
	dmsetup create vm --table "0 32768 vmirror /dev/ram0 0 /dev/ram1 0"
	vmirror_wait vm synchronized 60
	(($(cat /sys/module/dm_vmirror/refcnt) >= 1)) || die "refcnt not raised"
	if rmmod dm_vmirror 2>"$TMPDIR/rmmod.err"; then
		die "rmmod succeeded while a device uses the module"
	fi
	echo "  rmmod refused: $(cat "$TMPDIR/rmmod.err")"
	[[ -d /sys/module/dm_vmirror ]] || die "module gone"
	dmsetup remove vm
	[[ $(cat /sys/module/dm_vmirror/refcnt) == 0 ]] || die "refcnt not 0 after remove"
	rmmod dm_vmirror
	[[ ! -d /sys/module/dm_vmirror ]] || die "module still loaded"
	dmsetup targets | grep -q '^vmirror ' && die "target still registered"
	echo "reload and use it again"
	vmirror_load
	dmsetup create vm --table "0 32768 vmirror /dev/ram0 0 /dev/ram1 0 1 nosync"
	dmsetup remove vm
	rmmod dm_vmirror
	echo ok
}
