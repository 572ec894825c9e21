#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# scripts/kernels.sh - the Debian kernels dm-vmirror is built and tested
# against besides the default 6.1 (SPEC "Kernels and packaging"):
#
#   6.1   bookworm: the default (scripts/kver.sh picks it); 'make check'
#   6.12  bookworm-backports: image and headers installed on the host, so that
#         'make check KVER=6.12' builds for it and boots it in the VM
#   sid   the newest kernel of Debian unstable (7.2 at the time of writing):
#         built only, not booted, in a debootstrap'd unstable chroot cached
#         in $KERNELS_CACHE/sid-chroot (default /var/cache/dm-vmirror):
#         its headers are built with, and ask for, unstable's compiler (gcc
#         16), which bookworm does not have; the chroot keeps unstable's
#         packages off the host
#
# Usage:
#   kernels.sh install [6.12|RELEASE]  install that kernel's image and headers
#                                      (default 6.12) from bookworm or
#                                      bookworm-backports; nothing if present
#   kernels.sh sid                     create (or, once a week, refresh) the
#                                      unstable build chroot
#   kernels.sh release 6.1|6.12|sid    the installed release of that kernel
#   kernels.sh build 6.1|6.12|sid|all  build the module with W=1 and sparse
#                                      (C=2) in a copy of the tree (one per
#                                      release); a compiler, sparse or modpost
#                                      warning fails the build
#
# The archive is the one the machine already uses: its URI is read from the
# host's apt sources, never written here.  bookworm-backports is added with
# priority 1 (/etc/apt/preferences.d/dm-vmirror-backports), below the 100 of
# an installed package: nothing on the host is upgraded from it.  Only the
# versioned kernel packages named here, which exist in backports alone, come
# from there; never with -t, which would raise the whole suite.  Unstable
# never enters the host's apt.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${KERNELS_CACHE:-/var/cache/dm-vmirror}
CHROOT=$CACHE/sid-chroot
SOURCES=/etc/apt/sources.list.d/dm-vmirror-backports.sources
PREFS=/etc/apt/preferences.d/dm-vmirror-backports
APT=(apt-get -o DPkg::Lock::Timeout=900 -q -y --no-install-recommends)
export DEBIAN_FRONTEND=noninteractive LC_ALL=C

log() { echo "kernels: $*" >&2; }
die() { log "error: $*"; exit 1; }

# shellcheck disable=SC1091 # the host's
codename() ( . /etc/os-release && echo "${VERSION_CODENAME:?}" )

# The URI of the Debian archive the host installs its own suite from, from
# the deb822 sources or the one-line format.
debian_uri() {
	local s uri
	s=$(codename)
	uri=$(awk -v s="$s" 'BEGIN { RS = ""; FS = "\n" }
	{
		uri = ""; ok = 0; deb = 0
		for (i = 1; i <= NF; i++) {
			if ($i ~ /^Types:/ && $i ~ /[ \t]deb([ \t]|$)/) deb = 1
			if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
			if ($i ~ /^Suites:/) {
				n = split($i, b, /[ \t]+/)
				for (j = 2; j <= n; j++) if (b[j] == s) ok = 1
			}
		}
		if (deb && ok && uri != "") { print uri; exit }
	}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	if [[ -z $uri ]]; then
		uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
			sed -E 's/\[[^]]*\]//' |
			awk -v s="$s" '$1 == "deb" && $3 == s { print $2; exit }')
	fi
	[[ -n $uri ]] || die "no apt source for '$s' in /etc/apt/sources.list{,.d/*}"
	echo "${uri%/}"
}

need_root() { [[ $(id -u) == 0 ]] || die "need root to $*"; }

# bookworm-backports in the host's apt, pinned low; apt-get update when the
# source is new.
backports_source() {
	local s uri want
	s=$(codename)-backports
	uri=$(debian_uri)
	want="# Added by dm-vmirror's scripts/kernels.sh (6.12 kernel for the tests).
Types: deb
URIs: $uri
Suites: $s
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg"
	if [[ ! -f $SOURCES || $(<"$SOURCES") != "$want" ]]; then
		need_root "add $s to apt"
		cat >"$PREFS" <<-EOF
			Explanation: dm-vmirror (scripts/kernels.sh): only packages that exist nowhere else
			Explanation: come from $s; an installed package (100) is never upgraded from it.
			Package: *
			Pin: release n=$s
			Pin-Priority: 1
		EOF
		echo "$want" >"$SOURCES"
		log "added $s ($SOURCES, pinned by $PREFS); apt-get update"
		"${APT[@]}" update >&2
	fi
	echo "$s"
}

installed() { [[ -d /lib/modules/$1/build && -f /boot/vmlinuz-$1 ]]; }

# The newest installed release (with its build tree) of a series like 6.12.
newest_of() {
	local d
	for d in /lib/modules/"$1".*/build /lib/modules/"$1"-*/build; do
		if [[ -d $d ]]; then basename "$(dirname "$d")"; fi
	done | sort -V | tail -n 1
}

# install [6.12|RELEASE]
install_kernel() {
	local want=${1:-6.12} suite rel
	if [[ $want =~ ^[0-9]+\.[0-9]+$ ]]; then
		rel=$(newest_of "$want")
		if [[ -n $rel ]] && installed "$rel"; then
			echo "$rel"
			return
		fi
	elif installed "$want"; then
		echo "$want"
		return
	fi
	need_root "install kernel $want"
	suite=$(backports_source)
	if [[ $want =~ ^[0-9]+\.[0-9]+$ ]]; then
		# The release behind the backports metapackage, e.g. linux-headers-6.12.x...-amd64.
		rel=$(apt-cache -o APT::Default-Release="$suite" depends linux-headers-amd64 |
			sed -n 's/^ *Depends: linux-headers-\(.*-amd64\)$/\1/p' | head -n 1)
		[[ $rel == "$want".* || $rel == "$want"-* ]] ||
			die "$suite offers ${rel:-no} kernel, not $want (try KVER=<release>)"
	else
		rel=$want
	fi
	apt-cache show "linux-image-$rel" "linux-headers-$rel" >/dev/null 2>&1 ||
		die "no linux-image-$rel / linux-headers-$rel in $(codename) or $suite"
	log "installing linux-image-$rel and linux-headers-$rel"
	# By name, without -t: -t would raise the whole suite to 990 and upgrade
	# linux-image-amd64, linux-libc-dev, ... too.  These versioned packages
	# (and their versioned dependencies) exist in one suite only.
	"${APT[@]}" install "linux-image-$rel" "linux-headers-$rel" >&2
	installed "$rel" || die "linux-image-$rel installed, but /boot/vmlinuz-$rel or /lib/modules/$rel/build is missing"
	echo "$rel"
}

# Run a command in the unstable chroot, with /proc and /dev mounted in a
# private mount namespace: the mounts vanish with the command, even when it
# is killed.
in_chroot() {
	# shellcheck disable=SC2016 # expanded by that shell
	unshare --mount --propagation private /bin/sh -ec '
		c=$1; shift
		mount -t proc proc "$c/proc"
		mount --rbind /dev "$c/dev"
		exec chroot "$c" "$@"' sh "$CHROOT" "$@"
}

# The unstable chroot with the compiler, sparse and linux-headers-amd64 (the
# newest kernel of unstable); refreshed when older than a week or when the
# package list below changes.
SID_PACKAGES="make gcc libc6-dev sparse linux-headers-amd64"
sid_chroot() {
	local ready=$CHROOT/.dm-vmirror-ready
	mkdir -p "$CACHE"
	exec 9>"$CACHE/sid-chroot.lock"
	flock 9 # two builds at once must not debootstrap twice
	if [[ ! -e $CHROOT/.dm-vmirror-debootstrapped ]]; then
		need_root "create $CHROOT"
		command -v debootstrap >/dev/null || die "debootstrap missing ('scripts/deps.sh kernels')"
		rm -rf "$CHROOT"
		log "debootstrap of unstable into $CHROOT (a few minutes, about 750 MB)"
		debootstrap --variant=minbase sid "$CHROOT" "$(debian_uri)" >&2 ||
			die "debootstrap failed (log: $CHROOT/debootstrap/debootstrap.log)"
		touch "$CHROOT/.dm-vmirror-debootstrapped"
	fi
	if [[ ! -e $ready || $(<"$ready") != "$SID_PACKAGES" || -n $(find "$ready" -mtime +7) ]]; then
		need_root "update $CHROOT"
		log "installing or updating $SID_PACKAGES in $CHROOT"
		in_chroot "${APT[@]}" update >&2
		# shellcheck disable=SC2086 # a list of names
		in_chroot "${APT[@]}" install $SID_PACKAGES >&2
		in_chroot "${APT[@]}" autoremove --purge >&2
		in_chroot apt-get clean
		echo "$SID_PACKAGES" >"$ready"
	fi
	flock -u 9
}

# The newest release with a build tree under ROOT (/ or the chroot).
newest_in() {
	local d
	for d in "$1"/lib/modules/*/build; do
		if [[ -d $d ]]; then basename "$(dirname "$d")"; fi
	done | sort -V | tail -n 1
}

# release 6.1|6.12|sid
release() {
	local r
	case $1 in
	sid) r=$(newest_in "$CHROOT") ;;
	*) r=$(newest_of "$1") ;;
	esac
	[[ -n $r ]] || die "no $1 kernel installed ('scripts/deps.sh kernels')"
	echo "$r"
}

# A copy of the module's sources in DIR (kbuild of an external module builds
# in its source tree; one copy per release keeps the builds apart).
copy_tree() {
	rm -rf "$1"
	mkdir -p "$1/kernel"
	cp -r "$TOP/Kbuild" "$TOP/uapi" "$1/"
	# The version file kernel/Kbuild reads, once the tree has one.
	if [[ -e $TOP/VERSION ]]; then cp "$TOP/VERSION" "$1/"; fi
	cp "$TOP"/kernel/Kbuild "$TOP"/kernel/*.h "$1/kernel/"
	find "$TOP/kernel" -maxdepth 1 -name '*.c' ! -name '*.mod.c' -exec cp {} "$1/kernel/" \;
}

# Debian's headers of unstable's kernel lack scripts/checker-valid.sh, which
# kbuild runs for C=2 to see that sparse knows __typeof_unqual__; without it
# kbuild drops sparse.  Supply the same test in the chroot.
sparse_check() {
	local f
	# source: the kernel's source tree (Debian: -common), a relative link.
	f=$(readlink -f "$CHROOT/lib/modules/$1/source")/scripts/checker-valid.sh
	[[ $f == "$CHROOT"/* ]] || die "no source tree for $1 in $CHROOT"
	[[ -e $f ]] && return
	cat >"$f" <<-'EOF'
		#!/bin/sh
		# Supplied by dm-vmirror's scripts/kernels.sh (missing from Debian's headers):
		# prints 1 if the checker "$@" parses __typeof_unqual__, as kbuild wants.
		f=$(mktemp --suffix=.c) || exit 1
		trap 'rm -f "$f"' EXIT
		echo 'static int u(const int *q) { __typeof_unqual__(*q) v = *q; return v; }' >"$f"
		if "$@" "$f" 2>&1 | grep -q error; then echo 0; else echo 1; fi
	EOF
	chmod +x "$f"
}

# build 6.1|6.12|sid: W=1 and sparse; any warning fails it.
build() {
	local k=$1 rel dir log start
	rel=$(release "$k")
	log=$CACHE/kbuild/$rel.log
	mkdir -p "$CACHE/kbuild"
	start=$SECONDS
	if [[ $k == sid ]]; then
		sparse_check "$rel"
		dir=$CHROOT/var/tmp/dm-vmirror
		copy_tree "$dir"
		in_chroot make -C "/lib/modules/$rel/build" M=/var/tmp/dm-vmirror W=1 C=2 modules >"$log" 2>&1 ||
			{ cat "$log" >&2; die "build for $rel ($k) failed"; }
	else
		dir=$CACHE/kbuild/$rel
		copy_tree "$dir"
		make -C "/lib/modules/$rel/build" M="$dir" W=1 C=2 modules >"$log" 2>&1 ||
			{ cat "$log" >&2; die "build for $rel ($k) failed"; }
	fi
	# "C=2 specified, but sparse is not available": kbuild went on without it.
	if grep -i -e 'warning' -e 'specified, but' "$log" >&2; then
		die "build for $rel ($k) has warnings (log: $log)"
	fi
	[[ -f $dir/kernel/dm-vmirror.ko ]] || die "no $dir/kernel/dm-vmirror.ko"
	echo "kernels: $k $rel: built with W=1 and sparse, no warnings, $((SECONDS - start)) s"
}

case ${1:-} in
uri) debian_uri ;;
install) install_kernel "${2:-}" ;;
sid) sid_chroot && release sid ;;
release) release "${2:?release 6.1|6.12|sid}" ;;
build)
	case ${2:-} in
	all) for k in 6.1 6.12 sid; do build $k; done ;;
	6.1 | 6.12 | sid) build "$2" ;;
	*) die "build 6.1|6.12|sid|all" ;;
	esac
	;;
*)
	sed -n '/^# Usage:/,/^# The archive/{/^# The archive/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
	;;
esac
