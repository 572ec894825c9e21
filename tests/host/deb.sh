#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb-check: the packages of "make deb" on this machine, for real.
#
#   deb-install      both debs install (apt-get, which waits for the dpkg
#                    lock); DKMS builds and installs the module for every
#                    kernel with headers, depmod finds it; the tool, man page,
#                    completion, header and vmirror-restore.service are in place
#   deb-vm-modprobe  in the VM (which sees this root), "modprobe dm-vmirror"
#                    loads the DKMS-built module and the installed tool
#                    mirrors a disk with it (tests/host/deb-guest.sh)
#   deb-purge        "apt-get purge" leaves none of the packages' files, no
#                    DKMS tree, no module and no modules.dep entry
#   dkms-source      the same for "make dkms-install" / "make dkms-uninstall"
#                    (DKMS from the source tree, without packages)
#   modules-install  "make modules_install" puts kernel/dm-vmirror.ko where
#                    modprobe finds it, "make uninstall" takes it away
#
# Needs root, the debs in dist/ ("make deb") and the module built.
# Whatever fails, the packages are purged (and the rest uninstalled) on exit; DKMS's signing key (/var/lib/dkms/mok.*) is
# removed again if this run created it.  Prints PASS/FAIL lines and the time
# of each step; exit status 1 if anything failed.
set -uo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$TOP" || exit 1
V=$(<VERSION)
ARCH=$(dpkg --print-architecture)
DEBS=("dist/dm-vmirror-dkms_${V}_all.deb" "dist/vmirrorctl_${V}_${ARCH}.deb")
PKGS=(dm-vmirror-dkms vmirrorctl)
LOG=$(mktemp -d /tmp/vmirror-deb.XXXXXX)
rc=0
fail() { echo "FAIL $*"; rc=1; }
t() { echo "$((SECONDS - T0)) s"; }

apt_get() {
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -y -q "$@"
}
# installed PKG: in any state but "not installed" (config-files counts)
installed() {
	local s
	s=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
	[[ -n $s && $s != not-installed ]]
}
# What DKMS may leave: its tree, the source, a module under /lib/modules.
leftovers() {
	local f
	[[ -e /var/lib/dkms/dm-vmirror ]] && echo /var/lib/dkms/dm-vmirror
	[[ -e /usr/src/dm-vmirror-$V ]] && echo "/usr/src/dm-vmirror-$V"
	find /lib/modules -name 'dm-vmirror.ko*' 2>/dev/null
	for k in "${KERNELS[@]}"; do
		f=$(modprobe -S "$k" --show-depends dm-vmirror 2>/dev/null) && echo "modules.dep of $k: $f"
	done
}

[[ $(id -u) == 0 ]] || { echo "FAIL deb-install: needs root (it installs packages)"; exit 1; }
for d in "${DEBS[@]}"; do
	[[ -f $d ]] || { echo "FAIL deb-install: $d missing ('make deb')"; exit 1; }
done
command -v dkms >/dev/null || { echo "FAIL deb-install: dkms is not installed ('scripts/deps.sh deb')"; exit 1; }
for p in "${PKGS[@]}"; do
	installed "$p" && { echo "FAIL deb-install: $p is installed already; this test installs and purges it: purge it first"; exit 1; }
done
# The kernels DKMS builds for: those with headers (its common.postinst).
KERNELS=()
for b in /lib/modules/*/build; do
	[[ -e $b/include ]] && KERNELS+=("$(basename "$(dirname "$b")")")
done
((${#KERNELS[@]})) || { echo "FAIL deb-install: no kernel headers installed ('make deps')"; exit 1; }
left=$(leftovers)
[[ -z $left ]] || { echo "FAIL deb-install: dm-vmirror is installed already, not from the packages: $left"; exit 1; }
MOK_BEFORE=0
[[ -e /var/lib/dkms/mok.key || -e /var/lib/dkms/mok.pub ]] && MOK_BEFORE=1
DKMS_SOURCE=0
MODULES_INSTALL=0

cleanup() {
	local p
	for p in "${PKGS[@]}"; do
		if installed "$p"; then
			echo "deb.sh: purging $p" >&2
			apt_get purge "$p" >>"$LOG/cleanup.txt" 2>&1
		fi
	done
	if ((DKMS_SOURCE)) && [[ -e /var/lib/dkms/dm-vmirror || -e /usr/src/dm-vmirror-$V ]]; then
		echo "deb.sh: make dkms-uninstall" >&2
		make -s dkms-uninstall >>"$LOG/cleanup.txt" 2>&1
	fi
	if ((MODULES_INSTALL)) && [[ -e /lib/modules/$(scripts/kver.sh)/extra/kernel/dm-vmirror.ko ]]; then
		echo "deb.sh: make uninstall" >&2
		make -s uninstall PREFIX="$LOG/prefix" >>"$LOG/cleanup.txt" 2>&1
	fi
	((MOK_BEFORE)) || rm -f /var/lib/dkms/mok.key /var/lib/dkms/mok.pub
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== install ${DEBS[*]} (DKMS builds for ${KERNELS[*]})"
T0=$SECONDS
if ! apt_get install --no-install-recommends "${DEBS[@]/#/./}" >"$LOG/install.txt" 2>&1; then
	sed 's/^/   /' "$LOG/install.txt" | tail -n 30
	fail "deb-install: apt-get install failed (log $LOG/install.txt)"
else
	grep -E "^(Building|Module build|Signing|Sign command|Public certificate|Error)" "$LOG/install.txt" | sed 's/^/   /'
	why=
	for p in "${PKGS[@]}"; do installed "$p" || why+=" $p not installed;"; done
	signed=()
	for k in "${KERNELS[@]}"; do
		dkms status -m dm-vmirror -v "$V" -k "$k" 2>/dev/null | grep -q ': installed' ||
			why+=" dkms status for $k: '$(dkms status -m dm-vmirror -v "$V" -k "$k" 2>&1)';"
		# compressed as the kernel's own modules are (6.12: .ko.xz)
		ko=$(compgen -G "/lib/modules/$k/updates/dkms/dm-vmirror.ko*" | head -n 1)
		if [[ -z $ko ]]; then
			why+=" no /lib/modules/$k/updates/dkms/dm-vmirror.ko*;"
			continue
		fi
		signed+=("$k: ${ko##*/} signed by '$(modinfo -F signer "$ko")'")
		[[ $(modinfo -F version "$ko") == "$V" ]] || why+=" $ko is version '$(modinfo -F version "$ko")';"
		[[ $(scripts/kver.sh --module "$ko") == "$k" ]] || why+=" $ko is built for $(scripts/kver.sh --module "$ko");"
		modprobe -S "$k" --show-depends dm-vmirror 2>/dev/null | grep -q "insmod $ko" ||
			why+=" modprobe -S $k does not find $ko (depmod);"
	done
	out=$(/usr/sbin/vmirrorctl --version | head -n 1)
	[[ $out == "vmirrorctl $V "* ]] || why+=" /usr/sbin/vmirrorctl --version: '$out';"
	for f in /usr/share/man/man8/vmirrorctl.8.gz /usr/share/bash-completion/completions/vmirrorctl \
		/usr/include/linux/dm-vmirror.h /lib/systemd/system/vmirror-restore.service; do
		[[ -f $f ]] || why+=" no $f;"
	done
	grep -qx 'ExecStart=/usr/sbin/vmirrorctl restore' /lib/systemd/system/vmirror-restore.service ||
		why+=" vmirror-restore.service does not run /usr/sbin/vmirrorctl restore;"
	echo '#include <linux/dm-vmirror.h>' | gcc -fsyntax-only -x c - 2>"$LOG/header.txt" ||
		why+=" <linux/dm-vmirror.h> does not compile: $(head -n 3 "$LOG/header.txt");"
	if [[ -z $why ]]; then
		printf '   %s\n' "${signed[@]}"
		[[ -f /var/lib/dkms/mok.pub ]] &&
			echo "   DKMS's signing certificate (MOK): /var/lib/dkms/mok.pub$( ((MOK_BEFORE)) || echo ', created by this run')"
		echo "PASS deb-install ($(t); module $V for ${KERNELS[*]})"
	else
		fail "deb-install:$why"
	fi
fi

if ((rc == 0)); then
	echo "== modprobe dm-vmirror in the VM"
	T0=$SECONDS
	tests/vm/run.sh --mem 1024 --timeout 600 --out "$LOG/vm" -- bash tests/host/deb-guest.sh "$V" \
		</dev/null >"$LOG/vm.txt" 2>&1
	vrc=$?
	line=$(grep -E '^(PASS|FAIL) deb-vm-modprobe' "$LOG/vm.txt" | tail -n 1)
	if ((vrc == 0)) && [[ $line == PASS* ]]; then
		echo "$line ($(t))"
	else
		sed 's/^/   /' "$LOG/vm.txt" | tail -n 20
		fail "deb-vm-modprobe: ${line:-the VM run failed} (exit $vrc, logs $LOG/vm)"
	fi
fi

echo "== purge"
T0=$SECONDS
files=$(for d in "${DEBS[@]}"; do dpkg-deb -c "$d"; done | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }')
if ! apt_get purge "${PKGS[@]}" >"$LOG/purge.txt" 2>&1; then
	sed 's/^/   /' "$LOG/purge.txt" | tail -n 20
	fail "deb-purge: apt-get purge failed (log $LOG/purge.txt)"
else
	why=
	for p in "${PKGS[@]}"; do installed "$p" && why+=" $p still installed;"; done
	for f in $files; do [[ -e $f ]] && why+=" $f left;"; done
	left=$(leftovers)
	[[ -z $left ]] || why+=" left: $(echo $left);"
	dkms status -m dm-vmirror 2>/dev/null | grep -q . && why+=" dkms status: $(dkms status -m dm-vmirror 2>&1);"
	if [[ -z $why ]]; then
		echo "PASS deb-purge ($(t); $(wc -w <<<"$files") files, the DKMS tree and the modules gone)"
	else
		fail "deb-purge:$why"
	fi
fi

echo "== make dkms-install, make dkms-uninstall"
T0=$SECONDS
DKMS_SOURCE=1
k=$(scripts/kver.sh)
if ! make -s dkms-install >"$LOG/dkms-install.txt" 2>&1; then
	sed 's/^/   /' "$LOG/dkms-install.txt" | tail -n 20
	fail "dkms-source: make dkms-install failed (log $LOG/dkms-install.txt)"
else
	why=
	ko=$(compgen -G "/lib/modules/$k/updates/dkms/dm-vmirror.ko*" | head -n 1)
	[[ -n $ko && $(modinfo -F version "$ko") == "$V" ]] || why+=" no dm-vmirror.ko of version $V in /lib/modules/$k/updates/dkms;"
	modprobe -S "$k" --show-depends dm-vmirror 2>/dev/null | grep -q "insmod $ko" ||
		why+=" modprobe -S $k does not find $ko;"
	make -s dkms-uninstall >"$LOG/dkms-uninstall.txt" 2>&1 || why+=" make dkms-uninstall failed;"
	left=$(leftovers)
	[[ -z $left ]] || why+=" left after dkms-uninstall: $(echo $left);"
	if [[ -z $why ]]; then
		echo "PASS dkms-source ($(t); built for $k, then removed)"
	else
		fail "dkms-source:$why"
	fi
fi

echo "== make modules_install, make uninstall"
T0=$SECONDS
MODULES_INSTALL=1
ko=/lib/modules/$k/extra/kernel/dm-vmirror.ko
if ! make -s modules_install >"$LOG/modules_install.txt" 2>&1; then
	sed 's/^/   /' "$LOG/modules_install.txt" | tail -n 20
	fail "modules-install: make modules_install failed (log $LOG/modules_install.txt)"
else
	why=
	cmp -s "$ko" kernel/dm-vmirror.ko || why+=" $ko is not kernel/dm-vmirror.ko;"
	modprobe -S "$k" --show-depends dm-vmirror 2>/dev/null | grep -q "insmod $ko" ||
		why+=" modprobe -S $k does not find $ko (depmod);"
	# PREFIX: a scratch one, so that a vmirrorctl in /usr/local stays
	make -s uninstall PREFIX="$LOG/prefix" >"$LOG/uninstall.txt" 2>&1 || why+=" make uninstall failed;"
	left=$(leftovers)
	[[ -z $left ]] || why+=" left after make uninstall: $(echo $left);"
	if [[ -z $why ]]; then
		echo "PASS modules-install ($(t); $ko, then removed)"
	else
		fail "modules-install:$why"
	fi
fi

echo "logs: $LOG"
exit $rc
