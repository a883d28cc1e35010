"""Two ember source trees (before, after) and PyTorch eager on one workload's training step, in one
process, rounds interleaved: each tree's modules are swapped into sys.modules while its steps run.
Under changing load the in-round ratio after/before is steadier than alternating processes.

    git archive <commit> | tar -x -C /tmp/before
    python benchmarks/ab_trees.py /tmp/before "$PWD" 25
    WORKLOAD=lstm THREADS=2 python benchmarks/ab_trees.py /tmp/before "$PWD" 9
"""
import os, sys, time, statistics, importlib
THREADS = int(os.environ.get("THREADS", "1"))
WORKLOAD = os.environ.get("WORKLOAD", "transformer")
for v in ("OMP_NUM_THREADS","OPENBLAS_NUM_THREADS","MKL_NUM_THREADS"): os.environ[v]=str(THREADS)
before, after = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 9
sys.path.insert(0, after + "/benchmarks")
import nn as bench, torch
torch.set_num_threads(THREADS)
def clear():
    for m in [m for m in sys.modules if m == "ember" or m.startswith("ember.")]:
        del sys.modules[m]
def use(mods):
    clear(); sys.modules.update(mods)
modes = {}
for name, tree in (("before", before), ("after", after)):
    clear()
    sys.path.insert(0, tree)
    mod = importlib.import_module("ember")
    made = {}
    for c in (False, True):
        torch.manual_seed(0)
        made[f"{name}{'-c' if c else ''}"] = bench.setup(mod, "ember", WORKLOAD, c)
    for step, _, _, data in made.values():
        for i in range(3): step(*data[i % 4])
    mods = {m: sys.modules[m] for m in sys.modules if m == "ember" or m.startswith("ember.")}
    sys.path.remove(tree)
    for k, v in made.items():
        modes[k] = (v, mods)
torch.manual_seed(0)
modes["torch"] = (bench.setup(torch, "torch", WORKLOAD, False), None)
for (step, _, _, data), mods in modes.values():
    if mods: use(mods)
    for i in range(2): step(*data[i % 4])
times = {m: [] for m in modes}
for r in range(rounds):
    for m, ((step, _, _, data), mods) in modes.items():
        if mods: use(mods)
        t0 = time.perf_counter()
        for i in range(3): step(*data[i % 4])
        times[m].append((time.perf_counter() - t0) / 3)
for m in modes:
    print(f"{m:10s} {statistics.median(times[m])*1e3:8.2f} ms  ratio to torch {statistics.median(a/b for a,b in zip(times[m], times['torch'])):.3f}")
print("after/before eager", round(statistics.median(a/b for a,b in zip(times['after'], times['before'])),3),
      "compiled", round(statistics.median(a/b for a,b in zip(times['after-c'], times['before-c'])),3))
