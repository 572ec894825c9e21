# shellcheck shell=bash
# 30-pause-resume: pause stops the copy (dormant), resume carries on;
# operations not legal in the current state fail with EBUSY.
DESCRIPTION="pause/resume/activate messages and their refusals"

. "$VM_SUITE_DIR/vmirror-lib.sh"

test() {
	local p1 p2

	vmirror_load
	make_ramdisks 2 32
	dmsetup create vm --table "0 65536 vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 128 max_copy_rate 4096"
	sleep 1
	expect_fail dmsetup message vm 0 resume
	dmsetup message vm 0 pause
	[[ $(vmirror_field vm 5) == dormant ]] || die "not dormant: $(dmsetup status vm)"
	[[ $(vmirror_field vm 1) == unsynchronized ]] || die "state: $(dmsetup status vm)"
	expect_fail dmsetup message vm 0 pause
	sleep 0.5
	p1=$(vmirror_field vm 3)
	sleep 1.5
	p2=$(vmirror_field vm 3)
	echo "paused: $p1 then $p2"
	[[ $p1 == "$p2" ]] || die "copy moved while paused ($p1 -> $p2)"
	dmesg | grep "pause refused while unsynchronized" >/dev/null || die "no log line for the refused pause"

	dmsetup message vm 0 resume
	[[ $(vmirror_field vm 5) == synchronizing ]] || die "not resumed: $(dmsetup status vm)"
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 60
	expect_fail dmsetup message vm 0 pause
	expect_fail dmsetup message vm 0 activate
	expect_fail dmsetup message vm 0 bogus
	expect_fail dmsetup message vm 0 copy_priority urgent
	expect_fail dmsetup message vm 0 max_copy_rate -1
	expect_fail dmsetup message vm 0 max_copy_rate 1 2
	dmsetup message vm 0 copy_priority low
	[[ $(vmirror_field vm 6) == low ]] || die "copy_priority not changed"
	dmsetup table vm | grep -q "copy_priority low" || die "table: $(dmsetup table vm)"
	dmsetup remove vm

	echo "no_activation: nothing is copied before activate"
	dmsetup create vm --table "0 65536 vmirror /dev/ram0 0 /dev/ram1 0 1 no_activation"
	sleep 1
	[[ $(vmirror_field vm 1) == initialized && $(vmirror_field vm 5) == requires_activate ]] ||
		die "no_activation: $(dmsetup status vm)"
	[[ $(vmirror_field vm 8) == 0 ]] || die "copied before activate"
	dmsetup message vm 0 activate
	vmirror_wait vm synchronized 60
	cmp_devices /dev/ram0 0 /dev/ram1 0 65536
	dmsetup remove vm
	echo ok
}
