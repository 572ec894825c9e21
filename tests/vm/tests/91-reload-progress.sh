# shellcheck shell=bash
# 91-reload-progress: a reload + resume that names the same legs keeps the
# copy's progress and the sysfs directory; one with other legs starts over;
# loading a linear table removes the directory.
DESCRIPTION="reload keeps progress with the same legs, starts over with others; sysfs survives"

. "$VM_SUITE_DIR/vmirror-lib.sh"

test() {
	local sys t s1 s2 b1 b2

	vmirror_load
	make_ramdisks 3 16
	fill_random /dev/ram0 32768
	t="0 32768 vmirror /dev/ram0 0 /dev/ram1 0 4 region_size 128 max_copy_rate 2048"
	dmsetup create vm --table "$t"
	sys=$(vmirror_sysfs vm)
	sleep 3
	dmsetup message vm 0 pause
	sleep 0.3
	s1=$(<"$sys/regions_synced"); b1=$(<"$sys/bytes_copied")
	echo "before reload: $s1 regions, $b1 bytes copied"
	((s1 > 0 && s1 < 256)) || die "want a partial copy, have $s1/256"

	dmsetup load vm --table "$t"
	dmsetup suspend vm
	dmsetup resume vm
	[[ -d $sys ]] || die "sysfs directory gone after reload"
	s2=$(<"$sys/regions_synced"); b2=$(<"$sys/bytes_copied")
	echo "after reload:  $s2 regions, $b2 bytes copied, $(<"$sys/progress_status")"
	((s2 >= s1)) || die "progress lost: $s1 -> $s2"
	((b2 >= b1)) || die "bytes_copied lost: $b1 -> $b2"
	[[ $(<"$sys/progress_status") == dormant ]] || die "pause not kept over reload"
	dmesg | grep "reload keeps the copy's progress" >/dev/null || die "no log line"
	dmsetup message vm 0 resume
	dmsetup message vm 0 max_copy_rate 0
	vmirror_wait vm synchronized 60
	dmsetup suspend vm
	cmp_devices /dev/ram0 0 /dev/ram1 0 32768
	dmsetup resume vm

	echo "reload with another mirror starts over"
	dmsetup load vm --table "0 32768 vmirror /dev/ram0 0 /dev/ram2 0 4 region_size 128 max_copy_rate 1024"
	dmsetup suspend vm
	dmsetup resume vm
	s2=$(<"$sys/regions_synced")
	echo "   $s2 regions in sync, $(<"$sys/copy_state"), target $(<"$sys/target")"
	((s2 < 256)) || die "a new mirror started in sync"
	[[ $(<"$sys/target") == "1:2" ]] || die "target $(<"$sys/target")"
	[[ $(<"$sys/copy_state") == unsynchronized ]] || die "state $(<"$sys/copy_state")"

	echo "a linear table removes the directory, the device stays"
	dmsetup load vm --table "0 32768 linear /dev/ram0 0"
	dmsetup suspend vm
	dmsetup resume vm
	[[ ! -e $sys ]] || die "$sys still there under a linear table"
	dmsetup remove vm
	echo ok
}
