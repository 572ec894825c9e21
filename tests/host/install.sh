#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Install paths, into scratch DESTDIRs (nothing on this machine changes):
# "make install" with PREFIX=/usr and the default /usr/local puts the tool,
# man page, bash completion, uapi header and systemd unit (checked by
# systemd-analyze verify) under PREFIX, "make uninstall"
# takes all of them away; "make modules_install" puts the module under
# /lib/modules/$KVER/extra and "make uninstall" removes it; "make module-src"
# (what the DKMS package and "make dkms-install" ship) holds every source
# file of the module.  Installing for real, DKMS and the packages:
# "make deb-check".  Prints "PASS install-paths" or "FAIL install-paths: ...".
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$TOP" || exit 1
D=$(mktemp -d /tmp/vmirror-install.XXXXXX)
trap 'rm -rf "$D"' EXIT
why=
bad() { why+=" $*;"; }
mk() { make -s --no-print-directory "$@" >>"$D/make.log" 2>&1 || bad "make $* failed: $(tail -n 3 "$D/make.log")"; }
files() { (cd "$1" && find . -type f -o -type l | sed 's/^\.//' | sort | tr '\n' ' '); }
V=$(<VERSION)

for prefix in /usr /usr/local; do
	dest=$D/tool${prefix//\//-}
	args=(DESTDIR="$dest")
	[[ $prefix == /usr/local ]] || args+=(PREFIX="$prefix")	# /usr/local: the default
	mk install "${args[@]}"
	want="$prefix/include/linux/dm-vmirror.h $prefix/lib/systemd/system/vmirror-restore.service $prefix/sbin/vmirrorctl $prefix/share/bash-completion/completions/vmirrorctl $prefix/share/man/man8/vmirrorctl.8 "
	got=$(files "$dest")
	[[ $got == "$want" ]] || bad "make install PREFIX=$prefix gave '$got', want '$want'"
	# The unit as systemd reads it (keys, values, targets, executables),
	# its ExecStart seen under DESTDIR; any complaint fails.
	if command -v systemd-analyze >/dev/null; then
		mkdir -p "$D/unit"
		sed "s|^ExecStart=|ExecStart=$dest|" "$dest$prefix/lib/systemd/system/vmirror-restore.service" \
			>"$D/unit/vmirror-restore.service"
		out=$(systemd-analyze verify --man=no "$D/unit/vmirror-restore.service" 2>&1)
		[[ $? -eq 0 && -z $out ]] || bad "systemd-analyze verify vmirror-restore.service: $out"
	fi
	mk uninstall "${args[@]}"
	got=$(files "$dest")
	[[ -z $got ]] || bad "make uninstall PREFIX=$prefix left $got"
done

KVER=$(make -s --no-print-directory print-kver)
if [[ -f kernel/dm-vmirror.ko && -n $KVER ]]; then
	mk modules_install DESTDIR="$D/mod"
	ko=/lib/modules/$KVER/extra/kernel/dm-vmirror.ko
	# The kernel's Kbuild may compress it (CONFIG_MODULE_COMPRESS_*).
	got=$(find "$D/mod" -name 'dm-vmirror.ko*' -printf '/%P\n')
	case $got in
	"$ko") unpack=cat ;;
	"$ko.xz") unpack="xz -dc" ;;
	"$ko.zst") unpack="zstd -dcq" ;;
	"$ko.gz") unpack="gzip -dc" ;;
	*) unpack= ;;
	esac
	if [[ -z $unpack ]]; then
		bad "make modules_install gave $(files "$D/mod"), want $ko (or compressed)"
	else
		# A signed module ends in its signature: compare what precedes it.
		$unpack "$D/mod$got" | cmp -s -n "$(stat -c %s kernel/dm-vmirror.ko)" - kernel/dm-vmirror.ko ||
			bad "the installed module differs from kernel/dm-vmirror.ko"
	fi
	mk uninstall DESTDIR="$D/mod"
	[[ -z $(find "$D/mod" -name 'dm-vmirror.ko*') ]] || bad "make uninstall left $(find "$D/mod" -name 'dm-vmirror.ko*')"
fi

mk module-src DESTDIR="$D/dkms"
src=$D/dkms/usr/src/dm-vmirror-$V
want=$( (git ls-files --cached --others --exclude-standard Kbuild VERSION LICENSE dkms.conf kernel uapi 2>/dev/null ||
	ls Kbuild VERSION LICENSE dkms.conf kernel/* uapi/linux/*) | sort | tr '\n' ' ')
got=$(cd "$src" 2>/dev/null && find . -type f | sed 's/^\.\///' | sort | tr '\n' ' ')
[[ $got == "$want" ]] || bad "make module-src gave '$got', want '$want'"
for f in $got; do cmp -s "$f" "$src/$f" || bad "$src/$f differs from $f"; done

if [[ -n $why ]]; then
	echo "FAIL install-paths:$why"
	exit 1
fi
echo "PASS install-paths (PREFIX=/usr and /usr/local, modules_install, module-src; DESTDIR)"
