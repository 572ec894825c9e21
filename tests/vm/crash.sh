#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# tests/vm/crash.sh - the power-cut tests (host side).  Each test boots the
# VM twice on the same raw image files, attached as virtio disks:
#
#   phase 1  sets up a pair with metadata_dev, starts I/O or an operation,
#            notes what the target reported, and cuts the power (sysrq-b);
#   phase 2  boots a new VM on the same images, loads the same table line
#            and checks what the target remembered, then that the legs end
#            equal (cmp, O_DIRECT reads).
#
# Usage: tests/vm/crash.sh [-q] [TEST...]
#   TEST  names in tests/vm/crash/ (default: all, in name order)
#   -q    only the PASS/FAIL lines (a failing phase's output is still shown)
#
# A test file (tests/vm/crash/NAME.sh) sets DESCRIPTION, DISKS ("serial:MiB
# ..."; the guest finds them by serial, see crash-guest.sh) and defines
# phase1() and phase2().  Images are sparse files under $CRASH_TMP (default
# $TMPDIR or /tmp), removed after a passing test.  Output: "PASS NAME" or
# "FAIL NAME (why)" per test, then "N passed, N failed"; exit status 1 if
# any failed.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
QUIET=0
while getopts "qh" opt; do
	case $opt in
	q) QUIET=1 ;;
	*) sed -n '/^# Usage/,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

TESTS=()
if (($#)); then
	for t in "$@"; do
		t=$(basename "$t" .sh)
		[[ -f $HERE/crash/$t.sh ]] || { echo "crash.sh: no such test: $t" >&2; exit 2; }
		TESTS+=("$t")
	done
else
	for t in "$HERE"/crash/*.sh; do TESTS+=("$(basename "$t" .sh)"); done
fi

ROOT=$(mktemp -d "${CRASH_TMP:-${TMPDIR:-/tmp}}/vmirror-crash.XXXXXX")
passed=0 failed=0

# run_phase NAME N OUT EXTRA...  - one boot; its output to OUT.log
run_phase() {
	local name=$1 n=$2 out=$3 rc
	shift 3
	local -a opts=(--timeout "${CRASH_VM_TIMEOUT:-600}" --out "$out")
	((n == 1)) && opts+=(--power-cut)
	if ((QUIET)); then
		VM_QEMU_EXTRA="$*" "$HERE/run.sh" "${opts[@]}" -- \
			bash tests/vm/crash-guest.sh "$name" "$n" >"$out.log" 2>&1 </dev/null
		rc=$?
		((rc == 0)) || tail -n 40 "$out.log" | sed 's/^/    /'
	else
		VM_QEMU_EXTRA="$*" "$HERE/run.sh" "${opts[@]}" -- \
			bash tests/vm/crash-guest.sh "$name" "$n" </dev/null 2>&1 | tee "$out.log" | sed -u 's/^/    /'
		rc=${PIPESTATUS[0]}
	fi
	return "$rc"
}

cd "$HERE/../.." || exit 2 # run.sh runs the command in its cwd: the work tree
# The guest loads $VMIRROR_KO (vmirror-lib.sh) when it is set, as make check does.
export VM_ENV="${VM_ENV:-} VMIRROR_KO"
for name in "${TESTS[@]}"; do
	t=$HERE/crash/$name.sh
	desc=$(bash -c '. "$1" >/dev/null 2>&1; printf %s "${DESCRIPTION:-}"' _ "$t")
	disks=$(bash -c '. "$1" >/dev/null 2>&1; printf %s "${DISKS:-}"' _ "$t")
	echo "=== $name: $desc"
	dir=$ROOT/$name
	mkdir -p "$dir"
	extra=
	for d in $disks; do
		serial=${d%%:*} mib=${d#*:}
		truncate -s "${mib}M" "$dir/$serial.img"
		extra+=" -drive file=$dir/$serial.img,if=none,id=$serial,format=raw,cache=none"
		extra+=" -device virtio-blk-pci,drive=$serial,serial=$serial"
	done
	start=$(date +%s)
	reason=
	if ! run_phase "$name" 1 "$dir/p1" "$extra"; then
		reason="phase 1"
	else
		mkdir -p "$dir/p2"
		# What phase 1 noted (VM_OUT/notes) is phase 2's VM_OUT/phase1.
		cp -r "$dir/p1/notes" "$dir/p2/phase1" 2>/dev/null || mkdir -p "$dir/p2/phase1"
		run_phase "$name" 2 "$dir/p2" "$extra" || reason="phase 2"
	fi
	echo "    ($name took $(($(date +%s) - start))s)"
	if [[ -z $reason ]]; then
		echo "PASS $name"
		passed=$((passed + 1))
		rm -f "$dir"/*.img
	else
		echo "FAIL $name ($reason failed; logs and images in $dir)"
		failed=$((failed + 1))
	fi
done
echo "$passed passed, $failed failed"
((failed == 0))
