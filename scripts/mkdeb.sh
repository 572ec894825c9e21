#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# make deb: dist/dm-vmirror-dkms_<version>_all.deb and
# dist/vmirrorctl_<version>_<arch>.deb, built by dpkg-buildpackage from
# debian/ in a copy of the tree in dist/build/ (dpkg-buildpackage writes to
# the parent directory, and a copy keeps build outputs of the work tree
# out of the packages).  The copy holds the files git knows, tracked or
# new, as they are in the work tree; without git, the tree minus dist/.
# Prints the paths of the two packages.
set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"
V=$(<VERSION)
ARCH=$(dpkg --print-architecture)
BUILD=$TOP/dist/build
SRC=$BUILD/dm-vmirror-$V

rm -rf "$BUILD"
mkdir -p "$SRC"
if git rev-parse --git-dir >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do
			[[ -e $f ]] && printf '%s\0' "$f"
		done | tar --null -T - -cf - | tar -xf - -C "$SRC"
else
	tar --exclude=./dist -cf - . | tar -xf - -C "$SRC"
fi

echo "mkdeb: dpkg-buildpackage in $SRC (log: $BUILD/build.log)"
if ! (cd "$SRC" && dpkg-buildpackage -b -us -uc) >"$BUILD/build.log" 2>&1; then
	tail -n 40 "$BUILD/build.log" >&2
	echo "mkdeb: dpkg-buildpackage failed (log: $BUILD/build.log)" >&2
	exit 1
fi
for deb in "dm-vmirror-dkms_${V}_all.deb" "vmirrorctl_${V}_${ARCH}.deb"; do
	[[ -f $BUILD/$deb ]] || { echo "mkdeb: $deb was not built" >&2; exit 1; }
	mv "$BUILD/$deb" "$TOP/dist/$deb"
	echo "dist/$deb"
done
