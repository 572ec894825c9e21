#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Run upstream's checkpatch.pl (--strict) over the kernel sources and the
# uapi header.  checkpatch comes from Debian's linux-source-6.1 tarball,
# extracted once into ~/.cache.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/dm-vmirror/checkpatch
CP=$CACHE/linux-source-6.1/scripts/checkpatch.pl

if [ ! -x "$CP" ]; then
	tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n 1)
	if [ -z "$tarball" ]; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q linux-source-6.1 >/dev/null
		tarball=$(ls /usr/src/linux-source-6.1.tar.* | head -n 1)
	fi
	mkdir -p "$CACHE"
	tar -C "$CACHE" -xf "$tarball" linux-source-6.1/scripts/checkpatch.pl \
		linux-source-6.1/scripts/spelling.txt linux-source-6.1/scripts/const_structs.checkpatch
fi

cd "$TOP"
"$CP" --no-tree --strict --show-types --ignore FILE_PATH_CHANGES -f \
	$(ls kernel/*.c kernel/*.h | grep -v '\.mod\.c$') uapi/linux/dm-vmirror.h
