#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench/report.py - render the raw results of bench/guest.sh.

  report.py --raw RAWDIR --out RESULTSDIR

Writes RESULTSDIR/latest.md, latest.json and the plots (*.png, gnuplot).
Every figure is the median of the runs (each metric on its own).  Each goal
of issue #16 is decided from its per-run ratios (runs are interleaved, so
run i of one contender and run i of another were measured close
together): met when every per-run ratio meets it, not met when none does,
undecided when the min-max interval crosses it or there are fewer than
MIN_RUNS runs.  Missing parts (a failed or partial run) are left out, not
invented.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

WORKLOADS = [  # fio job name, title, data direction
    ("randwrite-4k-qd1", "4k random write, QD1", "write"),
    ("randwrite-4k-qd32", "4k random write, QD32", "write"),
    ("randread-4k-qd32", "4k random read, QD32", "read"),
    ("write-1m-qd8", "1M sequential write, QD8", "write"),
]
DEVICES = [  # guest.sh name, title
    ("raw", "raw device"),
    ("linear", "dm-linear"),
    ("dm-mirror", "dm-mirror"),
    ("md", "md raid1"),
    ("vmirror", "vmirror"),
]
SHORT = {"randwrite-4k-qd1": "4k randwrite QD1", "randwrite-4k-qd32": "4k randwrite QD32",
         "randread-4k-qd32": "4k randread QD32", "write-1m-qd8": "1M write QD8"}
BACKENDS = [("nullb-20us", "null_blk, 20 µs completions (memory-backed)"),
            ("nullb-100us", "null_blk, 100 µs completions (memory-backed)"),
            ("brd", "RAM disks (brd)"),
            ("null_blk", "null_blk (no data, no latency)")]
PRIOS = ["low", "same", "high"]
COPY_METHODS = [  # copy/BACKEND/<dir>, title
    ("dd", "dd bs=1M direct"),
    ("vmirror-low", "vmirror, copy_priority low"),
    ("vmirror-same", "vmirror, copy_priority same (default)"),
    ("vmirror-high", "vmirror, copy_priority high"),
    ("dm-mirror", "dm-mirror resync"),
    ("md", "md raid1 resync"),
]
METRICS = ["iops", "mib_s", "p50_us", "p99_us", "cpu_us"]
MIG_METHODS = [  # migrate/<dir>, title
    ("pvmove", "pvmove (LVM)"),
    ("vmirror-same", "vmirrorctl start + wait + break"),
    ("vmirror-low", "the same, --priority low"),
]
MIN_RUNS = 3  # fewer per-run ratios decide nothing


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def load_json(path):
    with open(path) as f:
        s = f.read()
    return json.loads(s[s.index("{"):])  # fio may print a line before it


def load_env(path):
    env = {}
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                if "=" in line:
                    k, v = line.rstrip("\n").split("=", 1)
                    env[k] = v
    return env


def runs(d, name):
    """RAW/d/runN/name (or RAW/d/runN.json), in run order."""
    out = []
    if not os.path.isdir(d):
        return out
    for e in sorted(os.listdir(d), key=lambda s: int("".join(c for c in s if c.isdigit()) or 0)):
        p = os.path.join(d, e, name) if name else os.path.join(d, e)
        if e.startswith("run") and os.path.exists(p):
            out.append(p)
    return out


def results(d):
    """The result.json of each run under d, with "dir" set to the run's dir."""
    out = []
    for p in runs(d, "result.json"):
        r = load_json(p)
        r["dir"] = os.path.dirname(p)
        out.append(r)
    return out


def fio_metrics(job, ddir):
    side = job[ddir]
    pct = side["lat_ns"].get("percentile", {})
    # CPU per I/O: fio's own user + system time (its threads: submission,
    # and completions that run in their context) over every I/O of the
    # group; job_runtime sums the runtimes of the group's jobs.
    ios = sum(job[d]["total_ios"] for d in ("read", "write", "trim") if d in job)
    busy_ms = (job.get("usr_cpu", 0) + job.get("sys_cpu", 0)) / 100 * \
        job.get("job_runtime", side["runtime"])
    return {
        "iops": side["iops"],
        "mib_s": side["bw_bytes"] / 2**20,
        "p50_us": pct.get("50.000000", 0) / 1000,
        "p99_us": pct.get("99.000000", 0) / 1000,
        "mean_us": side["lat_ns"]["mean"] / 1000,
        "runtime_s": side["runtime"] / 1000,
        "cpu_us": busy_ms * 1000 / ios if ios else None,
    }


def summarize(per_run):
    """[{metric: v}] -> {metric: median, 'runs': {metric: [v...]}}"""
    if not per_run:
        return None
    keys = per_run[0].keys()
    out = {k: median([r[k] for r in per_run]) for k in keys}
    out["runs"] = {k: [r[k] for r in per_run] for k in keys}
    out["n"] = len(per_run)
    return out


# ---- collect ----------------------------------------------------------------

def collect(raw):
    R = {"meta": load_env(f"{raw}/meta.env"), "host": load_env(f"{raw}/host.env"),
         "complete": os.path.exists(f"{raw}/complete"),
         "fio": {}, "copy_idle": {}, "copy_load": {}, "rate": None}
    for b, _ in BACKENDS:
        for d, _ in DEVICES:
            per = {w: [] for w, _, _ in WORKLOADS}
            for p in runs(f"{raw}/fio/{b}/{d}", None):
                jobs = {j["jobname"]: j for j in load_json(p)["jobs"]}
                for w, _, ddir in WORKLOADS:
                    if w in jobs:
                        per[w].append(fio_metrics(jobs[w], ddir))
            for w, _, _ in WORKLOADS:
                s = summarize(per[w])
                if s:
                    R["fio"].setdefault(b, {}).setdefault(w, {})[d] = s
        for m, _ in COPY_METHODS:
            res = results(f"{raw}/copy/{b}/{m}")
            if res:
                R["copy_idle"].setdefault(b, {})[m] = copy_summary(res)
    idle = [fio_metrics(load_json(p)["jobs"][0], "write")
            for p in runs(f"{raw}/load/idle", "fio.json")]
    if idle:
        R["copy_load"]["idle"] = {"host": summarize(idle)}
    for prio in PRIOS:
        res = results(f"{raw}/load/{prio}")
        host = [fio_metrics(load_json(f"{r['dir']}/fio.json")["jobs"][0], "write") for r in res]
        if res:
            R["copy_load"][prio] = copy_summary(res)
            R["copy_load"][prio]["host"] = summarize(host)
    R["stalls"] = []
    for prio in PRIOS:
        for p in runs(f"{raw}/load/{prio}", "stall.json"):
            st = load_json(p)
            R["stalls"].append({"copy_priority": prio, "run": os.path.basename(os.path.dirname(p)),
                                "stalled_after_s": st.get("stalled_after_s"),
                                "percent_synced": st["samples"][-1][1] if st.get("samples") else None})
    R["migrate"] = {}
    for m, _ in MIG_METHODS:
        res = results(f"{raw}/migrate/{m}")
        host = [fio_metrics(load_json(f"{r['dir']}/fio.json")["jobs"][0], "write") for r in res
                if os.path.exists(f"{r['dir']}/fio.json")]
        if res and len(host) == len(res):
            R["migrate"][m] = copy_summary(res)
            R["migrate"][m]["host"] = summarize(host)
    R["metadata"] = {}
    for b, _ in BACKENDS:
        for mode in ("mem", "md"):
            per = {"qd1": [], "qd32": []}
            for p in runs(f"{raw}/metadata/{b}/{mode}", None):
                jobs = {j["jobname"]: j for j in load_json(p)["jobs"]}
                for w in per:
                    per[w].append(fio_metrics(jobs[w], "write"))
            if per["qd1"]:
                R["metadata"].setdefault(b, {})[mode] = {w: summarize(v) for w, v in per.items()}
    res = results(f"{raw}/rate")
    if res:
        R["rate"] = copy_summary(res)
        R["rate"]["set_kib_s"] = res[0]["max_copy_rate"]
        R["rate"]["kib_s"] = R["rate"]["bytes"] / R["rate"]["seconds"] / 1024
    return R


def copy_summary(res):
    secs = [r["seconds"] for r in res]
    s = {"seconds": median(secs), "bytes": res[0]["bytes"],
         "runs": {"seconds": secs}, "n": len(res)}
    s["mib_s"] = s["bytes"] / 2**20 / s["seconds"]
    # The run with the median time, for the plots.
    order = sorted(range(len(res)), key=lambda i: secs[i])
    s["median_run_dir"] = res[order[(len(order) - 1) // 2]].get("dir")
    return s


# ---- markdown -----------------------------------------------------------------

def fmt(v, unit=""):
    if v is None:
        return "–"
    if unit == "iops" or (abs(v) >= 1000 and unit != "x"):
        return f"{v:,.0f}"
    if unit == "x":
        return f"{v:.2f}×"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def ratio(a, b):
    return a / b if a is not None and b else None


def per_run(a, b, key, inverse=False):
    """Ratio a/b run by run (runs are interleaved, so run i of one device
    and run i of another were measured close together)."""
    xs, ys = a["runs"][key], b["runs"][key]
    if inverse:  # times: the throughput ratio is b/a
        xs, ys = ys, xs
    return [x / y if y else None for x, y in zip(xs, ys)]


def verdict(per_run, thr, op):
    """(verdict, lo, hi, median) of a goal from its per-run ratios"""
    xs = sorted(x for x in per_run if x is not None)
    if not xs:
        return "not measured", None, None, None
    lo, hi, med = xs[0], xs[-1], statistics.median(xs)
    if len(xs) < MIN_RUNS:
        return f"undecided ({len(xs)} run{'s' if len(xs) > 1 else ''})", lo, hi, med
    if op == ">=":
        ok, bad = lo >= thr, hi < thr
    elif op == "<=":
        ok, bad = hi <= thr, lo > thr
    else:
        ok, bad = thr[0] <= lo and hi <= thr[1], hi < thr[0] or lo > thr[1]
    return ("met" if ok else "not met" if bad else "undecided"), lo, hi, med


def goals(R):
    """The goals of issue #16, then the remaining checks of issue #5:
    [{goal, backend, value, per_run, lo, hi, median, condition, verdict,
    issue}]"""
    G = []  # (issue, goal, backend, ratio of medians, threshold, op, per-run ratios)
    F = R["fio"]
    nj = R["meta"].get("numjobs", "?")
    for b, _ in BACKENDS:
        w = F.get(b, {})
        if not w:
            continue
        q1 = w.get("randwrite-4k-qd1", {})
        q32 = w.get("randwrite-4k-qd32", {})
        seq = w.get("write-1m-qd8", {})
        for rows, key, ref, thr, what in (
                (q1, "iops", "dm-mirror", 2.5, "4k randwrite QD1 IOPS, vmirror / dm-mirror"),
                (q1, "iops", "linear", 0.8, "4k randwrite QD1 IOPS, vmirror / dm-linear"),
                (q32, "iops", "dm-mirror", 1.3, f"4k randwrite QD32 ({nj} jobs) IOPS, vmirror / dm-mirror"),
                (q32, "iops", "md", 1.1, f"4k randwrite QD32 ({nj} jobs) IOPS, vmirror / md raid1"),
                (seq, "mib_s", "dm-mirror", 1.3, "1M seq write MiB/s, vmirror / dm-mirror")):
            if "vmirror" in rows and ref in rows:
                G.append(("#16", what, b, ratio(rows["vmirror"][key], rows[ref][key]), thr, ">=",
                          per_run(rows["vmirror"], rows[ref], key)))
    for b, _ in BACKENDS:
        c = R["copy_idle"].get(b, {})
        if "vmirror-same" in c and "dd" in c:
            G.append(("#16", "idle full copy throughput, vmirror (same) / dd", b,
                      ratio(c["vmirror-same"]["mib_s"], c["dd"]["mib_s"]), 1.2, ">=",
                      per_run(c["vmirror-same"], c["dd"], "seconds", inverse=True)))
    L = R["copy_load"]
    idle_host = L.get("idle", {}).get("host")
    ci = R["copy_idle"].get("brd", {})
    if "low" in L and idle_host:
        G.append(("#16", "copy under load, low: host p99 / idle p99", "brd",
                  ratio(L["low"]["host"]["p99_us"], idle_host["p99_us"]), 1.3, "<=",
                  per_run(L["low"]["host"], idle_host, "p99_us")))
    Mg = R.get("migrate", {})
    if "pvmove" in Mg:
        pv = Mg["pvmove"]
        for m, tag in (("vmirror-same", ""), ("vmirror-low", ", low")):
            if m not in Mg:
                continue
            x = Mg[m]
            G.append(("#16", f"migration{tag}: time, vmirrorctl start+wait+break / pvmove", "brd",
                      ratio(x["seconds"], pv["seconds"]), 0.5, "<=",
                      per_run(x, pv, "seconds")))
            G.append(("#16", f"migration{tag}: host p99 during the move, vmirror / pvmove", "brd",
                      ratio(x["host"]["p99_us"], pv["host"]["p99_us"]), 0.2, "<=",
                      per_run(x["host"], pv["host"], "p99_us")))
    for b, _ in BACKENDS:
        x = R["metadata"].get(b, {})
        if "mem" not in x or "md" not in x:
            continue
        for w, thr, issue in (("qd32", 0.9, "#16"), ("qd1", 0.85, "#11")):
            G.append((issue, f"4k randwrite {w.upper()} IOPS on a pair in use, metadata_dev / in-memory",
                      b, ratio(x["md"][w]["iops"], x["mem"][w]["iops"]), thr, ">=",
                      per_run(x["md"][w], x["mem"][w], "iops")))
    if "low" in L and "vmirror-low" in ci:
        G.append(("#5", "copy under load, low: copy rate / its idle rate", "brd",
                  ratio(L["low"]["mib_s"], ci["vmirror-low"]["mib_s"]), 0.10, ">=",
                  per_run(L["low"], ci["vmirror-low"], "seconds", inverse=True)))
    if "high" in L and "vmirror-high" in ci:
        G.append(("#5", "copy under load, high: copy rate / its idle rate", "brd",
                  ratio(L["high"]["mib_s"], ci["vmirror-high"]["mib_s"]), 0.8, ">=",
                  per_run(L["high"], ci["vmirror-high"], "seconds", inverse=True)))
    if R["rate"]:
        x = R["rate"]
        G.append(("#5", f"max_copy_rate {x['set_kib_s']} KiB/s: measured / set", "brd",
                  x["kib_s"] / x["set_kib_s"], (0.9, 1.1), "in",
                  [x["bytes"] / t / 1024 / x["set_kib_s"] for t in x["runs"]["seconds"]]))
    out = []
    for issue, what, b, v, thr, op, runs_ in G:
        vd, lo, hi, med = verdict(runs_, thr, op)
        cond = f"{thr[0]:.2f}–{thr[1]:.2f}" if op == "in" else f"{op} {thr:.2f}"
        out.append({"issue": issue, "goal": what, "backend": b, "value": v, "per_run": runs_,
                    "lo": lo, "hi": hi, "median": med, "condition": cond, "verdict": vd})
    return out


def goals_table(T, p):
    p("| issue | goal | backend | ratio of medians | per-run ratio: median [min–max] | "
      "per run | wanted | verdict |\n| --- | --- | --- | ---: | ---: | ---: | ---: | --- |")
    for t in T:
        vd = t["verdict"]
        vd = f"**{vd}**" if vd in ("met", "not met") else vd
        pr = ", ".join(f"{x:.2f}" for x in t["per_run"] if x is not None) or "–"
        spread = (f"{t['median']:.2f} [{t['lo']:.2f}–{t['hi']:.2f}]"
                  if t["median"] is not None else "–")
        p(f"| {t['issue']} | {t['goal']} | {t['backend']} | {fmt(t['value'], 'x')} | {spread} | "
          f"{pr} | {t['condition']} | {vd} |")
    p("")


def markdown(R, T, cmd):
    M, H = R["meta"], R["host"]
    o = []
    p = o.append
    p("# dm-vmirror benchmark results\n")
    p(f"Produced by `{cmd}` ({M.get('started', '?')}, {M.get('guest_seconds', '?')} s in the VM). "
      "What is measured and how to read it: [bench/README.md](../README.md).\n")
    if not R["complete"]:
        p("**The run did not complete: only what was measured is shown.**\n")
    for st in R.get("stalls", []):
        p(f"**A copy under load stalled**: copy_priority {st['copy_priority']}, {st['run']}: no "
          f"progress for 30 s at {st['percent_synced']} % ({st['stalled_after_s']:.0f} s after "
          "activate); host writes to its region never completed, so the run ended there. The "
          "kernel's view is in the raw output (`stall.txt`, `dmesg.txt`).\n")
    if M.get("quick") == "1":
        p("**BENCH_QUICK=1: tiny sizes and short runs; the figures mean nothing.**\n")
    p("| setting | value |\n| --- | --- |")
    rows = [
        ("machine", f"{H.get('host_cpus', '?')} CPUs ({H.get('host_cpu_model', '?')}), "
                    f"QEMU {H.get('accel', '?')}; guest {M.get('guest_cpus', '?')} vCPUs, "
                    f"{M.get('guest_mem_mb', '?')} MiB, kernel {M.get('guest_kernel', '?')}"),
        ("code", f"git {H.get('git', '?')}, dm-vmirror.ko sha256 {H.get('module_sha256', '?')}"),
        ("runs", f"{M.get('runs')} per figure (median), contenders interleaved; fio "
                 f"{M.get('runtime_s')} s per job after {M.get('ramp_s')} s ramp, "
                 f"{M.get('numjobs', 1)} jobs at QD32 and 1M; {M.get('fio')}"),
        ("devices", f"{M.get('copy_mb')} MiB each; region size {int(M.get('region_sectors', 0)) // 2} KiB "
                    "(vmirror and dm-mirror)"),
    ]
    if "host_load_start" in H:
        rows.append(("host load", f"load average {H['host_load_start']} at the start, "
                                  f"{H.get('host_load_end', '?')} at the end; "
                                  f"{H.get('host_other_vms_start', '?')} QEMU processes at the start "
                                  "(this VM not yet included)"))
    for k, v in rows:
        p(f"| {k} | {v} |")
    p("")
    p("Only ratios within this run mean something: the VM is emulated (TCG) and shares "
      "its host with other work.\n")

    if T:
        p("## Goals\n")
        p("Each goal is a ratio of vmirror's figure to a contender's. *Ratio of medians*: the "
          "medians of each; *per-run ratio*: the same ratio run by run (run i of each contender "
          f"ran back to back), its median and min–max. Verdict: **met** when every run meets "
          f"the goal, **not met** when none does, *undecided* when the runs fall on both sides "
          f"(or fewer than {MIN_RUNS} runs). With 5 runs the min–max holds the true median with "
          "94 % confidence. *not measured*: the harness has no such measurement yet.\n")
        goals_table(T, p)

    # fio
    for b, bt in BACKENDS:
        if b not in R["fio"]:
            continue
        p(f"## fio on {bt}\n")
        p("Each cell: median figure (ratio to dm-mirror / ratio to dm-linear). IOPS and MiB/s: "
          "higher is better; latencies (submission to completion, µs) and CPU per I/O (fio's "
          "user + system time per I/O, µs; work in other threads, such as md's raid1 thread "
          "or kworkers, is not in it): lower is better.\n")
        for w, wt, _ in WORKLOADS:
            rows = R["fio"][b].get(w)
            if not rows:
                continue
            p(f"### {wt}\n")
            p("| device | IOPS | MiB/s | p50 µs | p99 µs | CPU µs/IO |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: |")
            mref, lref = rows.get("dm-mirror"), rows.get("linear")
            for d, dt in DEVICES:
                if d not in rows:
                    continue
                cells = []
                for m in METRICS:
                    v = rows[d][m]
                    rm = ratio(v, mref[m]) if mref else None
                    rl = ratio(v, lref[m]) if lref else None
                    cells.append(f"{fmt(v, 'iops' if m == 'iops' else '')} "
                                 f"({fmt(rm, 'x')} / {fmt(rl, 'x')})")
                name = f"**{dt}**" if d == "vmirror" else dt
                p(f"| {name} | " + " | ".join(cells) + " |")
            p("")
        p(f"![fio on {b}](fio-{b}.png)\n")

    # idle copy
    if R["copy_idle"]:
        p("## Full copy, idle\n")
        p("Time from the start of the copy to its end with no other I/O (vmirror: `activate` "
          "message to synchronized; dm-mirror: resume to all regions in sync; md: read-write "
          "to resync done; dd: its own figure).\n")
        for b, bt in BACKENDS:
            c = R["copy_idle"].get(b)
            if not c:
                continue
            p(f"### {bt}\n")
            p("| method | MiB | seconds | MiB/s | vs dd | vs dm-mirror |\n"
              "| --- | ---: | ---: | ---: | ---: | ---: |")
            for m, mt in COPY_METHODS:
                if m not in c:
                    continue
                x = c[m]
                p(f"| {mt} | {x['bytes'] >> 20} | {fmt(x['seconds'])} | {fmt(x['mib_s'])} | "
                  f"{fmt(ratio(x['mib_s'], c.get('dd', {}).get('mib_s')), 'x')} | "
                  f"{fmt(ratio(x['mib_s'], c.get('dm-mirror', {}).get('mib_s')), 'x')} |")
            p("")
        p("![idle copy](copy-idle.png)\n")

    # under load
    L = R["copy_load"]
    if L:
        ci = R["copy_idle"].get("brd", {})
        ih = L.get("idle", {}).get("host")
        p("## Full copy under host load (RAM disks)\n")
        p("fio 4k random write, QD4, on the vmirror device during the whole copy; "
          "*idle* is the same fio on a synchronized vmirror with no copy. Copy rate "
          "compared with the idle copy at the same priority.\n")
        p("| copy_priority | copy s | copy MiB/s | vs idle copy | host IOPS | vs idle | "
          "p50 µs | p99 µs | p99 vs idle |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        if ih:
            p(f"| *idle (no copy)* | – | – | – | {fmt(ih['iops'], 'iops')} | 1.00× | "
              f"{fmt(ih['p50_us'])} | {fmt(ih['p99_us'])} | 1.00× |")
        for prio in PRIOS:
            if prio not in L:
                continue
            x, h = L[prio], L[prio]["host"]
            p(f"| {prio} | {fmt(x['seconds'])} | {fmt(x['mib_s'])} | "
              f"{fmt(ratio(x['mib_s'], ci.get('vmirror-' + prio, {}).get('mib_s')), 'x')} | "
              f"{fmt(h['iops'], 'iops')} | {fmt(ratio(h['iops'], ih and ih['iops']), 'x')} | "
              f"{fmt(h['p50_us'])} | {fmt(h['p99_us'])} | "
              f"{fmt(ratio(h['p99_us'], ih and ih['p99_us']), 'x')} |")
        p("")
        p("![progress](copy-progress.png)\n")
        for prio in PRIOS:
            if prio in L:
                p(f"![copy_priority {prio}](copy-{prio}.png)")
        p("")

    Mg = R.get("migrate", {})
    if Mg:
        p("## Migration of a volume in use: vmirror vs pvmove (RAM disks)\n")
        p(f"A {M.get('migrate_mb', '?')} MiB volume moved from one RAM disk to the other while "
          "fio writes 4k random QD4 to it (started 1 s before the move, stopped when it is "
          "over). pvmove: an LV in a VG of both disks, `pvmove` (LVM "
          f"{M.get('lvm', '?')}, no udev, no lvmpolld). vmirror: a linear device, "
          "`vmirrorctl start`, `wait`, `break`. Time: start of the command to the end of the "
          "last one; host figures over the whole fio run.\n")
        p("| method | seconds | vs pvmove | host IOPS | p50 µs | p99 µs | p99 vs pvmove |\n"
          "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        pv = Mg.get("pvmove")
        for m, mt in MIG_METHODS:
            if m not in Mg:
                continue
            x, h = Mg[m], Mg[m]["host"]
            p(f"| {mt} | {fmt(x['seconds'])} | {fmt(ratio(x['seconds'], pv and pv['seconds']), 'x')} | "
              f"{fmt(h['iops'], 'iops')} | {fmt(h['p50_us'])} | {fmt(h['p99_us'])} | "
              f"{fmt(ratio(h['p99_us'], pv and pv['host']['p99_us']), 'x')} |")
        p("")

    if R["metadata"]:
        p("## metadata_dev vs in-memory (a pair in use)\n")
        p("Each run: a synchronized pair, one write in every region, then 4k randwrite QD1 and QD32 "
          "in the same fio process; without, then with `metadata_dev` (on a third device of the "
          "backend). Median IOPS, p99 µs (ratio metadata / memory).\n")
        p("| backend | QD | memory IOPS | metadata IOPS | ratio | memory p99 µs | metadata p99 µs |\n"
          "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
        for b, _ in BACKENDS:
            x = R["metadata"].get(b)
            if not x or "mem" not in x or "md" not in x:
                continue
            for w in ("qd1", "qd32"):
                a, m = x["mem"][w], x["md"][w]
                p(f"| {b} | {w[2:]} | {fmt(a['iops'], 'iops')} | {fmt(m['iops'], 'iops')} | "
                  f"{fmt(ratio(m['iops'], a['iops']), 'x')} | {fmt(a['p99_us'])} | {fmt(m['p99_us'])} |")
        p("")

    if R["rate"]:
        x = R["rate"]
        p("## max_copy_rate\n")
        p("| set KiB/s | copied MiB | seconds | measured KiB/s | measured / set |\n"
          "| ---: | ---: | ---: | ---: | ---: |")
        p(f"| {x['set_kib_s']} | {x['bytes'] >> 20} | {fmt(x['seconds'])} | {fmt(x['kib_s'])} | "
          f"{fmt(x['kib_s'] / x['set_kib_s'], 'x')} |\n")

    return "\n".join(o)


# ---- plots --------------------------------------------------------------------

def gnuplot(script, tmp):
    path = os.path.join(tmp, "plot.gp")
    with open(path, "w") as f:
        f.write(script)
    subprocess.run(["gnuplot", path], check=True, cwd=tmp)


def read_tsv(path):
    rows = []
    with open(path) as f:
        for line in f:
            if not line.startswith("#") and line.strip():
                rows.append([float(x) for x in line.replace(",", " ").split()])
    return rows


def plots(R, out, tmp):
    term = "set terminal pngcairo size 1000,560 font ',10' noenhanced\n"
    made = []
    # fio: IOPS relative to dm-linear, per workload, per device
    for b, bt in BACKENDS:
        F = R["fio"].get(b)
        if not F:
            continue
        dat = os.path.join(tmp, f"fio-{b}.dat")
        with open(dat, "w") as f:
            f.write("# workload " + " ".join(d for d, _ in DEVICES) + "\n")
            for w, wt, _ in WORKLOADS:
                wt = SHORT[w]
                if w not in F or "linear" not in F[w]:
                    continue
                ref = F[w]["linear"]["iops"]
                f.write(f'"{wt}" ' + " ".join(
                    f"{F[w][d]['iops'] / ref:.4f}" if d in F[w] else "NaN" for d, _ in DEVICES) + "\n")
        cols = " , ".join(f"'{dat}' using {i + 2}:xtic(1) title '{dt}'"
                          for i, (d, dt) in enumerate(DEVICES))
        gnuplot(term + f"""set output '{out}/fio-{b}.png'
set title 'fio on {bt}: IOPS relative to dm-linear (median of {R['meta'].get('runs')} runs)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set key top right
set grid ytics
set yrange [0:*]
set ylabel 'IOPS / dm-linear IOPS'
plot {cols}
""", tmp)
        made.append(f"fio-{b}.png")

    # idle copy throughput
    if R["copy_idle"]:
        dat = os.path.join(tmp, "copy-idle.dat")
        bs = [b for b, _ in BACKENDS if b in R["copy_idle"]]
        with open(dat, "w") as f:
            for m, mt in COPY_METHODS:
                f.write(f'"{mt}" ' + " ".join(
                    f"{R['copy_idle'][b][m]['mib_s']:.2f}" if m in R["copy_idle"][b] else "NaN"
                    for b in bs) + "\n")
        cols = " , ".join(f"'{dat}' using {i + 2}:xtic(1) title '{dict(BACKENDS)[b]}'"
                          for i, b in enumerate(bs))
        gnuplot(term + f"""set output '{out}/copy-idle.png'
set title 'Full copy of {R['meta'].get('copy_mb')} MiB, idle: MiB/s (median)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -20
set grid ytics
set yrange [0:*]
set ylabel 'MiB/s'
plot {cols}
""", tmp)
        made.append("copy-idle.png")

    # progress and host latency during the copy
    L = R["copy_load"]
    ci = R["copy_idle"].get("brd", {})
    ih = L.get("idle", {}).get("host")
    lines = []
    for prio in PRIOS:
        for kind, src in (("idle", ci.get(f"vmirror-{prio}")), ("under load", L.get(prio))):
            if src and src.get("median_run_dir") and os.path.exists(f"{src['median_run_dir']}/samples.tsv"):
                dat = os.path.join(tmp, f"pct-{prio}-{kind.replace(' ', '')}.dat")
                shutil.copy(f"{src['median_run_dir']}/samples.tsv", dat)
                lines.append((prio, kind, dat))
    if lines:
        color = {"low": 1, "same": 2, "high": 3}
        cols = " , ".join(f"'{dat}' using 1:2 with lines lw 2 lc {color[p]} dt {1 if k == 'idle' else 2} "
                          f"title '{p}, {k}'" for p, k, dat in lines)
        gnuplot(term + f"""set output '{out}/copy-progress.png'
set title 'percent_synced during the copy (sysfs, every 0.25 s; run with the median time)'
set xlabel 'seconds since activate'
set ylabel 'percent_synced'
set yrange [0:105]
set grid
set key bottom right
plot {cols}
""", tmp)
        made.append("copy-progress.png")
    for prio in PRIOS:
        x = L.get(prio)
        if not x or not x.get("median_run_dir"):
            continue
        d = x["median_run_dir"]
        res = load_json(f"{d}/result.json")
        lat = os.path.join(tmp, f"lat-{prio}.dat")
        off = res.get("t_io", res["t_activate"]) - res["t_activate"]
        with open(lat, "w") as f:
            for r in read_tsv(f"{d}/lat_lat.1.log"):
                f.write(f"{r[0] / 1000 + off:.3f} {r[1] / 1000:.1f}\n")
        pct = os.path.join(tmp, f"pctl-{prio}.dat")
        shutil.copy(f"{d}/samples.tsv", pct)
        ref = ""
        if ih:
            ref = (f", {ih['mean_us']:.1f} with lines dt 3 lc rgb 'gray30' axes x1y2 title 'idle mean latency'"
                   f", {ih['p99_us']:.1f} with lines dt 4 lc rgb 'black' axes x1y2 title 'idle p99'")
        gnuplot(term + f"""set output '{out}/copy-{prio}.png'
set title 'copy_priority {prio}: copy progress and host latency (fio 4k randwrite QD4, 250 ms means)'
set xlabel 'seconds since activate'
set ylabel 'percent_synced'
set y2label 'host write latency, µs'
set yrange [0:105]
set y2range [0:*]
set ytics nomirror
set y2tics
set grid
set key bottom right
plot '{pct}' using 1:2 with lines lw 2 lc 1 title 'percent_synced', \\
     '{lat}' using 1:2 with lines lw 1 lc 2 axes x1y2 title 'host mean latency per 250 ms'{ref}
""", tmp)
        made.append(f"copy-{prio}.png")
    return made


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raw", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cmd", default=os.environ.get("BENCH_CMD", "make bench"))
    a = ap.parse_args()
    R = collect(a.raw)
    T = goals(R)
    os.makedirs(a.out, exist_ok=True)
    made = []
    if shutil.which("gnuplot"):
        with tempfile.TemporaryDirectory() as tmp:
            made = plots(R, os.path.abspath(a.out), tmp)
    else:
        print("report: gnuplot not found, no plots", file=sys.stderr)
    with open(f"{a.out}/latest.md", "w") as f:
        f.write(markdown(R, T, a.cmd))

    def strip(x):  # no host paths in the JSON
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k != "median_run_dir"}
        return x
    with open(f"{a.out}/latest.json", "w") as f:
        json.dump({"command": a.cmd, **strip(R), "goals": T, "plots": made}, f, indent=1)
    print(f"report: {a.out}/latest.md, latest.json, {len(made)} plots", file=sys.stderr)


if __name__ == "__main__":
    main()
