# shellcheck shell=bash
# 97-hostile-input: a generated corpus of mutated table lines, garbage
# messages and garbage sysfs writes: each refused cleanly (or, for a table
# line that happens to be valid, accepted and removed), no kernel warning,
# no device left, no state changed by a refused operation.
DESCRIPTION="500+ mutated table lines, garbage messages and sysfs writes"

. "$VM_SUITE_DIR/vmirror-lib.sh"

gen_lines() { # N SEED: mutated vmirror table lines, one per line
	python3 - "$1" "$2" <<'PY'
import random, sys
n, seed = int(sys.argv[1]), int(sys.argv[2])
rnd = random.Random(seed)
base = [
    "0 32768 vmirror /dev/ram0 0 /dev/ram1 0",
    "0 32768 vmirror /dev/ram0 0 /dev/ram1 0 2 region_size 128",
    "0 16384 vmirror 1:0 2048 1:1 4096 6 region_size 64 copy_priority low max_copy_rate 100",
    "0 32768 vmirror /dev/ram0 0 /dev/ram1 0 4 nosync no_activation sync_mode sync",
]
junk = ["-1", "0x10", "18446744073709551616", "4294967296", "", "nosync", "region_size",
        "copy_priority", "max_copy_rate", "sync_mode", "async", "high", "\\x00", "%s%s%n",
        "9" * 40, "/dev/ram2", "/dev/null", "1:1", "0", "7", "8", "2097152", "4194304",
        "a" * 300, "no_activation", "NOSYNC", "+5", "1e3", " "]
for _ in range(n):
    w = rnd.choice(base).split(" ")
    for _ in range(rnd.randint(1, 3)):
        op = rnd.randrange(6)
        i = rnd.randrange(3, len(w) + 1) if len(w) > 3 else 3
        if op == 0 and len(w) > 3:
            del w[min(i, len(w) - 1)]
        elif op == 1:
            w.insert(i, rnd.choice(junk))
        elif op == 2 and len(w) > 3:
            w[min(i, len(w) - 1)] = rnd.choice(junk)
        elif op == 3 and len(w) > 4:
            a, b = rnd.randrange(3, len(w)), rnd.randrange(3, len(w))
            w[a], w[b] = w[b], w[a]
        elif op == 4 and len(w) > 7:
            w[7] = str(rnd.choice([0, 1, 3, 5, 9, 10, 11, 12, 100]))
        else:
            w.append(rnd.choice(junk))
    line = " ".join(x for x in w if x != "")
    print(line.replace("\n", " "))
PY
}

test() {
	local n=0 ok=0 bad=0 line dev sys

	vmirror_load
	make_ramdisks 3 16
	while IFS= read -r line; do
		n=$((n + 1))
		if dmsetup create fz --table "$line" >/dev/null 2>&1; then
			ok=$((ok + 1))
			dmsetup remove fz || die "cannot remove the device of: $line"
		else
			bad=$((bad + 1))
			dmsetup info fz >/dev/null 2>&1 && die "device left behind by: $line"
		fi
	done < <(gen_lines 520 7)
	echo "table lines: $n tried, $bad refused, $ok valid (created and removed)"
	((n >= 500 && bad >= 400)) || die "corpus too small or too valid"
	[[ -z $(dmsetup ls | grep -v 'No devices') ]] || die "devices left: $(dmsetup ls)"

	echo "garbage messages leave the state alone"
	dmsetup create vm --table "0 32768 vmirror /dev/ram0 0 /dev/ram1 0"
	vmirror_wait vm synchronized 60
	local before after
	before=$(dmsetup status vm)
	for m in "" "bogus" "pause now" "copy_priority" "copy_priority 7" "copy_priority LOW" \
		"max_copy_rate" "max_copy_rate -1" "max_copy_rate 4294967296" "max_copy_rate 1k" \
		"max_copy_rate 1 2" "$(printf 'x%.0s' $(seq 2000))" "resync" "resume" "activate" \
		"pause" "split split" "break 1" "cancel now" "a b c d e f g h i j k l"; do
		if dmsetup message vm 0 $m >/dev/null 2>&1; then die "message accepted: '${m:0:40}'"; fi
	done
	after=$(dmsetup status vm)
	[[ $before == "$after" ]] || die "state changed: $before -> $after"

	echo "garbage sysfs writes leave the values alone"
	sys=$(vmirror_sysfs vm)
	for v in "x" "-1" "18446744073709551616" "1 2" "$(head -c 3000 /dev/zero | tr '\0' 9)"; do
		if printf '%s' "$v" >"$sys/max_copy_rate" 2>/dev/null; then die "max_copy_rate took '${v:0:20}'"; fi
		if printf '%s' "$v" >"$sys/copy_priority" 2>/dev/null; then die "copy_priority took '${v:0:20}'"; fi
	done
	for f in copy_state percent_synced regions_total source bytes_copied; do
		if echo 1 >"$sys/$f" 2>/dev/null; then die "$f is writable"; fi
	done
	[[ $(<"$sys/max_copy_rate") == 0 && $(<"$sys/copy_priority") == same ]] || die "values changed"
	dmsetup remove vm
	echo ok
}
