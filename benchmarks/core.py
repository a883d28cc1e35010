"""Core benchmark: ember against PyTorch in one run, reported as ratios (ember time / PyTorch time).

(a) per-op overhead: a 64-element add and a 16x16 matmul, forward and forward+backward;
(b) a 784-512-512-10 ReLU MLP from raw tensors, forward+backward, at batch 128 and batch 1.

    python benchmarks/core.py            # prints a table; ratio < 1 means ember is faster
"""
import argparse
import os
import timeit

import numpy as np

import ember

try:
    import torch
except ImportError:  # the benchmark needs the reference
    raise SystemExit("benchmarks/core.py compares against PyTorch: pip install torch==2.13.0")


def best(fn, number, repeat=7):
    fn()  # warm up
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def per_op_cases(lib, rg):
    x, y = lib.randn(64, requires_grad=rg), lib.randn(64, requires_grad=rg)
    a, b = lib.randn(16, 16, requires_grad=rg), lib.randn(16, 16, requires_grad=rg)
    return {
        "add 64 forward": lambda: x + y,
        "matmul 16x16 forward": lambda: a @ b,
    }, {
        "add 64 forward+backward": lambda: (x + y).sum().backward(),
        "matmul 16x16 forward+backward": lambda: (a @ b).sum().backward(),
    }


def mlp(lib, batch, seed=0):
    rng = np.random.default_rng(seed)
    sizes = [784, 512, 512, 10]
    params = []
    for i, o in zip(sizes, sizes[1:]):
        w = lib.tensor(rng.standard_normal((i, o)).astype(np.float32) * (2 / i) ** 0.5, requires_grad=True)
        b = lib.tensor(np.zeros(o, np.float32), requires_grad=True)
        params += [w, b]
    x = lib.tensor(rng.standard_normal((batch, 784)).astype(np.float32))
    target = lib.tensor(rng.standard_normal((batch, 10)).astype(np.float32))

    def step():
        h = x
        for k in range(0, len(params), 2):
            h = h @ params[k] + params[k + 1]
            if k < len(params) - 2:
                h = h.relu()
        loss = ((h - target) ** 2).mean()
        loss.backward()
        for p in params:
            p.grad = None
    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    scale = 0.1 if args.quick else 1.0
    rows = []
    for rg, kind in ((False, 0), (True, 1)):
        e_cases, t_cases = per_op_cases(ember, rg)[kind], per_op_cases(torch, rg)[kind]
        for name in e_cases:
            n = int(20000 * scale) if "add" in name else int(10000 * scale)
            rows.append((name, best(e_cases[name], n), best(t_cases[name], n)))
    for batch, n in ((128, 30), (1, 300)):
        n = max(3, int(n * scale))
        rows.append((f"MLP 784-512-512-10 batch {batch} fwd+bwd", best(mlp(ember, batch), n),
                     best(mlp(torch, batch), n)))
    print(f"ember {ember.__version__} vs torch {torch.__version__}, {args.threads} threads, "
          f"numpy {np.__version__}")
    print(f"{'case':42s} {'ember':>10s} {'torch':>10s} {'ratio':>7s}")
    for name, e, t in rows:
        print(f"{name:42s} {e * 1e6:8.1f}us {t * 1e6:8.1f}us {e / t:7.2f}")
    return rows


if __name__ == "__main__":
    main()
