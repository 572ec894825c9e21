#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""Guest side of "make bench": time one full copy, run by bench/guest.sh.

  copytime.py OUTDIR vmirror NAME [FIO_JOBFILE]
      NAME is a vmirror loaded with no_activation.  The clock runs from the
      "activate" message to copy_state "synchronized" (poll() on the sysfs
      attribute, which the target notifies on every state change).
      percent_synced, bytes_copied and copy_rate are sampled from sysfs
      every 0.25 s.  With FIO_JOBFILE, fio runs on the device (DEV in the
      job file) from just before the activation until the copy ends (then
      SIGINT: fio's JSON covers the copy).
  copytime.py OUTDIR dm-mirror NAME
      NAME has a "mirror" table loaded but not resumed: from the resume
      until the in-sync region count is complete (DM events).
  copytime.py OUTDIR md MDDEV
      MDDEV is a new raid1 held read-only with its resync pending: from
      array_state "active" until sync_action is idle again.
  copytime.py OUTDIR dd SRC DST MIB
      dd bs=1M iflag=direct oflag=direct; the time is the one dd reports
      (it starts after dd has started and opened the devices).

The trigger of each copy is a DM ioctl or a sysfs write made from here, not
a process spawn: a spawn takes tenths of a second under emulation, a large
and variable part of a copy that takes seconds.

Writes OUTDIR/result.json (method, seconds, bytes, timestamps); for vmirror
OUTDIR/samples.tsv; with fio OUTDIR/fio.json and OUTDIR/lat_lat.1.log.  If
a vmirror copy makes no progress for 30 s, it writes OUTDIR/stall.txt (what
the kernel shows) and stall.json instead and exits with status 3.
"""
import fcntl
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import time

SAMPLE_S = 0.25
STALL_S = 30          # no copy progress for this long: a stall, not slowness
EXIT_STALL = 3


def rd(path):
    with open(path) as f:
        return f.read().strip()


def die(msg):
    sys.exit(f"copytime: {msg}")


# ---- device-mapper ioctls (linux/dm-ioctl.h) --------------------------------

DM_IOCTL_SIZE = 312        # sizeof(struct dm_ioctl)
DM_DEV_SUSPEND, DM_DEV_STATUS, DM_DEV_WAIT, DM_TABLE_STATUS, DM_TARGET_MSG = 6, 7, 8, 12, 14
DM_SUSPEND_FLAG = 1 << 1
DM_BUFFER_FULL_FLAG = 1 << 8
_CONTROL = None


def dm_ioctl(cmd, name, flags=0, event_nr=0, payload=b"", bufsize=16384):
    """One DM ioctl on /dev/mapper/control; returns (header fields, data)."""
    global _CONTROL
    if _CONTROL is None:
        _CONTROL = os.open("/dev/mapper/control", os.O_RDWR)
    buf = bytearray(max(bufsize, DM_IOCTL_SIZE + len(payload)))
    # version[3] data_size data_start target_count open_count flags event_nr
    # padding dev name[128] uuid[129] data[7]
    struct.pack_into("=3IIIIiIIIQ128s", buf, 0, 4, 0, 0, len(buf), DM_IOCTL_SIZE,
                     0, 0, flags, event_nr, 0, 0, name.encode())
    buf[DM_IOCTL_SIZE:DM_IOCTL_SIZE + len(payload)] = payload
    req = (3 << 30) | (DM_IOCTL_SIZE << 16) | (0xfd << 8) | cmd  # _IOWR(0xfd, cmd, struct dm_ioctl)
    fcntl.ioctl(_CONTROL, req, buf, True)
    (_, _, _, data_size, data_start, target_count, _, flags, event_nr, _, _,
     _) = struct.unpack_from("=3IIIIiIIIQ128s", buf, 0)
    return {"flags": flags, "event_nr": event_nr, "target_count": target_count,
            "data_start": data_start, "data_size": data_size}, bytes(buf)


def dm_event_nr(name):
    return dm_ioctl(DM_DEV_STATUS, name)[0]["event_nr"]


def dm_status(name):
    """Status line of the (single) target of NAME, as in dmsetup status."""
    hdr, buf = dm_ioctl(DM_TABLE_STATUS, name)
    if hdr["target_count"] != 1 or hdr["flags"] & DM_BUFFER_FULL_FLAG:
        die(f"{name}: unexpected status ({hdr})")
    # struct dm_target_spec: sector_start length status next target_type[16]
    off = hdr["data_start"]
    start, length, _, _, ttype = struct.unpack_from("=QQiI16s", buf, off)
    text = buf[off + 40:].split(b"\0", 1)[0].decode()
    return ttype.split(b"\0", 1)[0].decode(), length, text


def dm_message(name, msg):
    dm_ioctl(DM_TARGET_MSG, name, payload=struct.pack("=Q", 0) + msg.encode() + b"\0")


def dm_resume(name):
    dm_ioctl(DM_DEV_SUSPEND, name)


def dm_wait(name, event_nr):
    dm_ioctl(DM_DEV_WAIT, name, event_nr=event_nr)


def dm_block(name):
    for d in os.listdir("/sys/block"):
        p = f"/sys/block/{d}/dm/name"
        if d.startswith("dm-") and os.path.exists(p) and rd(p) == name:
            return d
    die(f"no dm device {name}")


# ---- methods ----------------------------------------------------------------

def vmirror(outdir, name, jobfile=None):
    blk = dm_block(name)
    sysd = f"/sys/block/{blk}/vmirror"
    res = {"method": "vmirror", "name": name,
           "copy_priority": rd(f"{sysd}/copy_priority"),
           "max_copy_rate": int(rd(f"{sysd}/max_copy_rate")),
           "bytes": int(rd(f"/sys/block/{blk}/size")) * 512}
    state_f = open(f"{sysd}/copy_state")
    state = state_f.read().strip()
    if state != "initialized":
        die(f"{name} is {state}, not initialized")
    fio = None
    if jobfile:
        # Start fio and wait for its first write to reach the device
        # (/sys/block/dm-N/stat field 5, writes completed) before starting
        # the copy: fio's own start-up is slow under emulation.
        stat = f"/sys/block/{blk}/stat"
        w0 = int(rd(stat).split()[4])
        env = dict(os.environ, DEV=f"/dev/{blk}")
        res["t_fio_spawn"] = time.time()
        fio = subprocess.Popen(["fio", "--eta=never", "--output-format=json",
                                f"--output={outdir}/fio.json", jobfile],
                               cwd=outdir, env=env)
        while int(rd(stat).split()[4]) == w0:
            if fio.poll() is not None:
                die("fio ended before writing")
            time.sleep(0.01)
        res["t_io"] = time.time()

    poller = select.poll()
    poller.register(state_f, select.POLLPRI | select.POLLERR)
    samples = []
    t0 = time.time()
    dm_message(name, "activate")
    res["t_activate"] = t0
    nxt = t0
    t_end = None
    t_moved = t0
    while True:
        now = time.time()
        if now >= nxt:
            samples.append((now - t0, int(rd(f"{sysd}/percent_synced")),
                            int(rd(f"{sysd}/bytes_copied")),
                            int(rd(f"{sysd}/copy_rate"))))
            if len(samples) < 2 or samples[-1][2] != samples[-2][2]:
                t_moved = now
            elif now - t_moved > STALL_S:
                stalled(outdir, name, blk, res, samples, fio)
            nxt += SAMPLE_S
            continue
        if poller.poll(max(1, int((nxt - now) * 1000))):
            state_f.seek(0)
            state = state_f.read().strip()
            if state in ("synchronized", "broken"):
                t_end = time.time()
                break
    samples.append((t_end - t0, int(rd(f"{sysd}/percent_synced")),
                    int(rd(f"{sysd}/bytes_copied")), int(rd(f"{sysd}/copy_rate"))))
    if fio:
        res["t_fio_stop"] = time.time()
        fio.send_signal(signal.SIGINT)
        fio.wait()  # non-zero after SIGINT; the JSON tells if it went well
        with open(f"{outdir}/fio.json") as f:
            s = f.read()
        if any(j["error"] for j in json.loads(s[s.index("{"):])["jobs"]):
            die("fio failed")
        for log in ("clat", "slat"):
            os.unlink(f"{outdir}/lat_{log}.1.log")
    if state != "synchronized":
        die(f"{name} ended {state}")
    res["t_sync"] = t_end
    res["seconds"] = t_end - t0
    res["bytes_copied"] = int(rd(f"{sysd}/bytes_copied"))
    with open(f"{outdir}/samples.tsv", "w") as f:
        f.write("# t_s\tpercent_synced\tbytes_copied\tcopy_rate_Bps\n")
        for s in samples:
            f.write("%.3f\t%d\t%d\t%d\n" % s)
    return res


def stalled(outdir, name, blk, res, samples, fio):
    """The copy has not moved for STALL_S: save what the kernel shows and
    exit with EXIT_STALL.  (Writes held by a region that never finishes
    its copy cannot complete, so fio cannot be stopped cleanly.)"""
    sysd = f"/sys/block/{blk}/vmirror"
    out = [f"copy of {name} ({blk}) made no progress for {STALL_S} s",
           f"samples (t, percent, bytes_copied, copy_rate): {samples[-3:]}",
           "status: " + " ".join(str(x) for x in dm_status(name))]
    for a in sorted(os.listdir(sysd)):
        try:
            out.append(f"{sysd}/{a}: {rd(f'{sysd}/{a}')}")
        except OSError as e:
            out.append(f"{sysd}/{a}: {e}")
    out.append(f"/sys/block/{blk}/inflight: {rd(f'/sys/block/{blk}/inflight')}")
    out.append(f"/sys/block/{blk}/stat: {rd(f'/sys/block/{blk}/stat')}")
    for pid in sorted((p for p in os.listdir("/proc") if p.isdigit()), key=int):
        try:
            comm = rd(f"/proc/{pid}/comm")
            st = rd(f"/proc/{pid}/stat").rsplit(")", 1)[1].split()[0]
            if comm.startswith(("vmirror", "fio", "kworker")) and (st == "D" or not comm.startswith("kworker")):
                for tid in os.listdir(f"/proc/{pid}/task"):
                    out.append(f"--- {comm} pid {pid} tid {tid} state {st}\n"
                               + rd(f"/proc/{pid}/task/{tid}/stack"))
        except OSError:
            pass
    with open(f"{outdir}/stall.txt", "w") as f:
        f.write("\n".join(out) + "\n")
    with open(f"{outdir}/stall.json", "w") as f:
        json.dump({**res, "stalled_after_s": samples[-1][0], "samples": samples}, f, indent=1)
    try:
        with open("/proc/sysrq-trigger", "w") as f:
            f.write("w")  # blocked tasks, to the kernel log
    except OSError:
        pass
    print("\n".join(out), file=sys.stderr, flush=True)
    if fio:
        fio.kill()
    sys.exit(EXIT_STALL)


def dm_mirror(outdir, name):
    def synced():
        ttype, length, text = dm_status(name)
        # mirror: <#legs> <dev>... <synced>/<total> ...
        f = text.split()
        a, b = f[1 + int(f[0])].split("/")
        return a == b, length

    t0 = time.time()
    dm_resume(name)
    while True:
        ev = dm_event_nr(name)
        done, length = synced()
        if done:
            t1 = time.time()
            break
        dm_wait(name, ev)
    return {"method": "dm-mirror", "name": name, "seconds": t1 - t0,
            "bytes": length * 512, "t_start": t0}


def md(outdir, mddev):
    blk = os.path.basename(os.path.realpath(mddev))
    mdd = f"/sys/block/{blk}/md"
    size = int(rd(f"/sys/block/{blk}/size")) * 512
    state = rd(f"{mdd}/array_state")
    if state not in ("readonly", "read-auto"):
        die(f"{mddev} is {state}, not read-only")
    act = open(f"{mdd}/sync_action")
    poller = select.poll()
    poller.register(act, select.POLLPRI | select.POLLERR)
    act.read()
    t0 = time.time()
    with open(f"{mdd}/array_state", "w") as f:
        f.write("active")
    while True:
        # md notifies sync_action when the resync ends; the timeout only
        # guards against a missed wake-up.
        poller.poll(100)
        act.seek(0)
        if act.read().strip() == "idle" and rd(f"{mdd}/resync_start") == "none":
            t1 = time.time()
            break
    return {"method": "md", "name": mddev, "seconds": t1 - t0, "bytes": size,
            "t_start": t0}


def dd(outdir, src, dst, mib):
    t0 = time.time()
    p = subprocess.run(["dd", f"if={src}", f"of={dst}", "bs=1M", f"count={mib}",
                        "iflag=direct", "oflag=direct"], check=True,
                       capture_output=True, text=True)
    t1 = time.time()
    # "1073741824 bytes (1.1 GB, 1.0 GiB) copied, 4.56789 s, 235 MB/s"
    m = re.search(r"copied, ([0-9.]+) s", p.stderr)
    if not m:
        die(f"dd said: {p.stderr}")
    return {"method": "dd", "seconds": float(m.group(1)), "bytes": int(mib) << 20,
            "wall_seconds": t1 - t0, "t_start": t0}


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    outdir, method, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    os.makedirs(outdir, exist_ok=True)
    fn = {"vmirror": vmirror, "dm-mirror": dm_mirror, "md": md, "dd": dd}[method]
    res = fn(outdir, *args)
    res["MiB_per_s"] = res["bytes"] / res["seconds"] / 2**20
    with open(f"{outdir}/result.json", "w") as f:
        json.dump(res, f, indent=1)
    extra = f" ({res['copy_priority']})" if "copy_priority" in res else ""
    print(f"   {method}{extra}: {res['bytes'] >> 20} MiB in {res['seconds']:.2f} s"
          f" = {res['MiB_per_s']:.1f} MiB/s", flush=True)


if __name__ == "__main__":
    main()
