#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Inside the VM (tests/host/deb.sh boots it): the module DKMS built and
# installed on the host loads by name, "modprobe dm-vmirror", with no path
# (the VM sees the host's /lib/modules); the installed vmirrorctl mirrors a
# RAM disk with it; the disks are compared; and a table naming the target
# loads the module without modprobe.  Prints "PASS deb-vm-modprobe"
# or "FAIL deb-vm-modprobe: ...".
#   deb-guest.sh VERSION
set -uo pipefail
V=${1:?VERSION}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/../vm/lib.sh"
fail() { echo "FAIL deb-vm-modprobe: $*"; exit 1; }

kver=$(uname -r)
path=$(modinfo -n dm-vmirror 2>&1) || fail "modinfo dm-vmirror: $path"
[[ $path == /lib/modules/$kver/updates/dkms/dm-vmirror.ko* ]] ||
	fail "modprobe would load $path, not DKMS's"
modprobe dm-vmirror || fail "modprobe dm-vmirror failed"
[[ $(</sys/module/dm_vmirror/version) == "$V" ]] ||
	fail "the loaded module is version $(</sys/module/dm_vmirror/version), want $V"
t=$(dmsetup targets | awk '$1 == "vmirror" { print $2 }')
[[ $t == "v$V" ]] || fail "dmsetup targets: vmirror '$t', want v$V"
out=$(/usr/sbin/vmirrorctl --version) || fail "vmirrorctl --version failed"
[[ $out == "vmirrorctl $V "*$'\n'"dm-vmirror module $V "* ]] || fail "vmirrorctl --version: $out"

make_ramdisks 2 16 || fail "no RAM disks"
fill_random /dev/ram0 32768
/usr/sbin/vmirrorctl create dkmsvm /dev/ram0 /dev/ram1 >/dev/null || fail "vmirrorctl create"
/usr/sbin/vmirrorctl wait dkmsvm --for synchronized --timeout 120 || fail "vmirrorctl wait"
fill_random /dev/mapper/dkmsvm 2048 4096
cmp_devices /dev/ram0 0 /dev/ram1 0 32768 || fail "the legs differ"
/usr/sbin/vmirrorctl remove dkmsvm || fail "vmirrorctl remove"
rmmod dm_vmirror || fail "rmmod"
# A table that names the target loads the module by itself (DM core asks
# for "dm-vmirror").
dmsetup create dkmsvm --table "0 32768 vmirror /dev/ram0 0 /dev/ram1 0 1 nosync" ||
	fail "dmsetup create without the module loaded"
[[ -d /sys/module/dm_vmirror ]] || fail "the module was not loaded by dmsetup create"
dmsetup remove dkmsvm || fail "dmsetup remove"
rmmod dm_vmirror || fail "rmmod"
echo "PASS deb-vm-modprobe ($path, $t, on $kver)"
