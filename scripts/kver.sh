#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The one place that decides which kernel release dm-vmirror is built for
# and which kernel the VM boots.  Nothing in the repo names an ABI version
# (Debian bumps it, e.g. 6.1.0-56 -> 6.1.0-57): it is derived from what is
# installed.
#
#   scripts/kver.sh              the release: $KVER if set (a series such as
#                                KVER=6.12 stands for its newest installed
#                                release); else the running kernel if its
#                                build tree is installed; else the newest
#                                installed 6.1 build tree (what
#                                linux-headers-amd64 gives on Debian 12); else
#                                the newest installed build tree of any kernel
#   scripts/kver.sh --kdir       /lib/modules/<that release>/build
#   scripts/kver.sh --module KO  the release KO was built for (its vermagic)
#
# Exit status 1 (with a message) when there is nothing to choose from.
set -euo pipefail

die() { echo "kver.sh: $*" >&2; exit 1; }

# Every installed release with a build tree, oldest first.
installed() {
	local d
	for d in /lib/modules/*/build; do
		if [[ -d $d ]]; then basename "$(dirname "$d")"; fi
	done | sort -V
}

# The newest installed release of a series ("6.12" -> 6.12.<n>...), or
# nothing.
newest_of() {
	installed | awk -v s="$1" 'index($0, s ".") == 1 || index($0, s "-") == 1' | tail -n 1
}

release() {
	local r
	if [[ -n ${KVER:-} ]]; then
		# A release as given; a series, once one of its kernels is installed
		# ('make deps' installs it), as its newest release.
		r=
		[[ $KVER =~ ^[0-9]+\.[0-9]+$ ]] && r=$(newest_of "$KVER")
		echo "${r:-$KVER}"
		return
	fi
	r=$(uname -r)
	if [[ -d /lib/modules/$r/build ]]; then
		echo "$r"
		return
	fi
	local all
	all=$(installed)
	[[ -n $all ]] || die "no kernel build tree in /lib/modules/*/build ('make deps' installs linux-headers-amd64)"
	r=$(newest_of 6.1)
	[[ -n $r ]] || r=$(tail -n 1 <<<"$all")
	echo "$r"
}

case ${1:-} in
"") release ;;
--kdir) echo "/lib/modules/$(release)/build" ;;
--module)
	ko=${2:?--module needs a .ko}
	[[ -f $ko ]] || die "$ko not found (build it with 'make')"
	vm=$(modinfo -F vermagic "$ko" 2>/dev/null) || die "modinfo $ko failed"
	echo "${vm%% *}"
	;;
*) die "usage: kver.sh [--kdir | --module KO]" ;;
esac
