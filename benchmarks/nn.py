"""Training-step benchmark: ember eager against PyTorch eager, same code, same weights, same data.

Four workloads (float32, Adam, synthetic data):
  mlp          784-512-512-10 ReLU, cross-entropy, batch 128
  cnn          1x28x28: conv3x3 32 + ReLU + maxpool2, conv3x3 64 + ReLU + maxpool2, dense 128, dense 10; batch 64
  lstm         char LM: vocab 96, embedding 64, LSTM 256, sequence 64, batch 32, cross-entropy at every position
  transformer  2 encoder layers, d_model 128, 4 heads, FFN 512, seq 64, batch 32, vocab 96,
               learned positions, causal mask, LM head
plus inference latency at batch 1 (mlp, cnn; eval mode, no_grad) and the peak memory a training
step adds. Each (library, workload) runs in its own child process, so peak memory is measured
per process and the two libraries do not share allocator state; the table prints ember / torch
ratios (below 1: ember is faster or smaller).

    python benchmarks/nn.py                 # all workloads
    python benchmarks/nn.py mlp cnn --steps 10
"""
import argparse
import json
import os
import resource
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _child.py, beside this file
import _child  # noqa: E402

WORKLOADS = ("mlp", "cnn", "lstm", "transformer")
VOCAB, SEQ = 96, 64


def _import(name):
    if name == "torch":
        import torch
        return torch
    import ember
    return ember


def build(lib, workload):
    """(model, make_batch(batch_size) -> (x, y), loss_fn(output, y))."""
    nn, F = lib.nn, lib.nn.functional
    rng = np.random.default_rng(0)
    if workload == "mlp":
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
        def batch(n):
            return (lib.tensor(rng.standard_normal((n, 784)).astype(np.float32)),
                    lib.tensor(rng.integers(0, 10, n)))
        return model, batch, F.cross_entropy
    if workload == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
        def batch(n):
            return (lib.tensor(rng.standard_normal((n, 1, 28, 28)).astype(np.float32)),
                    lib.tensor(rng.integers(0, 10, n)))
        return model, batch, F.cross_entropy
    if workload == "lstm":
        model = CharLSTM(lib)
    else:
        model = TinyTransformer(lib)

    def batch(n):
        tokens = rng.integers(0, VOCAB, (n, SEQ + 1))
        return lib.tensor(tokens[:, :-1]), lib.tensor(tokens[:, 1:])

    def lm_loss(logits, y):
        return F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))
    return model, batch, lm_loss


def CharLSTM(lib):
    nn = lib.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, 64)
            self.lstm = nn.LSTM(64, 256, batch_first=True)
            self.head = nn.Linear(256, VOCAB)

        def forward(self, x):
            return self.head(self.lstm(self.embed(x))[0])
    return Model()


def TinyTransformer(lib):
    nn = lib.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Embedding(VOCAB, 128)
            self.pos = nn.Embedding(SEQ, 128)
            layer = nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
            self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False) if lib.__name__ == "torch" \
                else nn.TransformerEncoder(layer, 2)
            self.head = nn.Linear(128, VOCAB)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(SEQ), persistent=False)

        def forward(self, x):
            h = self.embed(x) + self.pos(lib.arange(x.shape[1], device=x.device))  # on the GPU too
            return self.head(self.encoder(h, mask=self.mask, is_causal=True))
    return Model()


def _copy_from_torch(model, workload):
    """Start ember from PyTorch's initial weights (the same model built with the same seed)."""
    import torch
    torch.manual_seed(0)
    ref, _, _ = build(torch, workload)
    model.load_state_dict({k: v.detach().numpy() for k, v in ref.state_dict().items()})


def setup(lib, lib_name, workload, compiled):
    """(the training step returning the loss as a float, its model, the batch maker, four batches)."""
    model, batch, loss_fn = build(lib, workload)
    if lib_name == "ember":
        _copy_from_torch(model, workload)
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    bs = {"mlp": 128, "cnn": 64, "lstm": 32, "transformer": 32}[workload]
    data = [batch(bs) for _ in range(4)]

    def train_step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = lib.compile(train_step) if compiled else train_step
    return (lambda x, y: run(x, y).item()), model, batch, data


def step_peak_kb(lib, workload, compiled):
    """(held, added): the memory ember holds when a warm training step starts (parameters,
    optimizer state, the last step's gradients and, compiled, the compiled program: its graph and
    generated code, ~0.1 MB), and the most the step adds above that (its activations, gradients and
    temporaries), in KB, all made under tracemalloc (which sees NumPy's allocations), on a fresh
    copy of the workload. Unlike the process's maximum RSS this leaves out the compile's tracing;
    there is no torch number (its allocator is not traced)."""
    tracemalloc.start()
    try:
        step, _, _, data = setup(lib, "ember", workload, compiled)
        step(*data[0])
        step(*data[1])  # the compile (its tracing is not the step's), optimizer state made
        tracemalloc.reset_peak()
        held = tracemalloc.get_traced_memory()[0]
        step(*data[2])
        return held / 1024, (tracemalloc.get_traced_memory()[1] - held) / 1024
    finally:
        tracemalloc.stop()


def worker(lib_name, workload, steps, threads):
    """One (library, workload) run. lib_name: ember, ember-compiled, torch or torch-compiled."""
    compiled = lib_name.endswith("-compiled")
    lib_name = lib_name.removesuffix("-compiled")
    lib = _import(lib_name)
    if lib_name == "torch":
        lib.set_num_threads(threads)
        lib.manual_seed(0)
    step, model, batch, data = setup(lib, lib_name, workload, compiled)
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    losses = [step(*data[0])]  # warm-up (the compile, for the compiled modes)
    compile_time = time.perf_counter() - t0
    times = []
    for i in range(steps):
        t0 = time.perf_counter()
        losses.append(step(*data[i % len(data)]))
        times.append(time.perf_counter() - t0)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base_rss
    result = {"step": float(np.median(times)), "loss0": losses[0], "loss": losses[-1], "peak_kb": peak,
              "compile": compile_time}
    if lib_name == "ember":
        result["step_held_kb"], result["step_added_kb"] = step_peak_kb(lib, workload, compiled)
    if workload in ("mlp", "cnn"):
        model.eval()
        x1 = batch(1)[0]
        infer = lib.compile(model) if compiled else model
        with lib.no_grad():
            infer(x1)
            infer(x1)
            lat = []
            for _ in range(200):
                t0 = time.perf_counter()
                infer(x1)
                lat.append(time.perf_counter() - t0)
        result["latency"] = float(np.median(lat))
    print(json.dumps(result))


def train_flops(workload):
    """Multiply-add FLOPs of one training step (forward GEMM/conv work times 3: forward, input
    gradient, weight gradient); elementwise work is left out, so the floor is a lower bound."""
    if workload == "mlp":
        fwd = 2 * 128 * (784 * 512 + 512 * 512 + 512 * 10)
    elif workload == "cnn":
        fwd = 2 * 64 * (28 * 28 * 32 * 9 + 14 * 14 * 64 * 9 * 32 + 3136 * 128 + 128 * 10)
    elif workload == "lstm":
        fwd = 2 * 32 * SEQ * (4 * 256 * (64 + 256) + 256 * VOCAB)
    else:
        d, ff, t = 128, 512, SEQ
        per_layer = 4 * d * d + 2 * d * ff + 2 * t * d  # projections, FFN, scores and weighted sum
        fwd = 2 * 32 * t * (2 * per_layer + d * VOCAB)
    return 3 * fwd


def gemm_rate(threads):
    """NumPy's measured float32 GEMM rate (FLOP/s) on 512x512 matrices."""
    a = np.random.default_rng(0).standard_normal((512, 512)).astype(np.float32)
    a @ a
    t0 = time.perf_counter()
    for _ in range(20):
        a @ a
    return 20 * 2 * 512 ** 3 / (time.perf_counter() - t0)


def run_child(lib_name, workload, steps, threads):
    return _child.run_child(__file__, [lib_name, workload, "--steps", steps], threads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS), help=" ".join(WORKLOADS))
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--torch-compile", action="store_true",
                        help="also run torch.compile (10-20 s of compile per workload)")
    parser.add_argument("--worker", nargs=2, metavar=("LIB", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker, args.steps, args.threads)
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose from {', '.join(WORKLOADS)}")
    print(f"training step, median of {args.steps}; {args.threads} threads; ratios to PyTorch eager "
          f"(below 1: faster than PyTorch eager)")
    modes = ["ember", "ember-compiled", "torch", "torch-compiled"] if args.torch_compile else \
        ["ember", "ember-compiled", "torch"]
    rate = gemm_rate(args.threads)
    print(f"NumPy float32 GEMM: {rate / 1e9:.1f} GFLOP/s; floor = a step's GEMM FLOPs at that rate")
    print(f"{'workload':12s} " + " ".join(f"{m:>15s}" for m in modes) +
          f" {'floor':>15s}   first call (s)  peak MB  losses")
    for w in args.workloads:
        res = {m: run_child(m, w, args.steps, args.threads) for m in modes}
        bad = [f"{m}: {r['error']}" for m, r in res.items() if "error" in r]
        if bad:
            print(f"{w:12s} failed: {'; '.join(bad)}")
            continue
        base = res["torch"]
        cells = [f"{r['step'] * 1e3:7.1f}ms {r['step'] / base['step']:5.2f}" for r in res.values()]
        first = "/".join(f"{r['compile']:.1f}" for r in res.values())
        peak = "/".join(f"{r['peak_kb'] / 1024:.0f}" for r in res.values())
        losses = "/".join(f"{r['loss']:.4f}" for r in res.values())
        floor = train_flops(w) / rate
        cells.append(f"{floor * 1e3:7.1f}ms {floor / base['step']:5.2f}")
        print(f"{w:12s} " + " ".join(f"{c:>15s}" for c in cells) + f"   {first}  {peak}  {losses}")
        if "latency" in base:
            lat = [f"{r['latency'] * 1e6:7.0f}us {r['latency'] / base['latency']:5.2f}" for r in res.values()]
            print(f"{w + ' b1 inf':12s} " + " ".join(f"{c:>15s}" for c in lat))


if __name__ == "__main__":
    main()
