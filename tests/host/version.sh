#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# One version number for the module, the target, vmirrorctl and the
# packages: the VERSION file.  The build reads it (kernel/Kbuild,
# tools/vmirrorctl/Makefile); dkms.conf and debian/changelog must carry it
# as text (dh_dkms and dpkg read them as they are), and so does the
# documentation.  Checks those and what was built.  (The target's version
# in "dmsetup targets" is checked in the VM by 96-vmirrorctl.)
# Prints "PASS version (X.Y.Z)" or "FAIL version: ...".
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$TOP" || exit 1
why=
bad() { why+=" $*;"; }

V=$(<VERSION) || { echo "FAIL version: no VERSION file"; exit 1; }
[[ $V =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "FAIL version: VERSION '$V' is not MAJOR.MINOR.PATCH"; exit 1; }

d=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
[[ $d == "$V" ]] || bad "dkms.conf: PACKAGE_VERSION '$d'"
c=$(sed -n '1s/^dm-vmirror (\([^)]*\)).*/\1/p' debian/changelog)
[[ $c == "$V" ]] || bad "debian/changelog: top entry '$c'"
grep -q "target version $V," Documentation/vmirror.rst ||
	bad "Documentation/vmirror.rst does not say 'target version $V'"

# What was built, if it was (make check builds both first).
built=
ko=kernel/dm-vmirror.ko
if [[ -f $ko ]]; then
	built+=", module"
	m=$(modinfo -F version "$ko")
	[[ $m == "$V" ]] || bad "$ko: MODULE_VERSION '$m'"
fi
ctl=tools/vmirrorctl/vmirrorctl
if [[ -x $ctl ]]; then
	built+=", vmirrorctl"
	t=$("$ctl" --version | head -n 1)
	[[ $t == "vmirrorctl $V "* ]] || bad "vmirrorctl --version: '$t'"
fi
# No other version number written into the code.
old=$(grep -rnE '#define +[A-Z_]*VERSION_(MAJOR|MINOR|PATCH) +[0-9]|_VERSION +"[0-9]+\.' \
	kernel tools uapi 2>/dev/null)
[[ -z $old ]] || bad "a version written into the code: $old"

if [[ -n $why ]]; then
	echo "FAIL version ($V):$why"
	exit 1
fi
echo "PASS version ($V: VERSION, dkms.conf, debian/changelog, docs$built)"
