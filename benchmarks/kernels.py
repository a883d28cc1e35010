"""The `fast` extra's kernels against the NumPy code they replace and against PyTorch, in one
process: an Adam step over the benchmark MLP's parameters, and max pooling 2x2 forward and
backward on the benchmark CNN's first pooling input (64x32x28x28). Medians of interleaved runs;
ratios to PyTorch (below 1: faster).

    python benchmarks/kernels.py
"""
import argparse
import os
import statistics
import time

import numpy as np

import ember
from ember.backend import jit

try:
    import torch
except ImportError:
    raise SystemExit("benchmarks/kernels.py compares against PyTorch: pip install torch==2.13.0")


def _adam_cases():
    rng = np.random.default_rng(0)
    shapes = [(512, 784), (512,), (512, 512), (512,), (10, 512), (10,)]
    arrays = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    grads = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    e = [ember.tensor(a.copy(), requires_grad=True) for a in arrays]
    for p, g in zip(e, grads):
        p.grad = ember.tensor(g)
    t = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    for p, g in zip(t, grads):
        p.grad = torch.tensor(g)
    return ember.optim.Adam(e, lr=1e-3).step, torch.optim.Adam(t, lr=1e-3).step


def _pool_cases():
    x = np.random.default_rng(0).standard_normal((64, 32, 28, 28)).astype(np.float32)
    ex, tx = ember.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)

    def e_step():
        y = ember.nn.functional.max_pool2d(ex, 2)
        y.backward(ember.ones_like(y))
        ex.grad = None

    def t_step():
        y = torch.nn.functional.max_pool2d(tx, 2)
        y.backward(torch.ones_like(y))
        tx.grad = None
    return e_step, t_step


def _time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"{args.threads} threads; numba kernels available: {jit.available()}; medians of {args.repeats}")
    print(f"{'case':34s} {'ember numba':>14s} {'ember NumPy':>14s} {'torch':>10s}")
    for name, make in (("Adam step, MLP 784-512-512-10", _adam_cases), ("max_pool2d 2x2 fwd+bwd 64x32x28x28", _pool_cases)):
        e_step, t_step = make()
        runs = {"numba": [], "numpy": [], "torch": []}
        for _ in range(3):  # interleaved, so load bursts hit every column
            jit.set_enabled(True)
            runs["numba"] += _time(e_step, args.repeats // 3)
            jit.set_enabled(False)
            runs["numpy"] += _time(e_step, args.repeats // 3)
            jit.set_enabled(True)
            runs["torch"] += _time(t_step, args.repeats // 3)
        med = {k: statistics.median(v) for k, v in runs.items()}
        cells = [f"{med[k] * 1e3:7.2f}ms {med[k] / med['torch']:5.2f}" for k in ("numba", "numpy")]
        print(f"{name:34s} {cells[0]:>14s} {cells[1]:>14s} {med['torch'] * 1e3:8.2f}ms")


if __name__ == "__main__":
    main()
