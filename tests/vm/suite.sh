#!/bin/bash
# tests/vm/suite.sh - guest-side runner of the blktests-style VM test suite.
#
# Usage (from the host):
#   bash tests/vm/run.sh -- bash tests/vm/suite.sh [-q] [-t SECS] [TEST...]
#
#   TEST   test names or paths (e.g. 00-smoke-linear or tests/vm/tests/00-smoke-linear.sh);
#          default: every tests/vm/tests/*.sh, in name order
#   -q     do not stream test output to the console (only PASS/FAIL lines;
#          the log of a failing test is still printed)
#   -t S   per-test timeout in seconds (default 600, or $VM_TEST_TIMEOUT)
#
# A test file sets DESCRIPTION="..." and defines test(), which prints what it
# checks and returns 0 (pass) or non-zero (fail).  test() runs in its own
# bash process with `set -euo pipefail` and lib.sh sourced, so an unchecked
# failing command fails the test.  Around each test the kernel log is marked
# and checked: a BUG/WARNING/Oops/... line fails the test even if test()
# passed.  Leftover dm devices, md arrays and brd are cleaned up between tests.
#
# Environment of test(): cwd and TMPDIR = a fresh scratch dir (writable,
# /tmp/vmtest/NAME), SRCDIR = directory suite.sh was started from (the work
# tree, read-only), VM_SUITE_DIR = tests/vm, VM_OUT = output dir,
# VM_TEST_NAME = NAME.
#
# Per-test logs go to $VM_OUT/tests/NAME.log (test output) and
# $VM_OUT/tests/NAME.dmesg (kernel log during the test).
# Output ends with the line "N passed, N failed"; exit status 1 if any failed.
set -uo pipefail # no -e: the runner must survive failing tests

SUITE_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib.sh
. "$SUITE_DIR/lib.sh"

QUIET=0
TEST_TIMEOUT=${VM_TEST_TIMEOUT:-600}
while getopts "qt:h" opt; do
	case $opt in
	q) QUIET=1 ;;
	t) TEST_TIMEOUT=$OPTARG ;;
	*) sed -n '/^# Usage/,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))

if [[ ${VM_GUEST:-} != 1 ]]; then
	echo "suite.sh: not inside the test VM; run it as: tests/vm/run.sh -- bash tests/vm/suite.sh" >&2
	exit 2
fi
[[ $(id -u) == 0 ]] || die "suite.sh must run as root"

OUT=${VM_OUT:-$(mktemp -d)}
# Tests run in a scratch dir; they find the work tree (where run.sh was
# started) in $SRCDIR and this directory in $VM_SUITE_DIR.
export SRCDIR=${SRCDIR:-$PWD} VM_SUITE_DIR=$SUITE_DIR
LOGDIR=$OUT/tests
mkdir -p "$LOGDIR"

# Which tests.
TESTS=()
if (($#)); then
	for t in "$@"; do
		# Absolute paths: tests run with cwd = their scratch dir.
		if [[ -f $t ]]; then TESTS+=("$(realpath "$t")")
		elif [[ -f $SUITE_DIR/tests/$t ]]; then TESTS+=("$SUITE_DIR/tests/$t")
		elif [[ -f $SUITE_DIR/tests/$t.sh ]]; then TESTS+=("$SUITE_DIR/tests/$t.sh")
		else die "no such test: $t"
		fi
	done
else
	shopt -s nullglob
	TESTS=("$SUITE_DIR"/tests/*.sh)
	shopt -u nullglob
fi

# Best-effort cleanup of block-layer state a test may have left behind, so
# the next test starts clean.  Tests should clean up themselves; this is the
# safety net.
cleanup_between_tests() {
	dm_cleanup
	if command -v mdadm >/dev/null && compgen -G '/dev/md[0-9]*' >/dev/null; then
		mdadm --stop --scan >/dev/null 2>&1 || true
	fi
	[[ -d /sys/module/brd ]] && { rmmod brd 2>/dev/null || echo "suite.sh: warning: could not rmmod brd" >&2; }
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null || true
}

passed=0
failed=0
for t in "${TESTS[@]}"; do
	name=$(basename "$t" .sh)
	log=$LOGDIR/$name.log
	desc=$(bash -c '. "$1" >/dev/null 2>&1; printf %s "${DESCRIPTION:-}"' _ "$t")
	echo "=== $name: $desc"

	# Each test runs in a fresh writable scratch dir (tools like fio write
	# state files into the cwd; the work tree is read-only in the VM).
	scratch=/tmp/vmtest/$name
	rm -rf "$scratch" && mkdir -p "$scratch"

	dmesg_mark "start $name"
	# The test runs in its own bash: hand it the mark, so its
	# dmesg_since_mark sees only its own lines.
	export VM_DMESG_MARK
	start=$(date +%s)
	# Each test in its own bash process (a subshell that cannot leak state),
	# under a timeout.  timeout signals the whole process group on expiry.
	# shellcheck disable=SC2016
	runner='set -euo pipefail; . "$1"; . "$2"; declare -F test >/dev/null || die "$2 defines no test()"; test'
	if ((QUIET)); then
		(cd "$scratch" && TMPDIR=$scratch VM_TEST_NAME=$name \
			timeout -k 10 "$TEST_TIMEOUT" bash -c "$runner" _ "$SUITE_DIR/lib.sh" "$t") >"$log" 2>&1 </dev/null
		rc=$?
	else
		(cd "$scratch" && TMPDIR=$scratch VM_TEST_NAME=$name \
			timeout -k 10 "$TEST_TIMEOUT" bash -c "$runner" _ "$SUITE_DIR/lib.sh" "$t") </dev/null 2>&1 |
			tee "$log" | sed -u 's/^/    /'
		rc=${PIPESTATUS[0]}
	fi
	secs=$(($(date +%s) - start))

	# Give the kernel a moment to log asynchronous splats (e.g. from
	# workqueues) that belong to this test, then check the log.
	sleep 1
	dmesg_since_mark >"$LOGDIR/$name.dmesg"
	reason=
	if ((rc == 124 || rc == 137)); then
		reason="timed out after ${TEST_TIMEOUT}s"
	elif ((rc != 0)); then
		reason="exit status $rc"
	fi
	if ! dmesg_out=$(dmesg_check 2>&1); then
		reason="${reason:+$reason; }bad kernel messages"
		printf '%s\n' "$dmesg_out" | sed 's/^/    /'
	fi

	echo "    ($name took ${secs}s)"
	if [[ -z $reason ]]; then
		echo "PASS $name"
		passed=$((passed + 1))
	else
		if ((QUIET)); then
			echo "    --- last lines of $log:"
			tail -n 50 "$log" | sed 's/^/    /'
		fi
		echo "FAIL $name ($reason)"
		failed=$((failed + 1))
	fi
	cleanup_between_tests
	rm -rf "$scratch"
done

# On a kernel with kmemleak (make check-debug): anything the module
# allocated and lost during the whole suite is a failure.
if [[ -e /sys/kernel/debug/kmemleak ]] || mount -t debugfs none /sys/kernel/debug 2>/dev/null &&
	[[ -e /sys/kernel/debug/kmemleak ]]; then
	echo "=== kmemleak: objects leaked by dm-vmirror during the suite"
	echo scan >/sys/kernel/debug/kmemleak || true; sleep 5
	echo scan >/sys/kernel/debug/kmemleak || true
	cat /sys/kernel/debug/kmemleak >"$LOGDIR/kmemleak.txt"
	echo "    $(grep -c '^unreferenced object' "$LOGDIR/kmemleak.txt") unreferenced objects in all"
	if grep -q 'dm_vmirror\|vmirror_\|copier_\|region_map_' "$LOGDIR/kmemleak.txt"; then
		grep -B3 -A20 'dm_vmirror\|vmirror_\|copier_\|region_map_' "$LOGDIR/kmemleak.txt" | head -60 | sed 's/^/    /'
		echo "FAIL kmemleak"
		failed=$((failed + 1))
	else
		echo "PASS kmemleak"
		passed=$((passed + 1))
	fi
fi

echo "$passed passed, $failed failed"
((failed == 0))
