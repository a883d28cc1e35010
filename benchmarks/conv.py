"""Convolution and pooling benchmark: ember against PyTorch in one run, as ratios (ember / PyTorch).

3x3 convolutions at batch 64 (forward, and forward+backward into input and weight) and the
2x2 max pool that follows them, float32:

    python benchmarks/conv.py            # prints a table; ratio < 1 means ember is faster
    python benchmarks/conv.py --quick    # fewer repetitions

One run on a shared 2-core x86 CPU (OpenBLAS; torch with 2 threads; other jobs were running,
so ratios moved by up to 2x between runs):

    case                               ember ms  torch ms  ratio
    conv 1->32 28x28 forward               10.8       1.4   7.6
    conv 1->32 28x28 fwd+bwd                7.4      48.9   0.15   (no input gradient)
    conv 32->64 14x14 forward              34.0      14.7   2.3
    conv 32->64 14x14 fwd+bwd             106.5      53.1   2.0
    conv 64->64 32x32 forward             259.8     155.4   1.7
    conv 64->64 32x32 fwd+bwd             747.2     626.2   1.2
    max_pool2d 2x2 32x28x28 forward        24.8      22.3   1.1
    max_pool2d 2x2 32x28x28 fwd+bwd        30.9      72.0   0.43
    max_pool2d 2x2 64x32x32 forward        41.8      32.8   1.3
    max_pool2d 2x2 64x32x32 fwd+bwd        68.4      63.5   1.1

Choices this measured: the weight gradient as (cols @ gy^T)^T, not gy @ cols^T (the same GEMM,
12 ms instead of 361 ms in OpenBLAS for 64x12544 @ 12544x288); col2im into a channels-first
buffer (36 ms instead of 51 ms); max pooling over strided views instead of copied windows
and argmax (about 4x faster forward).
"""
import argparse
import os
import timeit

import numpy as np

import ember
import ember.nn.functional  # noqa: F401  (lib.nn.functional below)

try:
    import torch
except ImportError:  # the benchmark needs the reference
    raise SystemExit("benchmarks/conv.py compares against PyTorch: pip install torch==2.13.0")

CONVS = [("conv 1->32 28x28", 1, 32, 28), ("conv 32->64 14x14", 32, 64, 14), ("conv 64->64 32x32", 64, 64, 32)]
BATCH = 64


def best(fn, number, repeat=5):
    fn()  # warm up
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def conv_cases(lib, cin, cout, size, seed=0):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((BATCH, cin, size, size)).astype(np.float32), requires_grad=cin > 1)
    w = lib.tensor(rng.standard_normal((cout, cin, 3, 3)).astype(np.float32) * 0.1, requires_grad=True)
    b = lib.tensor(np.zeros(cout, np.float32), requires_grad=True)
    conv = lib.nn.functional.conv2d

    def forward():
        with lib.no_grad():
            conv(x, w, b, padding=1)

    def backward():
        conv(x, w, b, padding=1).sum().backward()
        w.grad = b.grad = x.grad = None
    return forward, backward


def pool_cases(lib, channels, size, seed=0):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((BATCH, channels, size, size)).astype(np.float32), requires_grad=True)
    pool = lib.nn.functional.max_pool2d

    def forward():
        with lib.no_grad():
            pool(x, 2)

    def backward():
        pool(x, 2).sum().backward()
        x.grad = None
    return forward, backward


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (smoke run)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for name, cin, cout, size in CONVS:
        n = 1 if args.quick else max(2, int(2e8 / (BATCH * cin * cout * size * size * 9)))
        for kind, e, t in zip(("forward", "fwd+bwd"), conv_cases(ember, cin, cout, size),
                              conv_cases(torch, cin, cout, size)):
            rows.append((f"{name} {kind}", best(e, n), best(t, n)))
    for channels, size in ((32, 28), (64, 32)):
        n = 2 if args.quick else 10
        for kind, e, t in zip(("forward", "fwd+bwd"), pool_cases(ember, channels, size),
                              pool_cases(torch, channels, size)):
            rows.append((f"max_pool2d 2x2 {channels}x{size}x{size} {kind}", best(e, n), best(t, n)))
    print(f"ember {ember.__version__} vs torch {torch.__version__}, {args.threads} threads, batch {BATCH}, float32")
    print(f"{'case':44s} {'ember ms':>9s} {'torch ms':>9s} {'ratio':>6s}")
    for name, te, tt in rows:
        print(f"{name:44s} {te * 1e3:9.3f} {tt * 1e3:9.3f} {te / tt:6.2f}")


if __name__ == "__main__":
    main()
