#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""File-level dependency graph of kernel/*.o: A -> B when A calls/uses a symbol B defines."""
import subprocess, sys, glob, os, collections
d = sys.argv[1] if len(sys.argv) > 1 else 'kernel'
objs = [o for o in sorted(glob.glob(os.path.join(d, '*.o'))) if not o.endswith('.mod.o') and 'dm-vmirror.o' not in o]
defs, undefs = {}, collections.defaultdict(set)
for o in objs:
    name = os.path.basename(o)[:-2]
    for line in subprocess.run(['nm', o], capture_output=True, text=True).stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in 'TDBR':
            defs[parts[2]] = name
        elif len(parts) == 2 and parts[0] == 'U':
            undefs[name].add(parts[1])
edges = collections.defaultdict(lambda: collections.defaultdict(list))
for a, syms in undefs.items():
    for s in syms:
        b = defs.get(s)
        if b and b != a:
            edges[a][b].append(s)
for a in sorted(edges):
    for b in sorted(edges[a]):
        print(f"{a} -> {b}: {', '.join(sorted(edges[a][b]))}")
# cycles (SCCs)
idx, low, st, on, sccs, n = {}, {}, [], set(), [], [0]
def sc(v):
    idx[v] = low[v] = n[0]; n[0] += 1; st.append(v); on.add(v)
    for w in edges.get(v, {}):
        if w not in idx: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], idx[w])
    if low[v] == idx[v]:
        comp = []
        while True:
            w = st.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(comp)
for v in [os.path.basename(o)[:-2] for o in objs]:
    if v not in idx: sc(v)
print("cycles:", sccs if sccs else "none")
