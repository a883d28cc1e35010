"""One MPI job for tests/distributed/test_distributed.py: launched with `ember run -n N`, each rank runs
every check below and writes what it measured to OUT/rank<r>.json; the pytest side asserts on it.

    ember run -n 3 tests/distributed/ddp_job.py OUT
"""
import hashlib
import json
import os
import sys

import numpy as np

import ember
import ember.distributed as dist
import ember.nn.functional as F
from ember import keras, nn

STEPS = 20
dist.init_process_group("mpi")
RANK, SIZE = dist.get_rank(), dist.get_world_size()
results = {"rank": RANK, "size": SIZE}


def collectives():
    """Each collective's result against NumPy on the values every rank contributed."""
    rng = np.random.default_rng(7)
    values = rng.standard_normal((SIZE, 6)).astype(np.float32) + 2  # row r: rank r's contribution
    expected = {"sum": values.sum(0), "avg": values.mean(0), "max": values.max(0), "min": values.min(0),
                "product": values.prod(0)}
    errors = {}
    for op, want in expected.items():
        t = ember.tensor(values[RANK])
        work = dist.all_reduce(t, op=op, async_op=op == "avg")
        if work is not None:
            work.wait()
        errors[op] = float(np.max(np.abs(t.numpy() - want) / np.abs(want)))
    strided = ember.tensor(np.repeat(values[RANK][:, None], 2, 1))[:, 1]  # a non-contiguous view
    dist.all_reduce(strided)
    errors["strided"] = float(np.max(np.abs(strided.numpy() - values.sum(0))))
    half = ember.tensor(values[RANK]).half()
    dist.all_reduce(half)
    errors["float16"] = float(np.max(np.abs(half.float().numpy() - values.sum(0)) / values.sum(0)))
    b = ember.tensor(values[RANK])
    dist.broadcast(b, src=SIZE - 1)
    errors["broadcast"] = float(np.max(np.abs(b.numpy() - values[SIZE - 1])))
    gathered = [ember.zeros(6) for _ in range(SIZE)]
    dist.all_gather(gathered, ember.tensor(values[RANK]))
    errors["all_gather"] = float(np.max(np.abs(np.stack([g.numpy() for g in gathered]) - values)))
    blocks = rng.standard_normal((SIZE, SIZE, 3)).astype(np.float32)  # rank r contributes blocks[r]
    out = ember.zeros(3)
    dist.reduce_scatter(out, [ember.tensor(blocks[RANK, i]) for i in range(SIZE)])
    errors["reduce_scatter"] = float(np.max(np.abs(out.numpy() - blocks[:, RANK].sum(0))))
    t = ember.tensor(values[RANK])
    work = dist.all_reduce(t, op="max", async_op=True)
    work.wait(timeout=30)
    errors["wait_timeout"] = float(np.max(np.abs(t.numpy() - values.max(0)))) + (0.0 if work.is_completed() else 1)
    dist.barrier()
    results["collectives"] = errors


def models():
    """The benchmark models (benchmarks/nn.py): mlp and cnn, with a global batch that splits evenly."""
    ember.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10))
    ember.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
    return {"mlp": (mlp, (784,)), "cnn": (cnn, (1, 28, 28))}


def digest(module):
    h = hashlib.sha1()
    for p in module.parameters():
        h.update(p.detach().numpy().tobytes())
    return h.hexdigest()


def data(shape, batch):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((STEPS, batch) + shape).astype(np.float32)
    return x, rng.integers(0, 10, (STEPS, batch))


def train(module, x, y, compiled=False):
    opt = ember.optim.SGD(module.parameters(), lr=0.05)

    def step(xb, yb):
        opt.zero_grad()
        loss = F.cross_entropy(module(xb), yb)
        loss.backward()
        opt.step()
        return loss
    if compiled:
        step = ember.compile(step, state=dict(module.state_dict(keep_vars=True)))
    digests = []
    for s in range(len(x)):
        step(ember.tensor(x[s]), ember.tensor(y[s]))
        digests.append(digest(module))
    return digests


def ddp_equals_single_process():
    """DDP on each rank's slice vs one process on the whole global batch (run on rank 0; the ranks' params
    are compared bit for bit every step); identical params every step."""
    batch = 2 * SIZE
    lo, hi = RANK * batch // SIZE, (RANK + 1) * batch // SIZE
    out = {}
    for name, compiled in (("mlp", False), ("cnn", False), ("mlp_compiled", True)):
        single, shape = models()[name.split("_")[0]]
        x, y = data(shape, batch)
        if RANK == 0:
            train(single, x, y)
        else:  # another start on the other ranks: DDP must copy rank 0's weights
            ember.manual_seed(100 + RANK)
        local, _ = models()[name.split("_")[0]]
        # buckets already all-reducing when the first layer's weight gradient (the last one) is done: a hook
        # registered before DDP's own, so it runs before that gradient's bucket completes the step
        started = []
        next(local.parameters()).register_post_accumulate_grad_hook(
            lambda p: started.append(sum(b.work is not None for b in ddp.reducer.buckets)))
        ddp = nn.parallel.DistributedDataParallel(local, bucket_cap_mb=0.5)
        digests = train(ddp, x[:, lo:hi], y[:, lo:hi], compiled)
        every = [None] * SIZE
        dist.all_gather_object(every, digests)
        rel = [float(np.max(np.abs(a.detach().numpy() - b.detach().numpy())) / (np.max(np.abs(b.detach().numpy()))))
               for a, b in zip(local.parameters(), single.parameters())] if RANK == 0 else [None]
        out[name] = {"max_rel_diff": max(rel), "identical_every_step": all(e == digests for e in every),
                     "buckets": len(ddp.reducer.buckets), "started_before_last": started}
    results["ddp"] = out


def no_sync_and_buffers():
    """Gradient accumulation with no_sync(), and BatchNorm running statistics as PyTorch's DDP keeps them."""
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((2, 2 * SIZE, 4)).astype(np.float32)
    ys = rng.integers(0, 2, (2, 2 * SIZE))
    ember.manual_seed(0)
    single = nn.Sequential(nn.Linear(4, 3))
    for s in range(2):
        F.cross_entropy(single(ember.tensor(xs[s])), ember.tensor(ys[s])).backward()
    ember.manual_seed(0)
    local = nn.Sequential(nn.Linear(4, 3))
    ddp = nn.parallel.DistributedDataParallel(local)
    part = slice(2 * RANK, 2 * RANK + 2)
    with ddp.no_sync():
        F.cross_entropy(ddp(ember.tensor(xs[0, part])), ember.tensor(ys[0, part])).backward()
    F.cross_entropy(ddp(ember.tensor(xs[1, part])), ember.tensor(ys[1, part])).backward()
    results["no_sync_grad_diff"] = max(float(np.max(np.abs(a.grad.numpy() - b.grad.numpy())))
                                       for a, b in zip(local.parameters(), single.parameters()))

    ember.manual_seed(0)
    bn = nn.Sequential(nn.BatchNorm1d(4), nn.Linear(4, 2))
    ddp = nn.parallel.DistributedDataParallel(bn)
    means = []
    for s in range(2):
        before = bn[0].running_mean.numpy().copy()
        F.cross_entropy(ddp(ember.tensor(xs[s, part])), ember.tensor(ys[s, part])).backward()
        means.append({"before": before.tolist(), "after": bn[0].running_mean.numpy().tolist(),
                      "batch_mean": xs[s, part].mean(0).tolist()})
    every = [None] * SIZE
    dist.all_gather_object(every, means)
    results["bn"] = every


def keras_fit():
    """Keras fit with DataParallel vs the same script single-process, validation metrics included."""
    rng = np.random.default_rng(5)
    out = {}
    # mlp and mlp_jit (the compiled step, jit_compile=True) on batches of 13 that split unevenly over the
    # ranks: each rank's share of the global batch changes from step to step (in the one compiled graph too)
    for kind in ("mlp", "cnn", "bn", "mlp_jit"):
        shape = (8, 8, 1) if kind == "cnn" else (12,)
        x = rng.standard_normal((96,) + shape).astype(np.float32)
        y = (x.reshape(96, -1)[:, :3].sum(1) > 0).astype(np.int64) + (x.reshape(96, -1)[:, 3] > 1)

        def build():
            keras.utils.set_random_seed(0)
            body = {"mlp": [keras.layers.Dense(16, activation="relu")],
                    "mlp_jit": [keras.layers.Dense(16, activation="relu")],
                    "cnn": [keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.Flatten()],
                    "bn": [keras.layers.Dense(16), keras.layers.BatchNormalization()]}[kind]
            model = keras.Sequential([keras.Input(shape=shape)] + body + [keras.layers.Dense(3, activation="softmax")])
            model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9), loss="sparse_categorical_crossentropy",
                          metrics=["accuracy"], jit_compile=True if kind == "mlp_jit" else "auto")
            return model

        def fit(callbacks=(), verbose=2):
            model = build()
            history = model.fit(x, y, batch_size=13 if kind.startswith("mlp") else 12, epochs=3, validation_split=0.25,
                                verbose=verbose, callbacks=list(callbacks))
            return model, history.history

        keras.distribution.set_distribution(None)
        if RANK == 0 and kind != "bn":
            single, single_history = fit(verbose=0)
        keras.distribution.set_distribution(keras.distribution.DataParallel())
        written = os.path.join(sys.argv[1], f"{kind}-rank{RANK}")
        digests = []

        class Record(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                digests.append(digest(self.model))
        record = Record()
        parallel, parallel_history = fit([keras.callbacks.CSVLogger(written + ".csv"),
                                          keras.callbacks.ModelCheckpoint(written + ".ember"), record])
        keras.distribution.set_distribution(None)
        if kind == "bn":  # local batch statistics differ from one process's: only the ranks must agree
            every = [None] * SIZE
            dist.all_gather_object(every, [w.tobytes() for w in parallel.get_weights()])  # moving stats too
            out[kind] = {"identical": all(e == every[0] for e in every)}
            continue
        every = [None] * SIZE
        dist.all_gather_object(every, digests)
        out[kind] = {"parallel": parallel_history, "identical": all(e == digests for e in every),
                     "steps": len(digests), "want_steps": 3 * -(-72 // (13 if kind.startswith("mlp") else 12)),
                     "compiled": bool(parallel._compiled_steps)}
        if RANK == 0:
            out[kind].update(single=single_history, weights_rel_diff=max(
                float(np.max(np.abs(a - b)) / np.max(np.abs(b))) for a, b in zip(parallel.get_weights(),
                                                                                  single.get_weights())))
    results["keras"] = out


import time
for check in (collectives, ddp_equals_single_process, no_sync_and_buffers, keras_fit):
    start = time.perf_counter()
    check()
    results.setdefault("seconds", {})[check.__name__] = time.perf_counter() - start
with open(os.path.join(sys.argv[1], f"rank{RANK}.json"), "w") as f:
    json.dump(results, f)
