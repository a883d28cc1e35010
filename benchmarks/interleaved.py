"""Training-step ratios to PyTorch eager measured in one process, modes interleaved step block by
step block: ember eager, ember compiled and PyTorch eager (same weights, same batches, benchmarks/nn.py's
workloads). On a shared machine, where load changes from second to second, this is steadier than
benchmarks/compare.py's one process per mode: every round times all three modes back to back and
the ratios are taken within the round. The GEMM rate is measured in every round too, so the floor
(the step's GEMM FLOPs at that rate) sees the same load. Peak memory and first-call times are
compare.py's job.

    python benchmarks/interleaved.py lstm transformer --rounds 9 --steps 3 --threads 1
"""
import argparse
import os
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["lstm", "transformer"])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--steps", type=int, default=3, help="steps per mode per round")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(args.threads)  # before NumPy and PyTorch load their BLAS
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import compare
    import nn as bench
    import torch
    import ember
    torch.set_num_threads(args.threads)
    print(f"{args.rounds} rounds x {args.steps} steps per mode, {args.threads} threads; medians over rounds of "
          f"the in-round ratio to PyTorch eager; floor: GEMM FLOPs at the GEMM rate of the same round")
    print(f"{'row':12s} {'ember':>16s} {'ember-compiled':>16s} {'torch':>10s}  target(c) target(e)  c<=e   floor")
    for w in args.workloads:
        torch.manual_seed(0)
        modes = {"ember": bench.setup(ember, "ember", w, False), "ember-compiled": bench.setup(ember, "ember", w, True),
                 "torch": bench.setup(torch, "torch", w, False)}
        for step, _, _, data in modes.values():
            for i in range(3):  # warm: the compile, optimizer state, caches
                step(*data[i % len(data)])
        times, floors = {m: [] for m in modes}, []
        for _ in range(args.rounds):
            for m, (step, _, _, data) in modes.items():
                t0 = time.perf_counter()
                for i in range(args.steps):
                    step(*data[i % len(data)])
                times[m].append((time.perf_counter() - t0) / args.steps)
            floors.append(bench.train_flops(w) / bench.gemm_rate(args.threads))
        ratio = {m: statistics.median(a / b for a, b in zip(times[m], times["torch"])) for m in modes}
        floor = statistics.median(f / t for f, t in zip(floors, times["torch"]))
        cells = " ".join(f"{statistics.median(times[m]) * 1e3:7.2f}ms {ratio[m]:5.2f}" for m in modes)
        print(f"{w:12s} {cells}  {compare.TARGETS[w]:5.2f}     {compare.EAGER_TARGETS[w]:5.2f}     "
              f"{'yes' if ratio['ember-compiled'] <= ratio['ember'] else 'NO':4s} {floor:5.2f}")


if __name__ == "__main__":
    main()
