#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel build tree to build against (SPEC: "KDIR"): the running
# kernel's if it has one, else the newest installed /lib/modules/*/build.
if [ -d "/lib/modules/$(uname -r)/build" ]; then
	echo "/lib/modules/$(uname -r)/build"
	exit 0
fi
ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1
