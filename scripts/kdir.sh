#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# The kernel build tree to build against (SPEC: "KDIR"); scripts/kver.sh
# chooses the release.  Prints nothing (and exits 0) when no headers are
# installed yet, so that "make deps" and "make clean" still work.
"$(dirname "$0")/kver.sh" --kdir 2>/dev/null || true
