"""DataLoader: order and seeding with 0, 1, 2 workers (processes and threads), worker failures, shutdown."""
import gc
import hashlib
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import ember
from ember.data import (ArrayDataset, DataLoader, DataLoaderError, Dataset, IterableDataset, get_worker_info)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Augmented(Dataset):
    """Item i: [i, NumPy draw, random draw, ember draw] — reproducible only if workers are seeded."""

    def __len__(self):
        return 40

    def __getitem__(self, i):
        return np.array([i, np.random.rand(), random.random(), ember.rand(1).item()]), i


class Failing(Dataset):
    def __init__(self, bad=7, n=32, delay=0.0):
        self.bad, self.n, self.delay = bad, n, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(self.delay)
        if i == self.bad:
            raise ValueError(f"corrupt sample {i}")
        return np.float32(i)


class Shards(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


def digest(loader):
    h = hashlib.sha256()
    for x, y in loader:
        h.update(x.numpy().tobytes())
        h.update(y.numpy().tobytes())
    return h.hexdigest()


def run_digest(workers, worker_type="process"):
    ember.manual_seed(0)  # the shuffle and the workers' seeds; with 0 workers items use the main process's RNGs
    np.random.seed(0)
    random.seed(0)
    return digest(DataLoader(Augmented(), batch_size=4, shuffle=True, num_workers=workers, worker_type=worker_type))


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_same_order_with_0_1_2_workers_processes_and_threads():
    ds = ArrayDataset(np.arange(100, dtype=np.float32).reshape(50, 2), np.arange(50))
    runs = []
    for workers, kind in [(0, "process"), (1, "process"), (2, "process"), (1, "thread"), (2, "thread")]:
        ember.manual_seed(123)
        runs.append([y.tolist() for _, y in DataLoader(ds, batch_size=6, shuffle=True, num_workers=workers,
                                                       worker_type=kind)])
    assert all(r == runs[0] for r in runs)
    assert sorted(sum(runs[0], [])) == list(range(50)) and runs[0][0] != list(range(6))


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_seeded_augmentations_repeat_across_runs_and_processes(workers):
    first = run_digest(workers)
    assert run_digest(workers) == first
    code = (f"import sys; sys.path.insert(0, {os.path.join(ROOT, 'tests', 'data')!r}); sys.path.insert(0, {ROOT!r});"
            f"import test_loader; print(test_loader.run_digest({workers}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == first


def test_workers_are_seeded_from_the_loader_generator():
    seen = []
    loader = DataLoader(Augmented(), batch_size=4, num_workers=2, generator=ember.Generator().manual_seed(9),
                        worker_init_fn=lambda wid: None)
    a = [x.numpy()[:, 1:] for x, _ in loader]
    loader.generator.manual_seed(9)
    b = [x.numpy()[:, 1:] for x, _ in loader]
    np.testing.assert_array_equal(np.concatenate(a), np.concatenate(b))
    w0, w1 = a[0], a[1]  # batches 0 and 1 come from workers 0 and 1: different seeds, different draws
    assert not np.array_equal(w0, w1)
    seen.append(len(a))
    assert seen == [10]


def test_worker_info_and_iterable_sharding():
    for workers in (0, 2):
        out = [b.tolist() for b in DataLoader(Shards(23), batch_size=5, num_workers=workers)]
        assert sorted(sum(out, [])) == list(range(23))
    two = [b.tolist() for b in DataLoader(Shards(23), batch_size=5, num_workers=2)]
    assert two[0] == [0, 2, 4, 6, 8] and two[1] == [1, 3, 5, 7, 9]  # round robin over the workers
    assert len(DataLoader(Shards(23), batch_size=5)) == 5
    assert len(DataLoader(Shards(23), batch_size=5, drop_last=True)) == 4


class InfoDataset(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        return np.array([info.id, info.num_workers, info.seed % 1000, info.dataset is self])


def test_get_worker_info_inside_workers():
    rows = np.concatenate([b.numpy() for b in DataLoader(InfoDataset(), batch_size=1, num_workers=2)])
    assert rows[:, 0].tolist() == [0, 1, 0, 1] and (rows[:, 1] == 2).all() and (rows[:, 3] == 1).all()
    assert rows[0, 2] != rows[1, 2]
    assert get_worker_info() is None


def test_exception_in_getitem_names_worker_and_index():
    loader = DataLoader(Failing(bad=7), batch_size=4, num_workers=2)
    start = time.monotonic()
    with pytest.raises(DataLoaderError) as info:
        list(loader)
    assert time.monotonic() - start < 5
    err = info.value
    assert err.worker_id == 1 and err.index == 7  # batch 1 (indices 4..7) went to worker 1
    assert "ValueError: corrupt sample 7" in str(err) and "worker 1" in str(err)
    assert "Traceback" in err.worker_traceback and "__getitem__" in err.worker_traceback
    assert isinstance(err, RuntimeError) and isinstance(err, ember.EmberError)


def test_exception_is_reported_within_a_second():
    it = iter(DataLoader(Failing(bad=12, n=64, delay=0.01), batch_size=4, num_workers=2))
    next(it)  # workers are up
    start = time.monotonic()
    with pytest.raises(DataLoaderError, match="corrupt sample 12"):
        for _ in it:
            pass
    assert time.monotonic() - start < 1.0


def test_exception_in_thread_worker():
    with pytest.raises(DataLoaderError, match="corrupt sample 7") as info:
        list(DataLoader(Failing(bad=7), batch_size=4, num_workers=2, worker_type="thread"))
    assert info.value.index == 7


def test_killed_worker_is_reported():
    for timeout in (5, 0):
        it = iter(DataLoader(Failing(bad=-1, n=400, delay=0.01), batch_size=4, num_workers=2, timeout=timeout))
        next(it)
        pids = it._pool.pids()
        os.kill(pids[0], signal.SIGKILL)
        start = time.monotonic()
        with pytest.raises(DataLoaderError, match="SIGKILL"):
            for _ in it:
                pass
        assert time.monotonic() - start < 2
        assert not any(alive(p) for p in pids)


class Slow(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        time.sleep(3 if i == 4 else 0)
        return np.float32(i)


def test_timeout():
    it = iter(DataLoader(Slow(), batch_size=4, num_workers=1, timeout=0.5))
    next(it)
    start = time.monotonic()
    with pytest.raises(DataLoaderError, match="timed out"):
        next(it)
    assert time.monotonic() - start < 1.5


def test_break_and_gc_leave_no_process_behind():
    ds = ArrayDataset(np.zeros((1000, 10), np.float32))
    loader = DataLoader(ds, batch_size=10, num_workers=2)
    it = iter(loader)
    pids = it._pool.pids()
    assert all(alive(p) for p in pids)
    for _ in it:
        break
    del it
    gc.collect()
    assert not any(alive(p) for p in pids)
    for i, _ in enumerate(loader):  # `break` straight out of a for loop
        if i == 3:
            break
    gc.collect()
    assert not [c for c in multiprocessing.active_children() if c.name.startswith("ember-data-worker")]


def test_exhaustion_shuts_down_and_interpreter_exit_cleans_up():
    it = iter(DataLoader(ArrayDataset(np.zeros((20, 3), np.float32)), batch_size=5, num_workers=2))
    pids = it._pool.pids()
    assert len(list(it)) == 4
    assert not any(alive(p) for p in pids)
    code = ("import numpy as np, os, sys; from ember.data import ArrayDataset, DataLoader;"
            "it = iter(DataLoader(ArrayDataset(np.zeros((100, 3), np.float32)), batch_size=5, num_workers=2));"
            "next(it); print(*it._pool.pids())")  # exits with the iterator alive
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0 and "leaked" not in out.stderr, out.stderr
    time.sleep(0.2)
    assert not any(alive(int(p)) for p in out.stdout.split())


def test_persistent_workers_are_reused_across_epochs():
    ds = ArrayDataset(np.arange(30, dtype=np.float32))
    loader = DataLoader(ds, batch_size=4, shuffle=True, num_workers=2, persistent_workers=True)
    epochs, pids = [], []
    for _ in range(3):
        it = iter(loader)
        pids.append(tuple(it._pool.pids()))
        epochs.append(sum((x.tolist() for (x,) in it), []))
    assert len(set(pids)) == 1 and all(alive(p) for p in pids[0])
    assert all(sorted(e) == list(range(30)) for e in epochs) and epochs[0] != epochs[1]
    for i, _ in enumerate(loader):  # an abandoned epoch does not leak into the next
        if i == 1:
            break
    assert sorted(sum((x.tolist() for (x,) in loader), [])) == list(range(30))
    it = loader._iterator
    it.close()
    assert not any(alive(p) for p in pids[0])


def test_worker_init_fn_and_collate_fn():
    def init(wid):
        get_worker_info().dataset.offset = 100 * (wid + 1)

    class Offset(Dataset):
        offset = 0

        def __len__(self):
            return 4

        def __getitem__(self, i):
            return self.offset + i

    out = list(DataLoader(Offset(), batch_size=2, num_workers=2, worker_init_fn=init, collate_fn=list))
    assert out == [[100, 101], [202, 203]]


def test_worker_init_fn_failure_is_reported():
    def init(wid):
        raise KeyError("bad init")

    with pytest.raises(DataLoaderError, match="worker_init_fn"):
        list(DataLoader(ArrayDataset(np.zeros(4)), num_workers=1, worker_init_fn=init))


def test_batches_of_tensors_cross_processes():
    x = ember.arange(24, dtype=ember.float32).reshape(12, 2)
    from ember.data import TensorDataset
    loader = DataLoader(TensorDataset(x), batch_size=5, num_workers=2, collate_fn=lambda b: {"x": [t[0] for t in b]})
    got = [ember.stack(b["x"]).numpy() for b in loader]
    np.testing.assert_array_equal(np.concatenate(got), x.numpy())
    big = DataLoader(ArrayDataset(np.random.rand(64, 1000).astype(np.float32)), batch_size=32, num_workers=2)
    np.testing.assert_array_equal(np.concatenate([b.numpy() for (b,) in big]), big.dataset.arrays[0])


def test_spawn_context_with_memory_mapped_dataset(tmp_path):
    x = np.random.rand(40, 3).astype(np.float32)
    np.save(tmp_path / "x.npy", x)
    loader = DataLoader(ArrayDataset.from_npy(tmp_path / "x.npy"), batch_size=8, num_workers=1,
                        multiprocessing_context="spawn")
    np.testing.assert_array_equal(np.concatenate([b.numpy() for (b,) in loader]), x)


def test_no_batching_and_len():
    ds = ArrayDataset(np.arange(10.0))
    assert [x[0].item() for x in DataLoader(ds, batch_size=None)][:3] == [0.0, 1.0, 2.0]
    assert len(DataLoader(ds, batch_size=3)) == 4 and len(DataLoader(ds, batch_size=3, drop_last=True)) == 3


@pytest.mark.parametrize("kwargs,match", [
    (dict(num_workers=-1), "num_workers"),
    (dict(timeout=-1), "timeout"),
    (dict(prefetch_factor=2), "prefetch_factor"),
    (dict(persistent_workers=True), "persistent_workers"),
    (dict(batch_sampler=[[0]], batch_size=2), "mutually exclusive"),
    (dict(sampler=[0], shuffle=True), "mutually exclusive"),
    (dict(worker_type="fiber"), "worker_type"),
])
def test_argument_errors(kwargs, match):
    with pytest.raises(ember.ArgumentError, match=match):
        DataLoader(ArrayDataset(np.zeros(4)), **kwargs)
