"""Profiler benchmark: how much of a training step's wall time the per-op self times account for,
what profiling costs, and whether a step with the profiler off is as fast as before the hooks existed.

For each workload of benchmarks/nn.py (mlp, cnn, lstm, transformer; Adam; eager and compiled):
  covered   sum of the recorded ops' (or compiled kernels') self times / the step's wall time,
            under `ember.profiler.profile(record_shapes=True, profile_memory=True)`
  on/off    step time with the profiler on / off (the profiler's cost while it records)
  off/base  step time with the profiler off / the same step with ember from BASE (a commit before
            the hooks: `git archive` of it into a temporary folder), measured side by side

Each measurement runs in its own child process with BLAS pinned to --threads threads.

    python benchmarks/profiler.py                          # base: the commit before the profiler
    python benchmarks/profiler.py mlp cnn --steps 20 --base HEAD~3
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
WORKLOADS = ("mlp", "cnn", "lstm", "transformer")
BATCH = {"mlp": 128, "cnn": 64, "lstm": 32, "transformer": 32}
DEFAULT_BASE = "cadbcb6"  # the dispatch hook without any observer of this round


def worker(workload, mode, compiled, steps):
    import ember
    import nn as bench  # benchmarks/nn.py: the same models and data
    model, batch, loss_fn = bench.build(ember, workload)
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    data = [batch(BATCH[workload]) for _ in range(4)]

    def train_step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    run = ember.compile(train_step) if compiled else train_step
    for i in range(3):
        run(*data[i % 4]).item()
    times, covered = [], []
    for i in range(steps):
        if mode == "on":
            from ember.profiler import profile
            with profile(record_shapes=True, profile_memory=True) as prof:
                t0 = time.perf_counter_ns()
                run(*data[i % 4]).item()
                wall = time.perf_counter_ns() - t0
            events = [e for e in prof.events() if e.kind != "range"]
            covered.append(prof.events().self_cpu_time_total * 1e3 / wall if events else 0.0)
        else:
            t0 = time.perf_counter_ns()
            run(*data[i % 4]).item()
            wall = time.perf_counter_ns() - t0
        times.append(wall / 1e9)
    print(json.dumps({"step": float(np.median(times)), "covered": float(np.median(covered)) if covered else None}))


def child(tree, workload, mode, compiled, steps, threads):
    env = dict(os.environ, PYTHONPATH=tree, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    out = subprocess.run([sys.executable, __file__, "--worker", workload, mode, str(int(compiled)), str(steps)],
                         capture_output=True, text=True, env=env)
    if out.returncode:
        return {"error": (out.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return worker(sys.argv[2], sys.argv[3], sys.argv[4] == "1", int(sys.argv[5]))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workloads", nargs="*", default=list(WORKLOADS))
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--rounds", type=int, default=3, help="alternated base/off runs (the fastest counts)")
    p.add_argument("--base", default=DEFAULT_BASE, help="git commit whose ember is the 'before' (default %(default)s)")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as base:
        subprocess.run(f"git -C {ROOT} archive {args.base} ember | tar -x -C {base}", shell=True, check=True)
        print(f"{'workload':12s} {'mode':9s} {'covered':>8s} {'on/off':>7s} {'off/base':>9s} {'off ms':>8s}")
        for w in args.workloads:
            for compiled in (False, True):
                mode = "compiled" if compiled else "eager"
                runs = {"base": [], "off": []}
                for _ in range(args.rounds):  # alternated, the fastest of each kept: a shared machine is noisy
                    runs["base"].append(child(base, w, "off", compiled, args.steps, args.threads))
                    runs["off"].append(child(ROOT, w, "off", compiled, args.steps, args.threads))
                r = {k: min(v, key=lambda x: x.get("step", float("inf"))) for k, v in runs.items()}
                r["on"] = child(ROOT, w, "on", compiled, args.steps, args.threads)
                bad = [k for k, v in r.items() if "error" in v]
                if bad:
                    print(f"{w:12s} {mode:9s} error: {r[bad[0]]['error']}")
                    continue
                print(f"{w:12s} {mode:9s} {r['on']['covered']:8.1%} {r['on']['step'] / r['off']['step']:7.2f} "
                      f"{r['off']['step'] / r['base']['step']:9.3f} {r['off']['step'] * 1e3:8.2f}")


if __name__ == "__main__":
    main()
