# shellcheck shell=bash
# 96-vmirrorctl: the command-line tool.  Every command; exit codes 0/1/2,
# one-line errors, usage errors with a "Try ... --help" line, COMMAND
# --help; --json (validated and compared with sysfs); refused operations
# change nothing; wait gives up at once in broken, aborted and failedover;
# watch fits the terminal and streams JSON; LVM volumes need --force; a
# live migration of a mounted, written ext4 from a linear device onto a
# mirror file created on the fly, then break, with every file's checksum
# verified; cancel keeps the source; one version everywhere.
DESCRIPTION="vmirrorctl: all commands, errors, --json, wait, watch, LVM guard, live start/break of a written ext4 onto a new file, cancel"

. "$VM_SUITE_DIR/vmirror-lib.sh"

CTL=$SRCDIR/tools/vmirrorctl/vmirrorctl
SYSFILES="bytes_copied bytes_zeroed copy_methodology copy_priority copy_rate copy_state copy_type
eta_seconds lag_bytes max_copy_rate mirror_errors percent_synced progress_status region_size
regions_synced regions_total replica_type requested_copy_state source source_errors
sync_maintained sync_mode sync_state sync_time sync_type target metadata metadata_state"
# What status adds to the sysfs files: the legs and the metadata device by
# path, a loop device's file, and sizes (bytes).
EXTRA_KEYS="name size source_path source_size target_file target_path target_size metadata_path metadata_file"

# run WANT CMD...  - CMD must exit with WANT; its output is in $TMPDIR/out
# and $TMPDIR/err.  A failure (1) prints exactly one "vmirrorctl: " line
# on stderr; bad usage (2) a "vmirrorctl: " line and "Try 'vmirrorctl
# [COMMAND] --help' for more information.".
run() {
	local want=$1 rc=0 err
	shift
	"$@" >"$TMPDIR/out" 2>"$TMPDIR/err" </dev/null || rc=$?
	# builtins only: every process costs under TCG
	mapfile -t err <"$TMPDIR/err"
	if ((rc != want)); then
		sed 's/^/   out: /' "$TMPDIR/out"; sed 's/^/   err: /' "$TMPDIR/err"
		die "'$*' exited $rc, want $want"
	fi
	case $want in
	0) ((${#err[@]} == 0)) || { cat "$TMPDIR/err"; die "'$*' wrote to stderr"; } ;;
	1) [[ ${#err[@]} == 1 && ${err[0]} == "vmirrorctl: "* ]] ||
		{ cat "$TMPDIR/err"; die "'$*': want one 'vmirrorctl: ' error line"; } ;;
	2) [[ ${#err[@]} == 2 && ${err[0]} == "vmirrorctl: "* &&
		${err[1]} =~ ^Try\ \'vmirrorctl\ ([a-z]+\ )?--help\'\ for\ more\ information\.$ ]] ||
		{ cat "$TMPDIR/err"; die "'$*': want an error line and a \"Try 'vmirrorctl --help'\" line"; } ;;
	esac
	if ((want)); then echo "   $want: $* -> ${err[0]}"; fi
}
err_has() { grep -q -- "$1" "$TMPDIR/err" || die "error '$(<"$TMPDIR/err")' does not mention '$1'"; }

section() { echo "== [$(date +%T)] $*"; }
sysfs() { cat "$(vmirror_sysfs "$1")/$2"; }
table_of() { dmsetup table "$1" | awk '{ $1 = $2 = ""; print substr($0, 3) }'; }
mm_of() { printf '%d:%d' "0x$(stat -Lc %t "$1")" "0x$(stat -Lc %T "$1")"; }
# quiet_dev NAME: live table, not suspended, no inactive table
quiet_dev() { [[ $(dmsetup info -c --noheadings -o attr "$1") == L--* ]]; }
no_loop_for() { # FILE: no loop device is backed by FILE
	local f
	for f in /sys/block/loop*/loop/backing_file; do
		[[ -e $f ]] || continue
		[[ $(<"$f") != "$1" ]] || die "$1 is still attached to ${f%/loop/backing_file}"
	done
}
loop_for() { # FILE: the loop device backed by FILE
	local f
	for f in /sys/block/loop*/loop/backing_file; do
		[[ -e $f && $(<"$f") == "$1" ]] && { f=${f%/loop/backing_file}; echo "${f##*/}"; return 0; }
	done
	die "no loop device for $1"
}

# json_check FILE SYSDIR NAME  - one object with the 28 sysfs names plus
# $EXTRA_KEYS, typed, with the values sysfs shows (the device must be
# quiet), and the paths and sizes of the device and its legs
json_check() {
	python3 - "$@" "$EXTRA_KEYS" <<'PY'
import json, os, sys
path, sysdir, name, extra = sys.argv[1:5]
o = json.load(open(path))
assert isinstance(o, dict), "not an object"
files = sorted(os.listdir(sysdir))
assert len(files) == 28, files
assert sorted(o) == sorted(files + extra.split()), "keys %s vs %s" % (sorted(o), files)
assert o["name"] == name, o["name"]
def blk(mm):
    d = "/sys/dev/block/" + mm
    return os.path.basename(os.path.realpath(d)), int(open(d + "/size").read()) * 512
for leg in ("source", "target"):
    dev, size = blk(o[leg])
    assert o[leg + "_size"] == size, "%s_size %r, want %d" % (leg, o[leg + "_size"], size)
    assert o[leg + "_path"] in ("/dev/" + dev, "/dev/mapper/" + (open("/sys/block/%s/dm/name" % dev).read().strip() if dev.startswith("dm-") else "")), \
        "%s_path %r for %s" % (leg, o[leg + "_path"], dev)
dmdev = os.path.basename(os.path.dirname(os.path.realpath(sysdir)))
assert o["size"] == int(open("/sys/block/%s/size" % dmdev).read()) * 512, "size %r" % o["size"]
tdev = blk(o["target"])[0]
bf = "/sys/block/%s/loop/backing_file" % tdev
assert o["target_file"] == (open(bf).read().strip() if os.path.exists(bf) else None), "target_file %r" % o["target_file"]
numbers = {"percent_synced", "sync_maintained", "max_copy_rate", "region_size",
           "regions_total", "regions_synced", "bytes_copied", "bytes_zeroed", "copy_rate",
           "eta_seconds", "source_errors", "mirror_errors", "lag_bytes", "size", "source_size", "target_size"}
for f in files:
    v = open(os.path.join(sysdir, f)).read().strip()
    j = o[f]
    if f in numbers:
        assert type(j) is int, "%s: %r is not a number" % (f, j)
        if f != "copy_rate":    # decays with time
            assert str(j) == v, "%s: json %r, sysfs %r" % (f, j, v)
    elif f in ("sync_time", "metadata"):
        assert (j is None and v == "-") or j == v, "%s: json %r, sysfs %r" % (f, j, v)
    else:
        assert type(j) is str and j == v, "%s: json %r, sysfs %r" % (f, j, v)
print("   json ok: %d keys, copy_state %s" % (len(o), o["copy_state"]))
PY
}

# A writer on a mounted filesystem: writes and rewrites 150 files of random
# data, recording each one's sha256 once written and fsynced, until
# $1/stop exists.
start_writer() {
	local mnt=$1
	(
		i=0
		while [[ ! -e $mnt/stop ]]; do
			f=$mnt/d$((i % 5))/f$((i % 150))
			mkdir -p "${f%/*}"
			dd if=/dev/urandom of="$f" bs=4k count=$((1 + RANDOM % 48)) conv=fsync status=none
			(cd "$mnt" && sha256sum "${f#"$mnt"/}") >>"$TMPDIR/sums.$(basename "$mnt")"
			i=$((i + 1))
		done
	) &
	WRITER=$!
}
stop_writer() {
	touch "$1/stop"
	wait "$WRITER" || die "the writer failed"
	rm -f "$1/stop"
	WRITER=
}
verify_sums() { # MNT: the last checksum recorded for each file
	local sums=$TMPDIR/sums.$(basename "$1") n
	n=$(wc -l <"$sums")
	tac "$sums" | awk '!seen[$2]++' >"$sums.last"
	(cd "$1" && sha256sum --quiet -c "$sums.last") || die "checksums differ"
	echo "   $n writes, the last versions of $(wc -l <"$sums.last") files verified"
	((n >= 5)) || die "the writer wrote only $n files"
}

# On exit (also after a failure): stop the writer, unmount.  Must not
# fail, or it would replace the test's exit status.
cleanup() {
	local rc=$? m
	set +e
	[[ -n ${WRITER:-} ]] && kill "$WRITER" 2>/dev/null
	for m in "$TMPDIR"/m1 "$TMPDIR"/m2 "$TMPDIR"/fs; do
		mountpoint -q "$m" 2>/dev/null && umount "$m"
	done
	exit $rc
}

# ms_since T0: milliseconds since T0 (date +%s%N)
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }

version_check() {
	local v
	section "one version: vmirrorctl, the module, the target"
	v=$(<"$SRCDIR/VERSION")
	run 0 "$CTL" --version
	cat "$TMPDIR/out" | sed 's/^/   /'
	[[ $(sed -n 1p "$TMPDIR/out") =~ ^vmirrorctl\ $v\ \(ioctl\ interface\ [0-9]+\)$ ]] ||
		die "vmirrorctl --version: $(sed -n 1p "$TMPDIR/out")"
	[[ $(sed -n 2p "$TMPDIR/out") =~ ^dm-vmirror\ module\ $v\ \(ioctl\ interface\ [0-9]+,\ target\ vmirror\ $v\)$ ]] ||
		die "vmirrorctl --version, module line: $(sed -n 2p "$TMPDIR/out")"
	[[ $(dmsetup targets | awk '$1 == "vmirror" { print $2 }') == "v$v" ]] ||
		die "dmsetup targets: $(dmsetup targets | grep vmirror), want v$v"
	[[ $(</sys/module/dm_vmirror/version) == "$v" ]] || die "MODULE_VERSION $(</sys/module/dm_vmirror/version)"
}

wait_dead_ends() {
	local pid rc t0 ms

	section "wait gives up at once where the state cannot come: aborted"
	run 0 "$CTL" create vm /dev/ram0 /dev/ram1 --max-rate 512 --region-size 64K
	"$CTL" wait vm --for synchronized --timeout 60 >"$TMPDIR/wait.out" 2>"$TMPDIR/wait.err" &
	pid=$!
	sleep 1
	[[ $(sysfs vm copy_state) == unsynchronized ]] || die "copy too fast: $(sysfs vm copy_state)"
	dmsetup message vm 0 cancel
	t0=$(date +%s%N)
	rc=0
	wait $pid || rc=$?
	ms=$(ms_since "$t0")
	echo "   wait exited $rc, $ms ms after the cancel: $(<"$TMPDIR/wait.err")"
	((rc == 1)) || die "wait exited $rc on aborted"
	((ms < 10000)) || die "wait took $ms ms to notice aborted (its timeout: 60 s)"
	[[ $(wc -l <"$TMPDIR/wait.err") == 1 ]] && grep -q 'aborted' "$TMPDIR/wait.err" ||
		die "wait: want one error line naming aborted"
	t0=$(date +%s%N)
	run 1 "$CTL" wait vm --timeout 60
	err_has "aborted"
	(($(ms_since "$t0") < 10000)) || die "wait on an aborted pair did not return at once"
	run 1 "$CTL" wait vm --for failedover --timeout 60
	run 0 "$CTL" wait vm --for aborted --timeout 0
	run 0 "$CTL" remove vm

	section "... broken"
	dmsetup create leg --table "0 131072 linear /dev/ram1 0"
	dm_mknodes
	run 0 "$CTL" create vm /dev/ram0 /dev/mapper/leg --nosync
	dmsetup load leg --table "0 131072 flakey /dev/ram1 0 0 60 1 error_writes"
	dmsetup suspend leg && dmsetup resume leg
	dd if=/dev/urandom of=/dev/mapper/vm bs=64k count=4 oflag=direct status=none
	[[ $(sysfs vm copy_state) == broken ]] || die "not broken: $(sysfs vm copy_state)"
	t0=$(date +%s%N)
	run 1 "$CTL" wait vm --timeout 60
	err_has "broken"
	(($(ms_since "$t0") < 10000)) || die "wait on a broken pair did not return at once"
	run 0 "$CTL" wait vm --for broken
	run 0 "$CTL" remove vm
	dmsetup remove leg

	section "... failedover; fractured waits (a resync may come)"
	run 0 "$CTL" create vm /dev/ram0 /dev/ram1 --nosync
	dmsetup message vm 0 break
	t0=$(date +%s%N)
	run 1 "$CTL" wait vm --for synchronized --timeout 60
	err_has "failedover"
	run 1 "$CTL" wait vm --for fractured --timeout 60
	err_has "failedover"
	(($(ms_since "$t0") < 20000)) || die "wait on a failedover pair did not return at once"
	run 0 "$CTL" wait vm --for failedover
	run 0 "$CTL" remove vm
	run 0 "$CTL" create vm /dev/ram0 /dev/ram1 --nosync
	run 0 "$CTL" fracture vm
	run 1 "$CTL" wait vm --timeout 1
	err_has "timed out"
	run 0 "$CTL" remove vm
}

watch_width_json() {
	local pid rc

	section "watch fits a 50-column terminal"
	run 0 "$CTL" create vm /dev/ram0 /dev/ram1 --nosync
	run 0 "$CTL" fracture vm
	dd if=/dev/urandom of=/dev/mapper/vm bs=1M count=8 oflag=direct status=none
	run 0 "$CTL" set vm --max-rate 2M
	run 0 "$CTL" resync vm
	script -qfec "stty cols 50 rows 20; $CTL watch vm" /dev/null >"$TMPDIR/tty.out" </dev/null ||
		die "watch on a tty failed"
	python3 - "$TMPDIR/tty.out" <<'PY' || die "watch does not fit 50 columns"
import re, sys
t = open(sys.argv[1], "rb").read().decode()
frames = [re.sub(r"\x1b\[K|\n", "", f) for f in t.split("\r")]
frames = [f for f in frames if f.strip()]
assert len(frames) >= 3, frames
w = max(len(f) for f in frames)
print("   %d frames, the widest %d columns: %r" % (len(frames), w, max(frames, key=len)))
assert w < 50, "frame of %d columns" % w
assert all("%" in f for f in frames), frames
PY

	section "watch --json: one JSON object per change, then exit as watch does"
	run 0 "$CTL" fracture vm
	dd if=/dev/urandom of=/dev/mapper/vm bs=1M count=16 oflag=direct status=none
	run 0 "$CTL" set vm --max-rate 8M
	run 0 "$CTL" resync vm
	run 0 "$CTL" watch vm --json
	python3 - "$TMPDIR/out" "$EXTRA_KEYS $SYSFILES" synchronized <<'PY' || die "watch --json"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
keys = set(sys.argv[2].split()) | {"event", "time"}
objs = [json.loads(l) for l in lines]
assert 3 <= len(objs) <= 120, "%d objects" % len(objs)
for o in objs:
    assert isinstance(o, dict) and set(o) == keys, sorted(set(o) ^ keys)
assert objs[0]["event"] == "exists" and all(o["event"] == "change" for o in objs[1:]), [o["event"] for o in objs]
watched = ("copy_state", "sync_state", "progress_status", "requested_copy_state", "percent_synced")
for a, b in zip(objs, objs[1:]):
    assert any(a[k] != b[k] for k in watched), "no change between %r and %r" % (a, b)
    assert b["percent_synced"] >= a["percent_synced"] or b["copy_state"] != a["copy_state"]
assert objs[-1]["copy_state"] == sys.argv[3], objs[-1]
print("   %d objects, %s -> %s %d%%" % (len(objs), objs[0]["copy_state"], objs[-1]["copy_state"], objs[-1]["percent_synced"]))
PY
	run 0 "$CTL" fracture vm
	dd if=/dev/urandom of=/dev/mapper/vm bs=1M count=8 oflag=direct status=none
	run 0 "$CTL" set vm --max-rate 512
	run 0 "$CTL" resync vm
	"$CTL" watch vm --json >"$TMPDIR/watch.out" 2>"$TMPDIR/watch.err" &
	pid=$!
	sleep 1.5
	dmsetup message vm 0 cancel
	rc=0
	wait $pid || rc=$?
	((rc == 1)) || die "watch --json exited $rc on aborted"
	[[ $(tail -n1 "$TMPDIR/watch.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["copy_state"])') == aborted ]] ||
		die "watch --json: the last object is not aborted: $(tail -n1 "$TMPDIR/watch.out")"
	grep -q 'copy_state aborted' "$TMPDIR/watch.err" || die "watch --json: no error line"
	run 0 "$CTL" remove vm
}

lvm_guard() {
	local uuid sz=32768 before img=$TMPDIR/lv.img

	section "start and break refuse an LVM logical volume unless --force"
	uuid=LVM-$(printf 'A%.0s' {1..32})$(printf 'B%.0s' {1..32})
	fill_random /dev/ram2 $sz
	dmsetup create lvol --uuid "$uuid" --table "0 $sz linear /dev/ram2 0"
	dm_mknodes
	before=$(table_of lvol)
	run 1 "$CTL" start lvol "$img"
	err_has "pvmove"
	[[ ! -e $img ]] || die "a refused start created the file"
	[[ $(table_of lvol) == "$before" ]] || die "a refused start changed the table"
	run 0 "$CTL" start lvol "$img" --force
	run 0 "$CTL" cancel lvol
	[[ $(table_of lvol) == "$before" ]] || die "cancel: $(table_of lvol)"
	run 0 "$CTL" start lvol "$img" --existing --force
	run 0 "$CTL" wait lvol --timeout 60
	run 1 "$CTL" break lvol
	err_has "pvmove"
	[[ $(table_of lvol) == vmirror* ]] || die "a refused break changed the table: $(table_of lvol)"
	run 0 "$CTL" break lvol --force
	[[ $(table_of lvol) == linear* ]] || die "break --force: $(table_of lvol)"
	cmp <(dd if=/dev/ram2 bs=1M count=16 iflag=direct status=none) "$img" || die "the file differs from the LV's old disk"
	run 0 "$CTL" remove lvol
	no_loop_for "$img"
	rm -f "$img"
}

usage_errors() {
	local c l lines
	section "usage: exit 2, one line and \"Try ... --help\" on stderr; --help on stdout"
	"$CTL" --help >"$TMPDIR/out" && grep -q '^Usage:' "$TMPDIR/out" || die "--help"
	grep -q 'powers of 1024' "$TMPDIR/out" || die "--help does not say what K, M, G mean"
	"$CTL" -h >/dev/null || die "-h"
	for c in create start status list watch wait break cancel pause resume activate fracture \
		split resync set remove; do
		run 0 "$CTL" $c --help
		mapfile -t lines <"$TMPDIR/out"
		[[ ${lines[0]} == "Usage: vmirrorctl $c "* ]] || die "$c --help: ${lines[0]}"
		# that command's help, not the whole list
		((${#lines[@]} < 30)) || die "$c --help: ${#lines[@]} lines"
		for l in "${lines[@]}"; do
			[[ $l != "  create NAME"* ]] || die "$c --help is the whole usage"
		done
	done
	grep -q -- '--force' <("$CTL" start --help) || die "start --help: no --force"
	run 2 "$CTL" status --json=x
	err_has "option '--json' takes no argument"
	run 2 "$CTL" list --json=yes
	err_has "option '--json' takes no argument"
	run 2 "$CTL" wait vm --for=
	err_has "--for"
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --frob
	err_has "unknown option '--frob'"
	err_has "Try 'vmirrorctl create --help'"
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 -x
	err_has "unknown option '-x'"
	for c in inactive prepared skewed not_applicable; do
		run 2 "$CTL" wait vm --for $c
		err_has "never"
	done
	# K, M, G are powers of 1024, and so are KiB, MiB, GiB; KB, MB are refused
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --region-size 64KB
	err_has "KiB"
	run 2 "$CTL" set vm --max-rate 30MB
	run 2 "$CTL"
	run 2 "$CTL" frobnicate vm
	run 2 "$CTL" --frob status
	run 2 "$CTL" status --frob
	run 2 "$CTL" status a b
	run 2 "$CTL" create vm /dev/ram0
	run 2 "$CTL" start lin
	run 2 "$CTL" pause
	run 2 "$CTL" break
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --region-size
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --region-size 3000
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --region-size 2K
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --region-size 2G
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --priority urgent
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --sync-mode maybe
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --max-rate fast
	run 2 "$CTL" create vm /dev/ram0 /dev/ram1 --max-rate 99999999G
	run 2 "$CTL" set vm
	run 2 "$CTL" set vm --priority 3
	run 2 "$CTL" wait vm --for bogus
	run 2 "$CTL" wait vm --timeout soon
	run 2 "$CTL" list extra
	[[ ! -e /dev/mapper/vm ]] || die "a usage error created something"
}

unknown_devices() {
	section "unknown devices and non-vmirror devices: exit 1"
	for c in status watch wait pause resume activate fracture split resync break cancel remove; do
		run 1 "$CTL" $c nosuch
		err_has "nosuch: no such device-mapper device"
	done
	run 1 "$CTL" set nosuch --priority low
	run 1 "$CTL" status /dev/mapper/nosuch
	run 1 "$CTL" status /dev/null
	dmsetup create plain --table "0 2048 linear /dev/ram3 0"
	run 1 "$CTL" status plain
	err_has "not a vmirror device"
	run 1 "$CTL" pause plain
	run 1 "$CTL" break plain
	run 1 "$CTL" create plain /dev/ram0 /dev/ram1
	err_has "exists already"
	dmsetup remove plain
	run 0 "$CTL" list
	[[ ! -s $TMPDIR/out ]] || die "list with no devices printed something"
	run 0 "$CTL" list --json
	[[ $(python3 -c 'import json,sys; print(json.load(sys.stdin))' <"$TMPDIR/out") == "[]" ]] ||
		die "list --json with no devices: $(<"$TMPDIR/out")"
}

commands() {
	local sys t0 secs

	section "create with every option; the node exists without udev"
	run 0 "$CTL" create vm /dev/ram0 /dev/ram1 --region-size 64K --priority low \
		--max-rate 1M --no-activation --sync-mode sync
	cat "$TMPDIR/out"
	[[ -b /dev/mapper/vm ]] || die "no /dev/mapper/vm"
	[[ $(mm_of /dev/mapper/vm) == $(vmirror_mm vm) ]] || die "/dev/mapper/vm has the wrong number"
	t=$(table_of vm)
	echo "   table: $t"
	[[ $t == "vmirror 1:0 0 1:1 0 7 region_size 128 copy_priority low max_copy_rate 1024 no_activation" ]] ||
		die "table: $t"
	[[ $(dmsetup table vm | awk '{ print $2 }') == $(dev_sectors /dev/ram0) ]] || die "length"
	sys=$(vmirror_sysfs vm)
	[[ $(<"$sys/copy_state") == initialized && $(<"$sys/progress_status") == requires_activate ]] ||
		die "state after create: $(<"$sys/copy_state")"

	section "refused operations: exit 1, the state word, nothing changed"
	for o in pause resume fracture split resync; do
		run 1 "$CTL" $o vm
		err_has "vm: operation not allowed while initialized"
	done
	run 1 "$CTL" break vm
	err_has "not synchronized"
	[[ $(<"$sys/copy_state") == initialized ]] || die "a refused operation changed the state"
	quiet_dev vm || die "attr $(dmsetup info -c --noheadings -o attr vm)"

	section "activate, pause, resume, set, wait"
	run 0 "$CTL" activate vm
	[[ $(<"$sys/copy_state") == unsynchronized ]] || die "activate"
	run 1 "$CTL" activate vm
	run 0 "$CTL" pause vm
	[[ $(<"$sys/progress_status") == dormant ]] || die "pause: $(<"$sys/progress_status")"
	run 0 "$CTL" resume vm
	[[ $(<"$sys/progress_status") == synchronizing ]] || die "resume: $(<"$sys/progress_status")"
	run 0 "$CTL" set vm --priority high
	[[ $(<"$sys/copy_priority") == high && $(<"$sys/max_copy_rate") == 1024 ]] || die "set --priority"
	run 0 "$CTL" set vm --max-rate 30M
	[[ $(<"$sys/max_copy_rate") == 30720 ]] || die "30M is $(<"$sys/max_copy_rate") KiB/s"
	run 0 "$CTL" set vm --priority same --max-rate 0
	[[ $(<"$sys/copy_priority") == same && $(<"$sys/max_copy_rate") == 0 ]] || die "set both"
	run 0 "$CTL" wait vm --timeout 60
	[[ $(<"$sys/copy_state") == synchronized ]] || die "wait returned early"

	section "wait times out (exit 1) after the timeout, sleeping"
	t0=$(date +%s%N)
	run 1 "$CTL" wait vm --for fractured --timeout 1.5
	err_has "timed out"
	secs=$((($(date +%s%N) - t0) / 1000000))
	echo "   took ${secs} ms"
	((secs >= 1400 && secs < 6000)) || die "wait --timeout 1.5 took $secs ms"
	run 0 "$CTL" wait vm --for synchronized --timeout 0

	section "status, --json, list"
	run 0 "$CTL" status vm
	[[ $(wc -l <"$TMPDIR/out") == 37 ]] || { cat "$TMPDIR/out"; die "status: want 37 lines"; }
	grep -Eq '^copy_state +synchronized$' "$TMPDIR/out" || die "status: copy_state"
	grep -Eq '^name +vm$' "$TMPDIR/out" || die "status: name"
	# the legs by path, and sizes in bytes and binary units
	grep -Eq '^source_path +/dev/ram0$' "$TMPDIR/out" || die "status: source_path"
	grep -Eq '^target_path +/dev/ram1$' "$TMPDIR/out" || die "status: target_path"
	grep -Eq '^target_file +-$' "$TMPDIR/out" || die "status: target_file"
	grep -Eq '^size +67108864 \(64\.0 MiB\)$' "$TMPDIR/out" || die "status: size"
	grep -Eq '^target_size +67108864 \(64\.0 MiB\)$' "$TMPDIR/out" || die "status: target_size"
	grep -Eq "^bytes_zeroed +$(<"$sys/bytes_zeroed")( |$)" "$TMPDIR/out" || die "status: bytes_zeroed"
	run 0 "$CTL" status vm --json
	python3 -m json.tool "$TMPDIR/out" >/dev/null || die "status --json is not JSON"
	json_check "$TMPDIR/out" "$sys" vm
	run 0 "$CTL" status /dev/mapper/vm --json
	json_check "$TMPDIR/out" "$sys" vm
	run 0 "$CTL" status "$(dm_devname vm)" --json
	json_check "$TMPDIR/out" "$sys" vm

	run 0 "$CTL" create vm2 /dev/ram2 /dev/ram3 --nosync
	[[ $(sysfs vm2 copy_state) == synchronized && $(sysfs vm2 bytes_copied) == 0 ]] || die "--nosync"
	run 0 "$CTL" list
	cat "$TMPDIR/out"
	grep -Eq '^vm +synchronized +100%' "$TMPDIR/out" || die "list: vm"
	grep -Eq '^vm2 +synchronized +100%' "$TMPDIR/out" || die "list: vm2"
	run 0 "$CTL" list --json
	python3 -m json.tool "$TMPDIR/out" >/dev/null || die "list --json is not JSON"
	python3 - "$TMPDIR/out" <<'PY' || die "list --json"
import json, sys
a = json.load(open(sys.argv[1]))
assert isinstance(a, list) and len(a) == 2, a
assert sorted(d["name"] for d in a) == ["vm", "vm2"], a
for d in a:
    assert d["copy_state"] == "synchronized" and d["percent_synced"] == 100, d
    assert len(d) == 37, sorted(d)
PY
	run 0 "$CTL" status --json
	python3 -c 'import json,sys; a = json.load(open(sys.argv[1])); assert len(a) == 2 and all(len(d) == 37 for d in a)' \
		"$TMPDIR/out" || die "status --json of all devices"
	run 0 "$CTL" status
	[[ $(grep -c '^name ' "$TMPDIR/out") == 2 ]] || die "status of all devices"

	section "fracture, resync, split, resync"
	run 0 "$CTL" fracture vm
	[[ $(<"$sys/copy_state") == fractured ]] || die "fracture"
	run 1 "$CTL" break vm
	err_has "not synchronized (fractured"
	run 0 "$CTL" resync vm
	run 0 "$CTL" wait vm --for synchronized --timeout 60
	run 0 "$CTL" split vm
	[[ $(<"$sys/copy_state") == split ]] || die "split"
	run 0 "$CTL" resync vm
	run 0 "$CTL" wait /dev/mapper/vm --timeout 60

	section "watch on a synchronized device: one line, exit 0"
	run 0 "$CTL" watch vm
	cat "$TMPDIR/out"
	[[ $(wc -l <"$TMPDIR/out") == 1 ]] && grep -q '^vm: synchronized 100%' "$TMPDIR/out" ||
		die "watch output"

	section "remove"
	run 0 "$CTL" remove vm2
	run 0 "$CTL" remove vm
	[[ ! -e /dev/mapper/vm && ! -e /dev/mapper/vm2 ]] || die "nodes left after remove"
	run 1 "$CTL" status vm
	run 1 "$CTL" remove vm
}

watch_progress() {
	local pid n

	section "watch while copying: plain lines, about one a second, exit 0 at synchronized"
	run 0 "$CTL" create vm /dev/ram0 /dev/ram1 --max-rate 16M --region-size 256K
	"$CTL" watch vm >"$TMPDIR/watch.out" 2>"$TMPDIR/watch.err" || die "watch exited $?: $(<"$TMPDIR/watch.err")"
	sed 's/^/   | /' "$TMPDIR/watch.out"
	n=$(wc -l <"$TMPDIR/watch.out")
	((n >= 3 && n <= 40)) || die "watch printed $n lines for a ~4 s copy"
	tail -n1 "$TMPDIR/watch.out" | grep -q '^vm: synchronized 100%, 64.0 MiB of 64.0 MiB' || die "last watch line"
	grep -v '^vm: [a-z_]* [0-9]*%, .* of 64.0 MiB, .*/s, ETA .* (.*)$' "$TMPDIR/watch.out" && die "odd watch line"
	awk '{ p = $3 + 0; if (p < last) exit 1; last = p }' "$TMPDIR/watch.out" || die "percent went down"
	[[ $(sysfs vm copy_state) == synchronized ]] || die "watch exited before synchronized"

	section "watch on a terminal: \\r and clear-to-end-of-line"
	run 0 "$CTL" fracture vm
	dd if=/dev/urandom of=/dev/mapper/vm bs=1M count=8 oflag=direct status=none
	run 0 "$CTL" set vm --max-rate 2M
	run 0 "$CTL" resync vm
	script -qfec "$CTL watch vm" /dev/null >"$TMPDIR/tty.out" </dev/null || die "watch on a tty failed"
	grep -Eq $'\r\\[[#-]+\\] +[0-9]+%' "$TMPDIR/tty.out" || die "no progress bar: $(od -c "$TMPDIR/tty.out" | head)"
	grep -q $'\e\[K' "$TMPDIR/tty.out" || die "no clear-to-EOL"
	n=$(grep -o $'\r' "$TMPDIR/tty.out" | wc -l)
	echo "   $n frames for a ~4 s resync"
	((n >= 4)) || die "only $n frames"

	section "watch exits 1 when the pair is aborted"
	run 0 "$CTL" fracture vm
	run 0 "$CTL" set vm --max-rate 512
	dd if=/dev/urandom of=/dev/mapper/vm bs=1M count=8 oflag=direct status=none
	run 0 "$CTL" resync vm
	"$CTL" watch vm >"$TMPDIR/watch.out" 2>"$TMPDIR/watch.err" &
	pid=$!
	sleep 1.5
	dmsetup message vm 0 cancel
	local rc=0
	wait $pid || rc=$?
	cat "$TMPDIR/watch.out" "$TMPDIR/watch.err" | sed 's/^/   | /'
	((rc == 1)) || die "watch exited $rc on aborted"
	grep -q 'copy_state aborted' "$TMPDIR/watch.err" || die "watch: no error line"
	run 0 "$CTL" remove vm
}

break_refused() {
	local before

	section "break before synchronized: exit 1, old table resumed, device works"
	fill_random /dev/ram0 65536
	run 0 "$CTL" create vm /dev/ram0 /dev/ram1 --max-rate 256
	before=$(table_of vm)
	run 1 "$CTL" break vm
	err_has "not synchronized (unsynchronized"
	[[ $(table_of vm) == "$before" ]] || die "table changed: $(table_of vm)"
	quiet_dev vm || die "suspended or inactive table left"
	[[ $(sysfs vm copy_state) == unsynchronized ]] || die "state $(sysfs vm copy_state)"
	head -c 1M /dev/urandom >"$TMPDIR/blk"
	dd if="$TMPDIR/blk" of=/dev/mapper/vm bs=1M seek=3 oflag=direct status=none
	dd if=/dev/mapper/vm bs=1M skip=3 count=1 iflag=direct status=none | cmp - "$TMPDIR/blk" ||
		die "read back after a refused break"

	section "cancel while unsynchronized: linear over the source, data intact"
	dd if=/dev/mapper/vm bs=1M iflag=direct status=none | sha256sum >"$TMPDIR/sum.before"
	run 0 "$CTL" cancel vm
	cat "$TMPDIR/out"
	[[ $(table_of vm) == "linear 1:0 0" ]] || die "after cancel: $(table_of vm)"
	dd if=/dev/mapper/vm bs=1M iflag=direct status=none | sha256sum | cmp - "$TMPDIR/sum.before" ||
		die "data changed by cancel"
	run 1 "$CTL" status vm
	err_has "not a vmirror device"
	run 1 "$CTL" cancel vm
	run 0 "$CTL" remove vm

	section "a repaired and resynced mirror can be broken (old errors do not count)"
	local sz=131072
	dmsetup create leg --table "0 $sz linear /dev/ram1 0"
	dm_mknodes
	run 0 "$CTL" create vm /dev/ram0 /dev/mapper/leg --nosync --region-size 64K
	dmsetup load leg --table "0 $sz flakey /dev/ram1 0 0 60 1 error_writes"
	dmsetup suspend leg && dmsetup resume leg
	dd if=/dev/urandom of=/dev/mapper/vm bs=64k count=4 oflag=direct status=none
	[[ $(sysfs vm copy_state) == broken && $(sysfs vm mirror_errors) -gt 0 ]] ||
		die "the mirror did not break: $(sysfs vm copy_state)"
	dmsetup load leg --table "0 $sz linear /dev/ram1 0"
	dmsetup suspend leg && dmsetup resume leg
	run 0 "$CTL" resync vm
	run 0 "$CTL" wait vm --timeout 60
	[[ $(sysfs vm mirror_errors) -gt 0 ]] || die "mirror_errors reset"
	run 0 "$CTL" break vm
	quiet_dev vm || die "suspended or inactive table left"
	[[ $(table_of vm) == *linear* ]] || die "not pivoted: $(table_of vm)"
	dd if="$TMPDIR/blk" of=/dev/mapper/vm bs=1M seek=5 oflag=direct status=none
	cmp <(dd if=/dev/ram1 bs=1M skip=5 count=1 iflag=direct status=none) "$TMPDIR/blk" ||
		die "a write after the break did not reach the mirror"
	run 0 "$CTL" remove vm
	dmsetup remove leg
}

start_errors() {
	local before sz=131072

	section "start: refusals change nothing"
	dmsetup create two --table "0 1024 linear /dev/ram3 0
1024 1024 linear /dev/ram3 4096"
	run 1 "$CTL" start two "$TMPDIR/never.img"
	err_has "single linear target"
	[[ ! -e $TMPDIR/never.img ]] || die "a refused start created the file"
	dmsetup remove two
	dmsetup create lin --table "0 $sz linear /dev/ram0 0"
	before=$(table_of lin)

	run 1 "$CTL" start lin "$TMPDIR/missing.img" --existing
	err_has "no such file"
	[[ ! -e $TMPDIR/missing.img ]] || die "--existing created the file"

	truncate -s $((sz * 512 - 4096)) "$TMPDIR/small.img"
	run 1 "$CTL" start lin "$TMPDIR/small.img"
	err_has "too small"
	[[ $(stat -c %s "$TMPDIR/small.img") == $((sz * 512 - 4096)) ]] || die "small.img changed"
	no_loop_for "$TMPDIR/small.img"

	dmsetup create small --table "0 $((sz - 8)) linear /dev/ram1 0"
	dm_mknodes
	run 1 "$CTL" start lin /dev/mapper/small
	err_has "too small"
	dmsetup remove small

	dmsetup create user --table "0 $sz linear /dev/ram1 0"
	run 1 "$CTL" start lin /dev/ram1
	err_has "in use"
	dmsetup remove user
	run 1 "$CTL" start lin /dev/ram0
	err_has "in use"
	run 1 "$CTL" start lin /dev/mapper/lin
	run 1 "$CTL" start lin /dev/null
	err_has "not a block device or regular file"

	truncate -s $((sz * 512)) "$TMPDIR/busy.img"
	losetup -f "$TMPDIR/busy.img"
	run 1 "$CTL" start lin "$TMPDIR/busy.img"
	err_has "in use"
	losetup -d "$(losetup -j "$TMPDIR/busy.img" | cut -d: -f1)"

	# A table the kernel refuses after the file was created: the file and
	# its loop device are cleaned up (sync_mode async is refused by this
	# kernel version; if it is not, there is nothing to check).
	local rc=0
	"$CTL" start lin "$TMPDIR/async.img" --sync-mode async >"$TMPDIR/out" 2>"$TMPDIR/err" || rc=$?
	if ((rc == 1)); then
		echo "   1: start --sync-mode async -> $(<"$TMPDIR/err")"
		[[ ! -e $TMPDIR/async.img ]] || die "the created file was left behind"
		no_loop_for "$TMPDIR/async.img"
	else
		run 0 "$CTL" cancel lin
		dmsetup remove lin
		dmsetup create lin --table "0 $sz linear /dev/ram0 0"
	fi

	[[ $(table_of lin) == "$before" ]] || die "a refused start changed the table: $(table_of lin)"
	quiet_dev lin || die "lin left suspended or with an inactive table"
	run 1 "$CTL" start nosuch "$TMPDIR/x.img"
	[[ ! -e $TMPDIR/x.img ]] || die "start on a missing device created the file"
	dmsetup remove lin
}

live_migration() {
	local mnt=$TMPDIR/m1 sz=131072 img=/tmp/mirror.img loop n

	section "live migration: mounted ext4 on a linear device, written all along"
	dmsetup create lin --table "0 $sz linear /dev/ram0 0"
	dm_mknodes
	mkfs.ext4 -q -F /dev/mapper/lin
	mkdir -p "$mnt"
	mount /dev/mapper/lin "$mnt"
	rm -f "$img"
	start_writer "$mnt"
	sleep 2

	run 0 "$CTL" start /dev/mapper/lin "$img" --max-rate 16M --region-size 256K --priority high
	cat "$TMPDIR/out"
	[[ -f $img && $(stat -c %s "$img") == $((sz * 512)) ]] || die "mirror file size $(stat -c %s "$img")"
	loop=$(loop_for "$img")
	[[ $(table_of lin) == "vmirror 1:0 0 $(<"/sys/block/$loop/dev") 0 7 region_size 512 copy_priority high max_copy_rate 16384 mirror_zeroed" ]] ||
		die "table after start: $(table_of lin)"
	mountpoint -q "$mnt" || die "not mounted any more"
	run 0 "$CTL" status lin
	grep -E '^(copy_state|percent_synced|source_path|target_path|target_file|size) ' "$TMPDIR/out" | sed 's/^/   /'
	grep -Eq "^target_file +$img\$" "$TMPDIR/out" || die "status: target_file is not $img"
	grep -Eq "^target_path +/dev/$loop\$" "$TMPDIR/out" || die "status: target_path is not /dev/$loop"
	grep -Eq "^source_path +/dev/ram0\$" "$TMPDIR/out" || die "status: source_path is not /dev/ram0"
	run 0 "$CTL" status lin --json
	python3 -c 'import json,sys; o = json.load(open(sys.argv[1])); assert o["target_file"] == sys.argv[2], o' \
		"$TMPDIR/out" "$img" || die "status --json: target_file"

	run 0 "$CTL" wait lin --for synchronized --timeout 180
	echo "   synchronized; $(wc -l <"$TMPDIR/sums.m1") files so far"
	run 0 "$CTL" break lin
	cat "$TMPDIR/out"
	n=$(wc -l <"$TMPDIR/sums.m1")
	[[ $(table_of lin) == "linear $(<"/sys/block/$loop/dev") 0" ]] || die "after break: $(table_of lin)"
	[[ $(<"/sys/block/$loop/loop/backing_file") == "$img" ]] || die "loop device changed"
	run 1 "$CTL" status lin
	sleep 3		# the writer carries on, on the mirror now
	stop_writer "$mnt"
	echo "   $(($(wc -l <"$TMPDIR/sums.m1") - n)) files written after the break"
	(($(wc -l <"$TMPDIR/sums.m1") > n)) || die "no write after the break"
	umount "$mnt"

	echo "-- fsck -n and the checksums of every file written"
	e2fsck -fn /dev/mapper/lin >"$TMPDIR/fsck.txt" 2>&1 || { cat "$TMPDIR/fsck.txt"; die "fsck after break"; }
	mount /dev/mapper/lin "$mnt"
	verify_sums "$mnt"
	umount "$mnt"

	echo "-- remove: the loop device goes away, the file holds the filesystem"
	run 0 "$CTL" remove lin
	no_loop_for "$img"
	e2fsck -fn "$img" >"$TMPDIR/fsck.txt" 2>&1 || { cat "$TMPDIR/fsck.txt"; die "fsck of the mirror file"; }
	rm -f "$img"
}

cancel_keeps_source() {
	local mnt=$TMPDIR/m2 sz=131072 img=$TMPDIR/mirror2.img n

	section "cancel a live mirror: back on the source, data intact"
	dmsetup create lin --table "0 $sz linear /dev/ram2 0"
	dm_mknodes
	mkfs.ext4 -q -F /dev/mapper/lin
	mkdir -p "$mnt"
	mount /dev/mapper/lin "$mnt"
	truncate -s $((sz * 512)) "$img"
	start_writer "$mnt"
	sleep 2
	run 0 "$CTL" start lin "$img" --existing --max-rate 2M
	cat "$TMPDIR/out"
	grep -q "created" "$TMPDIR/out" && die "--existing said it created the file"
	sleep 2
	[[ $(sysfs lin copy_state) == unsynchronized ]] || die "copy too fast for this test: $(sysfs lin copy_state)"
	run 0 "$CTL" cancel lin
	cat "$TMPDIR/out"
	[[ $(table_of lin) == "linear 1:2 0" ]] || die "after cancel: $(table_of lin)"
	no_loop_for "$img"
	n=$(wc -l <"$TMPDIR/sums.m2")
	sleep 3
	stop_writer "$mnt"
	(($(wc -l <"$TMPDIR/sums.m2") > n)) || die "no write after the cancel"
	umount "$mnt"
	e2fsck -fn /dev/mapper/lin >"$TMPDIR/fsck.txt" 2>&1 || { cat "$TMPDIR/fsck.txt"; die "fsck after cancel"; }
	mount /dev/mapper/lin "$mnt"
	verify_sums "$mnt"
	umount "$mnt"
	run 0 "$CTL" remove lin
}

direct_io_file() {
	local fs=$TMPDIR/fs loop

	section "a mirror file on ext4 uses a direct-I/O loop device"
	mkfs.ext4 -q -F /dev/ram3
	mkdir -p "$fs"
	mount /dev/ram3 "$fs"
	fill_random /dev/ram1 16384
	dmsetup create lin --table "0 16384 linear /dev/ram1 0"
	dm_mknodes
	run 0 "$CTL" start lin "$fs/m.img"
	cat "$TMPDIR/out"
	loop=$(loop_for "$fs/m.img")
	[[ $(<"/sys/block/$loop/loop/dio") == 1 ]] || die "$loop does not use direct I/O"
	grep -q "direct I/O" "$TMPDIR/out" || die "start did not say direct I/O"
	run 0 "$CTL" wait lin --timeout 60
	run 0 "$CTL" break lin
	cmp <(dd if=/dev/ram1 bs=1M count=8 status=none) <(dd if=/dev/mapper/lin bs=1M iflag=direct status=none) ||
		die "the mirror file differs from the source"
	run 0 "$CTL" remove lin
	no_loop_for "$fs/m.img"
	umount "$fs"
}

test() {
	[[ -x $CTL ]] || die "$CTL not built (make -C tools/vmirrorctl)"
	vmirror_load
	modprobe loop
	make_ramdisks 4 64
	trap cleanup EXIT

	version_check
	usage_errors
	unknown_devices
	commands
	wait_dead_ends
	watch_progress
	watch_width_json
	lvm_guard
	break_refused
	start_errors
	live_migration
	cancel_keeps_source
	direct_io_file
	echo ok
}
