#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install the Debian packages dm-vmirror needs to build and test, if any
# is missing.  Run by "make deps", which "make check", "make demo" and
# "make bench" run first, so that a fresh Debian 12 machine gets from
# nothing to a verdict with no other step.  Extra groups for the targets
# that need more: "deps.sh lint" (make lint), "deps.sh debug" (make
# check-debug), "deps.sh profile" (make bench-profile: linux-perf),
# "deps.sh deb" (make deb, make deb-check: debhelper, and
# dh-dkms, which in Debian 12 is its own package, not part of dkms),
# "deps.sh kernels" (make check-kernels: the 6.12 kernel from
# bookworm-backports and the unstable build chroot, see scripts/kernels.sh).
# With KVER set to a kernel that is not installed ("make check KVER=6.12"),
# that kernel's image and headers are installed too.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

PACKAGES=(
	# build
	make gcc libc6-dev gcc-multilib linux-headers-amd64 sparse libdevmapper-dev
	pkg-config libjson-c-dev
	# the VM the kernel tests run in
	linux-image-amd64 qemu-system-x86 busybox-static cpio kmod
	# tests and benchmarks inside the VM
	dmsetup fio mdadm e2fsprogs util-linux coreutils python3
	# the migration benchmark's contender (pvmove)
	lvm2
	# a mirror on "another host": NVMe over TCP on loopback (test 102)
	nvme-cli iproute2
	# ... and over NBD (test 103, make bench-async)
	nbd-server nbd-client
	# benchmark plots
	gnuplot-nox
	# userspace unit tests and fuzzing
	valgrind clang libclang-rt-14-dev
)
for group in "$@"; do
	case $group in
	# checkpatch.pl and kernel-doc come from the kernel source tarball
	lint) PACKAGES+=(linux-source-6.1 perl python3) ;;
	# scripts/debug-kernel.sh builds that source
	debug) PACKAGES+=(linux-source-6.1 flex bison bc libelf-dev libssl-dev dwarves xz-utils) ;;
	# scripts/kernels.sh: the unstable chroot
	kernels) PACKAGES+=(debootstrap util-linux) ;;
	# make bench-profile: perf (its software clock; TCG has no PMU)
	profile) PACKAGES+=(linux-perf) ;;
	# make deb: dpkg-buildpackage, dh with dh_dkms; make deb-check: dkms
	deb) PACKAGES+=(dpkg-dev debhelper dh-dkms dkms fakeroot libdevmapper-dev libjson-c-dev pkg-config) ;;
	*) echo "deps: unknown group '$group' (lint, debug, kernels, profile, deb)" >&2; exit 2 ;;
	esac
done

# The kernels beyond the packages: after them, and also when every package
# is there.
kernels() {
	local g
	if [[ -n ${KVER:-} ]]; then
		"$HERE/kernels.sh" install "$KVER" >/dev/null
	fi
	for g in "$@"; do
		if [[ $g == kernels ]]; then
			"$HERE/kernels.sh" install 6.12 >/dev/null
			"$HERE/kernels.sh" sid >/dev/null
		fi
	done
}

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "deps: all ${#PACKAGES[@]} packages present"
	kernels "$@"
	exit 0
fi

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install packages (missing: ${missing[*]})" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get -o DPkg::Lock::Timeout=900 update -q
apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}"
kernels "$@"
