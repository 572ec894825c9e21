#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""bench/profile-report.py - render bench/profile.sh's raw output as Markdown.

Reads DIR/DEVICE-qdN-RUN.{ios,self,child} (the writes the device completed
in perf's window; perf report's own samples per comm/dso/symbol; perf
report's share of all samples with a function on the stack) and prints, per workload: IOPS under the profiler, busy CPU
time per I/O by layer, and the functions that make vmirror's time per I/O
differ from dm-linear's and dm-mirror's.  Every figure is the median of the
runs (each figure separately).
"""
import argparse
import collections
import os
import statistics

DEVICES = ["linear", "dm-mirror", "md", "vmirror"]
NAMES = {"linear": "dm-linear", "dm-mirror": "dm-mirror", "md": "md raid1",
         "vmirror": "**vmirror**"}
# The target's own modules (dm-linear is part of dm_mod; dm-io and
# dm-kcopyd, used by dm-mirror and vmirror, are too).
TARGET = {"linear": set(), "dm-mirror": {"[dm_mirror]", "[dm_region_hash]", "[dm_log]"},
          "md": {"[raid1]"}, "vmirror": {"[dm_vmirror]"}}
CORE = {"[dm_mod]", "[md_mod]"}
LAYERS = ["target", "dm/md core", "null_blk", "kernel", "user", "perf"]
# Where a halted vCPU is sampled.
IDLE = {"default_idle", "native_safe_halt", "pv_native_safe_halt", "arch_safe_halt",
        "default_idle_call", "cpuidle_idle_call", "do_idle", "acpi_idle_do_entry",
        "acpi_safe_halt", "mwait_idle_with_hints", "intel_idle", "cpu_idle_poll",
        "poll_idle", "amd_e400_idle", "io_idle", "cpu_startup_entry"}
# Stack roots: on the stack of nearly everything, they say nothing.
ROOTS = IDLE | {"entry_SYSCALL_64_after_hwframe", "do_syscall_64", "ret_from_fork",
                "kthread", "worker_thread", "process_one_work", "start_secondary",
                "secondary_startup_64_no_verify", "rest_init", "arch_call_rest_init",
                "start_kernel", "x86_64_start_kernel", "x86_64_start_reservations",
                "asm_sysvec_apic_timer_interrupt", "sysvec_apic_timer_interrupt",
                "__sysvec_apic_timer_interrupt", "hrtimer_interrupt", "__hrtimer_run_queues",
                "irq_exit_rcu", "__irq_exit_rcu", "__do_softirq", "do_softirq",
                "syscall", "__libc_start_call_main", "__libc_start_main_impl", "_start",
                "smpboot_thread_fn", "run_ksoftirqd"}


def sym(field):
    """'[k] name' -> 'name'"""
    field = field.strip()
    return field.split("] ", 1)[1].strip() if "] " in field else field


MODSYMS = {}


def load_modsyms(d):
    """DIR/modsyms: "symbol [module]" per line, from the guest's
    /proc/kallsyms: perf names the module of a symbol only when it finds the
    module's file, else puts it in [kernel.kallsyms]."""
    path = os.path.join(d, "modsyms")
    if os.path.exists(path):
        for line in open(path):
            parts = line.split()
            if len(parts) == 2:
                MODSYMS.setdefault(parts[0], parts[1])


def module(dso, name):
    return MODSYMS.get(name, dso) if dso == "[kernel.kallsyms]" else dso


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = [p.strip() for p in line.rstrip("\n").split("|")]
            if len(parts) >= 3 and parts[0]:
                rows.append(parts)
    return rows


def one(d, dev, qd, run, hz, runtime):
    base = os.path.join(d, f"{dev}-qd{qd}-{run}")
    if not os.path.exists(base + ".ios"):
        return None
    ios = int(open(base + ".ios").read())
    if ios <= 0:
        return None
    iops = ios / runtime
    layers = collections.Counter()
    funcs = collections.Counter()
    total = idle = 0
    for samples, comm, dso, s in load(base + ".self"):
        n = int(samples)
        name = sym(s)
        dso = module(dso, name)
        total += n
        if comm.startswith("perf"):
            layers["perf"] += n
            continue
        if name in IDLE:
            idle += n
            continue
        if dso in TARGET[dev]:
            layers["target"] += n
        elif dso in CORE:
            layers["dm/md core"] += n
        elif dso == "[null_blk]":
            layers["null_blk"] += n
        elif dso.startswith("[") and dso not in ("[vdso]", "[unknown]"):
            layers["kernel"] += n
        else:
            layers["user"] += n
        funcs[(dso, name)] += n
    us = lambda n: n / hz / ios * 1e6  # samples -> CPU us per I/O
    child = {}
    for pct, dso, s in load(base + ".child"):
        name = sym(s)
        dso = module(dso, name)
        if name not in ROOTS:
            child[(dso, name)] = us(float(pct.rstrip("%")) / 100 * total)
    busy = sum(v for k, v in layers.items() if k != "perf")
    return {"iops": iops, "busy": us(busy), "idle": 100 * idle / max(total, 1),
            "layers": {k: us(layers[k]) for k in LAYERS},
            "funcs": {k: us(v) for k, v in funcs.items()}, "child": child}


def med(values):
    return statistics.median(values) if values else 0.0


def merged(runs, key):
    """median over the runs of a per-function figure (absent: 0)"""
    keys = set().union(*(r[key] for r in runs))
    return {k: med([r[key].get(k, 0.0) for r in runs]) for k in keys}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--runtime", type=float, required=True)
    ap.add_argument("--hz", type=int, required=True)
    ap.add_argument("--mb", required=True)
    ap.add_argument("--load", default="?")
    ap.add_argument("--git", default="?")
    a = ap.parse_args()
    load_modsyms(a.dir)
    meta = {}
    if os.path.exists(os.path.join(a.dir, "meta.env")):
        for line in open(os.path.join(a.dir, "meta.env")):
            k, _, v = line.strip().partition("=")
            meta[k] = v
    print("# Where the CPU time goes: a profile per device\n")
    print(f"Produced by `make bench-profile` (bench/profile.sh, git {a.git}). What it is for: "
          "[bench/README.md](../README.md), \"Profiles\".\n")
    print(f"QEMU TCG, guest {meta.get('guest_cpus', '?')} vCPUs, kernel "
          f"{meta.get('guest_kernel', '?')}, {meta.get('perf', 'perf ?')}, {meta.get('fio', 'fio ?')}; "
          f"host load average at the start {a.load}. Legs: memory-backed null_blk, "
          f"completion 20 us after submission, {a.mb} MiB, in sync; 512 KiB regions. fio 4k "
          f"random write; {a.runs} runs, devices interleaved; "
          f"`perf record -e cpu-clock -F {a.hz} -a -g` over {a.runtime:g} s inside each fio run "
          "(no PMU under TCG: the software clock samples both vCPUs). Medians of the runs.\n")
    print("CPU time per I/O (us) is samples / rate / writes: the CPU both vCPUs spent "
          "busy (not halted) in the window, for each write the device completed in it "
          "(its stat file). *busy* leaves perf's own work out; the *perf* column is it. "
          "Layers: *target* = the target's own modules (dm_mirror, dm_region_hash and "
          "dm_log; raid1; dm_vmirror; dm-linear, dm-io and dm-kcopyd are part of "
          "dm_mod), *dm/md core* = dm_mod or md_mod, *kernel* = the rest of the "
          "kernel (block layer, aio, interrupts, scheduler), *user* = fio and its "
          "libraries. The profiler slows every device; IOPS here are lower than in "
          "latest.md, compare them only with each other.\n")
    print("Skid: under TCG the sampling timer's interrupt is taken only where interrupts "
          "are enabled again, so time spent with interrupts off (the block layer's and "
          "null_blk's submission and completion, the scheduler) is charged to "
          "`_raw_spin_unlock_irq`, `_raw_spin_unlock_irqrestore` and "
          "`finish_task_switch`; a function's own time is a lower bound. The time with "
          "a function on the stack (last table of each workload) puts it back with its "
          "callers.\n")
    for qd in (1, 32):
        res = {}
        for dev in DEVICES:
            runs = [r for r in (one(a.dir, dev, qd, i, a.hz, a.runtime)
                                for i in range(1, a.runs + 1)) if r]
            if runs:
                res[dev] = runs
        if not res:
            continue
        jobs = "one job" if qd == 1 else "two jobs"
        print(f"## 4k random write, QD{qd} ({jobs})\n")
        print("| device | IOPS | busy CPU us/IO | " + " | ".join(LAYERS) + " | idle % |")
        print("| --- | ---: | ---: | " + " | ".join("---:" for _ in LAYERS) + " | ---: |")
        for dev, runs in res.items():
            cells = [f"{med([r['iops'] for r in runs]):,.0f}", f"{med([r['busy'] for r in runs]):.1f}"]
            cells += [f"{med([r['layers'][k] for r in runs]):.1f}" for k in LAYERS]
            cells.append(f"{med([r['idle'] for r in runs]):.0f}")
            print(f"| {NAMES[dev]} | " + " | ".join(cells) + " |")
        print()
        if "vmirror" not in res:
            continue
        vm = merged(res["vmirror"], "funcs")
        for peer in ("linear", "dm-mirror"):
            if peer not in res:
                continue
            pf = merged(res[peer], "funcs")
            diff = sorted(((vm.get(k, 0) - pf.get(k, 0), k) for k in set(vm) | set(pf)),
                          reverse=True)
            print(f"Functions whose own time per I/O is most above {NAMES[peer]}'s "
                  f"(QD{qd}; us per I/O):\n")
            print(f"| function | module | vmirror | {NAMES[peer]} | difference |")
            print("| --- | --- | ---: | ---: | ---: |")
            above = [x for x in diff if x[0] > 0][:12]
            for d, k in above:
                print(f"| `{k[1]}` | {k[0]} | {vm.get(k, 0):.2f} | {pf.get(k, 0):.2f} | +{d:.2f} |")
            if not above:
                print("| (none) | | | | |")
            below = [(d, k) for d, k in diff if d < 0][-5:]
            if below:
                print("| *below:* | | | | |")
                for d, k in sorted(below):
                    print(f"| `{k[1]}` | {k[0]} | {vm.get(k, 0):.2f} | {pf.get(k, 0):.2f} | {d:.2f} |")
            print()
        ch = merged(res["vmirror"], "child")
        top = sorted(((v, k) for k, v in ch.items() if k[0] == "[dm_vmirror]"), reverse=True)[:12]
        if top:
            print(f"vmirror's functions by time per I/O with them on the stack (QD{qd}; "
                  "their callees included; us per I/O):\n")
            print("| function | us/IO |")
            print("| --- | ---: |")
            for v, k in top:
                print(f"| `{k[1]}` | {v:.2f} |")
            print()
    copy_section(a)


def copy_run(d, method, run, hz, mb):
    base = os.path.join(d, f"copy-{method}-{run}")
    if not os.path.exists(base + ".secs"):
        return None
    secs = float(open(base + ".secs").read())
    busy = collections.Counter()
    funcs = collections.Counter()
    for samples, comm, dso, s in load(base + ".self"):
        n = int(samples)
        name = sym(s)
        dso = module(dso, name)
        if comm.startswith("perf") or name in IDLE:
            continue
        busy[comm] += n
        funcs[(dso, name)] += n
    total = sum(busy.values())
    # threads: the same name for every kworker/N:M of one kind is noise;
    # "kworker/1:2-kvmirror_reap" -> "kworker (kvmirror_reap)"
    threads = collections.Counter()
    for comm, n in busy.items():
        key = comm
        if comm.startswith("kworker/"):
            key = "kworker" + (f" ({comm.split('-', 1)[1]})" if "-" in comm else "")
        elif comm.startswith("vmirror/"):
            key = "vmirror/* (the copier)"
        threads[key] += n
    return {"mib_s": mb / secs, "secs": secs, "vcpus": total / hz / secs,
            "threads": {k: v / hz / secs for k, v in threads.items()},
            "funcs": {k: 100 * v / max(total, 1) for k, v in funcs.items()}}


def copy_section(a):
    res = {}
    for method in ("dd", "vmirror"):
        runs = [r for r in (copy_run(a.dir, method, i, a.hz, int(a.mb))
                            for i in range(1, a.runs + 1)) if r]
        if runs:
            res[method] = runs
    if not res:
        return
    print("## Full copy, idle\n")
    print(f"The whole source ({a.mb} MiB of random data) to the mirror: `dd bs=1M iflag=direct "
          "oflag=direct`, or a new vmirror pair from `dmsetup create` to synchronized; "
          "`perf record -a` over it. *vCPUs busy*: CPU time (perf left out) over the copy's "
          "time; then the threads that spent it, in vCPUs, and the functions with most of "
          "its own time. The vmirror copy is timed by polling `dmsetup status` (bash, "
          "awk, dmsetup: their vCPUs are the measurement's own cost).\n")
    print("| method | MiB/s | vCPUs busy | threads (vCPUs) | functions (% of busy time) |")
    print("| --- | ---: | ---: | --- | --- |")
    for method, runs in res.items():
        th = merged(runs, "threads")
        fn = merged(runs, "funcs")
        top_t = ", ".join(f"{k} {v:.2f}" for v, k in
                          sorted(((v, k) for k, v in th.items()), reverse=True)[:4])
        top_f = ", ".join(f"`{k[1]}` {v:.0f}" for v, k in
                          sorted(((v, k) for k, v in fn.items()), reverse=True)[:5])
        print(f"| {method} | {med([r['mib_s'] for r in runs]):.0f} | "
              f"{med([r['vcpus'] for r in runs]):.2f} | {top_t} | {top_f} |")
    print()


if __name__ == "__main__":
    main()
