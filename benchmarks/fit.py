"""`model.fit` throughput against a hand-written loop: how much does Keras's loop cost over the raw step?

Two workloads on data of the digits' shape (synthetic, 1,536 samples, batch 32, Adam, float32):
  mlp   64 -> Dense 128 relu -> Dropout 0.3 -> Dense 10 softmax      (`ember train --model mlp`)
  cnn   8x8x1 -> Conv 32 3x3 relu -> Conv 32 3x3 relu -> MaxPool 2 -> Dense 64 relu -> Dropout 0.25
        -> Dense 10 softmax                                        (`ember train`, the default)
Six ways to train each, every one in its own child process with the threads pinned:
  torch         a hand-written PyTorch loop, same architecture (NCHW), over pre-made batches
  raw           a hand-written ember loop over the same Keras model, loss and optimizer (Keras's Adam,
                as `fit` builds it) and the same pre-made batches: zero_grad, forward, loss, backward,
                step (no `.item()`, no shuffling)
  raw-compiled  the same step through `ember.compile`
  fit-eager     `model.fit(x, y, batch_size=32, verbose=0)` compiled with `jit_compile=False`: shuffles,
                slices the batches, tracks the loss, calls the callbacks
  fit           the same with compile's default `jit_compile="auto"` (it times compiled against eager
                steps at the start and keeps the faster)
  fit+acc       fit with `metrics=["accuracy"]`
The table gives samples/s (median over epochs, after one warm-up epoch) and each mode's ratio to
torch; below it, fit's overhead over the raw step it runs (eager or compiled), in percent ((raw samples/s) / (fit
samples/s) - 1) and in microseconds per step. On a shared machine the separate processes see
different loads, so two more children measure the overhead paired: inside one `fit` (jit_compile=False,
then True) a callback runs a raw epoch (eager, then compiled) after each fit epoch, on the same model,
and the median of the per-pair ratios is reported.

    python benchmarks/fit.py                       # both workloads, all threads
    python benchmarks/fit.py cnn --epochs 7 --threads 1
    python benchmarks/fit.py mlp --profile         # cProfile of fit (eager): top functions, us per step
"""
import argparse
import json
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)  # run from a checkout without installing (the children get it through PYTHONPATH)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # _child.py, beside this file
import _child  # noqa: E402
WORKLOADS = ("mlp", "cnn")
MODES = ("torch", "raw", "raw-compiled", "fit-eager", "fit", "fit+acc")
FITS = ("fit-eager", "fit", "fit+acc")
PAIRED = ("paired", "paired-compiled")  # fit and the raw loop alternating in one process, eager / compiled
SAMPLES, BATCH = 1536, 32


def make_data(workload):
    """Digits-shaped inputs (channels last for the cnn) in [0, 1] and labels 0-9, the same every run."""
    rng = np.random.default_rng(0)
    shape = (SAMPLES, 64) if workload == "mlp" else (SAMPLES, 8, 8, 1)
    return rng.random(shape, dtype=np.float32), rng.integers(0, 10, SAMPLES).astype(np.int64)


def keras_model(workload):
    from ember import keras
    layers = keras.layers
    if workload == "mlp":
        body = [keras.Input(shape=(64,)), layers.Dense(128, activation="relu"), layers.Dropout(0.3)]
    else:
        body = [keras.Input(shape=(8, 8, 1)), layers.Conv2D(32, 3, padding="same", activation="relu"),
                layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPooling2D(), layers.Flatten(),
                layers.Dense(64, activation="relu"), layers.Dropout(0.25)]
    return keras.Sequential(body + [layers.Dense(10, activation="softmax")])


def torch_model(workload):
    from torch import nn
    if workload == "mlp":
        return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.3), nn.Linear(128, 10))
    return nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
                         nn.MaxPool2d(2), nn.Flatten(), nn.Linear(32 * 4 * 4, 64), nn.ReLU(), nn.Dropout(0.25),
                         nn.Linear(64, 10))


def batches(x, y, to_tensor):
    return [(to_tensor(x[i:i + BATCH]), to_tensor(y[i:i + BATCH])) for i in range(0, SAMPLES, BATCH)]


def run_torch(workload, epochs, threads):
    import torch
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    x, y = make_data(workload)
    if workload == "cnn":
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
    data = batches(x, y, torch.from_numpy)
    model = torch_model(workload)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()  # log-softmax + NLL: Keras's softmax + clipped-log cross-entropy

    def epoch():
        model.train()
        for xb, yb in data:
            opt.zero_grad()
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
    return [_timed(epoch) for _ in range(epochs + 1)][1:], "eager"


def run_ember(mode, workload, epochs):
    from ember import keras
    keras.utils.set_random_seed(0)
    x, y = make_data(workload)
    model = keras_model(workload)
    loss = keras.losses.SparseCategoricalCrossentropy()
    if mode.startswith("raw"):
        return _raw_loop(model, loss, x, y, epochs, compiled=mode == "raw-compiled")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss=loss,
                  metrics=["accuracy"] if mode == "fit+acc" else None,
                  jit_compile=False if mode == "fit-eager" else "auto")

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)

    times, timer = [], EpochTimer()
    model.fit(x, y, batch_size=BATCH, epochs=epochs + 1, verbose=0, callbacks=[timer])
    choice = getattr(model, "_jit_choice", None)  # what jit_compile="auto" picked (a private attribute)
    return times[1:], {True: "compiled", False: "eager"}.get(choice, "?")


def run_paired(workload, epochs, compiled=False):
    """Alternate fit epochs and raw epochs in one process, both eager or both compiled:
    (median of fit/raw per pair - 1, fit s, raw s)."""
    import ember
    from ember import keras
    keras.utils.set_random_seed(0)
    x, y = make_data(workload)
    model, loss_fn = keras_model(workload), keras.losses.SparseCategoricalCrossentropy()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss=loss_fn, jit_compile=compiled)
    data = batches(x, y, ember.from_numpy)
    pairs = []

    class Paired(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            fit_s = time.perf_counter() - self.start
            if not hasattr(self, "step"):
                opt = _keras_adam(model)

                def train_step(xb, yb):
                    opt.zero_grad()
                    loss_fn(yb, model(xb, training=True)).backward()
                    opt.step()
                self.step = ember.compile(train_step) if compiled else train_step
            t0 = time.perf_counter()
            for xb, yb in data:
                self.step(xb, yb)
            pairs.append((fit_s, time.perf_counter() - t0))
            model.train()

    model.fit(x, y, batch_size=BATCH, epochs=epochs + 2, verbose=0, callbacks=[Paired()])
    fit_s, raw_s = np.array(pairs[2:]).T  # the first two pairs trace and warm up
    return float(np.median(fit_s / raw_s) - 1), float(np.median(fit_s)), float(np.median(raw_s))


def _raw_loop(model, loss_fn, x, y, epochs, compiled):
    import ember
    data = batches(x, y, ember.from_numpy)
    model(data[0][0])  # build, as fit does before its first step
    opt = _keras_adam(model)

    def train_step(xb, yb):
        opt.zero_grad()
        loss = loss_fn(yb, model(xb, training=True))
        loss.backward()
        opt.step()
        return loss
    step = ember.compile(train_step) if compiled else train_step

    def epoch():
        model.train()
        for xb, yb in data:
            step(xb, yb)
    return [_timed(epoch) for _ in range(epochs + 1)][1:], "compiled" if compiled else "eager"


def _keras_adam(model):
    """The update `fit` runs: Keras's Adam built over the model's weights (an ember.optim optimizer)."""
    from ember import keras
    return keras.optimizers.Adam(learning_rate=2e-3).build([p for p in model.parameters() if p.requires_grad])


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def worker(mode, workload, epochs, threads):
    if mode in PAIRED:
        overhead, fit_s, raw_s = run_paired(workload, epochs, compiled=mode == "paired-compiled")
        return print(json.dumps({"overhead": overhead, "fit_s": fit_s, "raw_s": raw_s}))
    times, step = run_torch(workload, epochs, threads) if mode == "torch" else run_ember(mode, workload, epochs)
    print(json.dumps({"epoch_s": float(np.median(times)), "times": times, "step": step}))


def profile(workload, epochs, top=30):
    """cProfile `fit` (jit_compile=False) and print the functions that take the most time, per step."""
    import cProfile
    import pstats
    from ember import keras
    keras.utils.set_random_seed(0)
    x, y = make_data(workload)
    model = keras_model(workload)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(), jit_compile=False)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # warm-up
    profiler = cProfile.Profile()
    profiler.runcall(model.fit, x, y, batch_size=BATCH, epochs=epochs, verbose=0)
    stats = pstats.Stats(profiler)
    steps = epochs * (SAMPLES // BATCH)
    print(f"{workload}: fit (eager), {steps} steps profiled: {1e6 * stats.total_tt / steps:.0f} us/step "
          "under the profiler")
    print(f"{'own us/step':>11s} {'cum us/step':>11s} {'calls/step':>10s}  function")
    by_own = sorted(stats.stats.items(), key=lambda kv: -kv[1][2])[:top]
    loop_files = ("keras/models.py", "keras/data_adapter.py", "keras/callbacks.py", "keras/metrics.py")
    loop = sorted([kv for kv in stats.stats.items() if kv[0][0].endswith(loop_files)], key=lambda kv: -kv[1][3])
    for title, rows in (("the most time of their own", by_own), ("the loop's own code, by cumulative time", loop)):
        print(f"-- {title}")
        for (path, line, name), (_, ncalls, tottime, cumtime, _) in rows:
            where = f"{os.path.relpath(path, ROOT) if path.startswith(ROOT) else path}:{line}({name})"
            print(f"{1e6 * tottime / steps:11.1f} {1e6 * cumtime / steps:11.1f} {ncalls / steps:10.1f}  {where}")


def run_child(mode, workload, epochs, threads):
    return _child.run_child(__file__, [mode, workload, "--epochs", epochs], threads)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=list(WORKLOADS), help=" ".join(WORKLOADS))
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per mode, after one warm-up epoch")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--profile", action="store_true", help="cProfile fit (eager) in this process instead")
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(*args.worker, args.epochs, args.threads)
    unknown = set(args.workloads) - set(WORKLOADS)
    if unknown:
        parser.error(f"unknown workloads {sorted(unknown)}; choose from {', '.join(WORKLOADS)}")
    if args.profile:
        for w in args.workloads:
            profile(w, args.epochs)
        return
    print(f"training throughput, samples/s (median of {args.epochs} epochs of {SAMPLES} samples, batch {BATCH}); "
          f"{args.threads} threads; ratio = mode / torch (above 1: faster than the PyTorch loop)")
    print(f"{'workload':9s} " + " ".join(f"{m:>16s}" for m in MODES))
    overheads = []
    for w in args.workloads:
        res = {m: run_child(m, w, args.epochs, args.threads) for m in MODES}
        bad = [f"{m}: {r['error']}" for m, r in res.items() if "error" in r]
        if bad:
            print(f"{w:9s} failed: {'; '.join(bad)}")
            continue
        rate = {m: SAMPLES / r["epoch_s"] for m, r in res.items()}
        cells = [f"{rate[m]:8.0f} {rate[m] / rate['torch']:6.2f}x" for m in MODES]
        print(f"{w:9s} " + " ".join(f"{c:>16s}" for c in cells))
        for mode in PAIRED:
            paired = run_child(mode, w, args.epochs, args.threads)
            if "error" not in paired:
                step_us = 1e6 * paired["overhead"] * paired["raw_s"] / (SAMPLES // BATCH)
                kind = "compiled" if mode == "paired-compiled" else "eager"
                overheads.append(f"{w:9s} fit over raw, both {kind:8s}, paired in one process: "
                                 f"{100 * paired['overhead']:+6.1f}%  {step_us:+7.0f} us/step")
        for fit in FITS:
            raw = "raw-compiled" if res[fit]["step"] == "compiled" else "raw"   # the step fit chose to run
            step_us = 1e6 * (res[fit]["epoch_s"] - res[raw]["epoch_s"]) / (SAMPLES // BATCH)
            overheads.append(f"{w:9s} {fit:>9s} ({res[fit]['step']:8s}) over {raw:12s} "
                             f"{100 * (rate[raw] / rate[fit] - 1):+6.1f}%  {step_us:+7.0f} us/step")
    print("\nfit's overhead over the raw step (goal: under 5%)")
    print("\n".join(overheads))


if __name__ == "__main__":
    main()
