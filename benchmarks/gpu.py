"""GPU benchmark: ember (eager and compiled, on CuPy) against PyTorch eager on CUDA.

The four training workloads of benchmarks/nn.py (mlp, cnn, lstm, transformer; float32, Adam) at
their batch sizes and at 8x the batch: median ms per training step of each, and the ratios to
PyTorch eager (below 1: ember is faster). Then the GEMM rate each library reaches in bfloat16
(and float16) on 8192x8192 matrices, in TFLOP/s. Every timing synchronizes the GPU. Both
libraries run in this one process, one after the other, on the same GPU.

    python benchmarks/gpu.py                      # everything
    python benchmarks/gpu.py mlp cnn --steps 20   # some workloads
"""
import argparse
import copy
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nn as bench  # noqa: E402  (benchmarks/nn.py: the workloads)

BATCH = {"mlp": 128, "cnn": 64, "lstm": 32, "transformer": 32}


def _median_ms(step, sync, data, steps):
    step(*data[0])  # warm-up: kernels compiled (CuPy), graphs traced (ember.compile)
    step(*data[1 % len(data)])
    sync()
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        step(*data[i % len(data)])
        sync()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def torch_step_ms(workload, batch, steps):
    import torch
    torch.manual_seed(0)
    model, make, loss_fn = bench.build(torch, workload)
    model = model.cuda()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = [tuple(t.cuda() for t in make(batch)) for _ in range(4)]

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return _median_ms(step, torch.cuda.synchronize, data, steps)


def ember_step_ms(workload, batch, steps, compiled):
    import ember
    ember.manual_seed(0)
    model, make, loss_fn = bench.build(ember, workload)
    model = copy.deepcopy(model).to("cuda")
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)
    data = [tuple(t.to("cuda") for t in make(batch)) for _ in range(4)]

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss
    return _median_ms(ember.compile(step) if compiled else step, ember.cuda.synchronize, data, steps)


def gemm_tflops(lib, dtype, n=8192, repeat=10):
    """The GEMM rate one library reaches in `dtype` on n x n matrices (None where it has no such dtype)."""
    if lib == "torch":
        import torch
        a = torch.randn(n, n, device="cuda").to(getattr(torch, dtype))
        matmul, sync = torch.matmul, torch.cuda.synchronize
    else:
        import ember
        if dtype == "bfloat16" and not ember.cuda.is_bf16_supported():
            return None
        a = ember.randn(n, n, device="cuda").to(getattr(ember, dtype))
        matmul, sync = ember.matmul, ember.cuda.synchronize
    matmul(a, a)
    sync()
    t0 = time.perf_counter()
    for _ in range(repeat):
        matmul(a, a)
    sync()
    return repeat * 2 * n ** 3 / (time.perf_counter() - t0) / 1e12


def main():
    import ember
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workloads", nargs="*", default=list(bench.WORKLOADS))
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--scales", type=int, nargs="*", default=[1, 8])
    args = p.parse_args()
    if not ember.cuda.is_available():
        sys.exit("benchmarks/gpu.py: no CUDA GPU (CuPy) on this machine")
    print(f"GPU: {ember.cuda.get_device_name()}")
    print(f"{'workload':<12} {'batch':>5} {'torch ms':>9} {'ember ms':>9} {'compiled ms':>11} "
          f"{'eager/torch':>11} {'compiled/torch':>14}")
    for w in args.workloads:
        for scale in args.scales:
            b = BATCH[w] * scale
            t = torch_step_ms(w, b, args.steps)
            e = ember_step_ms(w, b, args.steps, compiled=False)
            c = ember_step_ms(w, b, args.steps, compiled=True)
            print(f"{w:<12} {b:>5} {t:>9.2f} {e:>9.2f} {c:>11.2f} {e / t:>11.2f} {c / t:>14.2f}", flush=True)
    for dtype in ("bfloat16", "float16", "float32"):
        t, e = gemm_tflops("torch", dtype), gemm_tflops("ember", dtype)
        shown = "n/a (CuPy without bfloat16)" if e is None else f"{e:.1f} TFLOP/s ({e / t:.2f} of torch)"
        print(f"GEMM 8192^2 {dtype:<8}: torch {t:.1f} TFLOP/s, ember {shown}", flush=True)


if __name__ == "__main__":
    main()
