"""What runs inside a DataLoader worker: fetching batches, seeding, reporting failures.

The same fetchers serve the main process (`num_workers=0`), worker threads
and worker processes, so all three build identical batches.
"""
import os
import random
import signal
import threading
import traceback
from multiprocessing.reduction import ForkingPickler

import numpy as np

from ember.backend import random as ember_random
from ember.data import _shm
from ember.data.collate import default_collate
from ember.errors import EmberError

__all__ = ["WorkerInfo", "get_worker_info", "DataLoaderError"]

_local = threading.local()


class DataLoaderError(EmberError, RuntimeError):
    """A DataLoader worker failed: raised an exception, died, or did not answer within `timeout`.

    `worker_id` and `index` (the sample index being read, or None) say where;
    `worker_traceback` holds the worker's traceback text.
    """

    def __init__(self, message, worker_id=None, index=None, worker_traceback=None):
        super().__init__(message)
        self.worker_id, self.index, self.worker_traceback = worker_id, index, worker_traceback


class WorkerInfo:
    """Inside a worker: `id`, `num_workers`, `seed` (this worker's) and `dataset` (this worker's copy)."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed})"


def get_worker_info():
    """The `WorkerInfo` of the calling DataLoader worker, or None in the main process.

    An IterableDataset uses it in `__iter__` to read only its share:

        >>> get_worker_info() is None
        True
    """
    return getattr(_local, "info", None)


class MapFetcher:
    """Reads batch `index` (a list of indices, or one index without auto-collation) from a map-style dataset."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last=False, batch_size=None):
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self.get_batch = getattr(dataset, "get_batch", None) if collate_fn is default_collate else None
        self.index = None  # the sample being read, for error reports

    def fetch(self, index):
        if not self.auto_collation:
            self.index = index
            return self.collate_fn(self.dataset[index])
        if self.get_batch is not None:
            try:
                self.index = index
                return self.get_batch(index)
            except Exception:
                for i in index:  # find the sample that fails, to name it
                    self.index = i
                    self.dataset[i]
                self.index = index
                raise
        data = []
        for i in index:
            self.index = i
            data.append(self.dataset[i])
        self.index = index
        return self.collate_fn(data)


class IterFetcher:
    """Reads the next batch from (this worker's iterator over) an IterableDataset; StopIteration at the end."""

    def __init__(self, dataset, auto_collation, collate_fn, drop_last=False, batch_size=None):
        self.iterator = iter(dataset)
        self.auto_collation, self.collate_fn = auto_collation, collate_fn
        self.drop_last, self.batch_size = drop_last, batch_size
        self.index, self.ended = -1, False

    def _next(self):
        self.index += 1
        return next(self.iterator)

    def fetch(self, _=None):
        if self.ended:
            raise StopIteration
        try:
            if not self.auto_collation:
                return self.collate_fn(self._next())
            data = []
            while len(data) < self.batch_size:
                data.append(self._next())
        except StopIteration:
            self.ended = True
            if not self.auto_collation or not data or (self.drop_last and len(data) < self.batch_size):
                raise
        return self.collate_fn(data)


def seed_worker(seed):
    """Seed ember's default generator, NumPy's global generator and Python's `random` with `seed`."""
    ember_random.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def error_report(worker_id, index):
    """The message a worker sends for the exception being handled."""
    return {"worker_id": worker_id, "index": index, "pid": os.getpid(),
            "traceback": traceback.format_exc()}


def raise_report(report, batch):
    """Raise the DataLoaderError for a worker's `error_report`."""
    tb = report["traceback"].rstrip()
    last = tb.splitlines()[-1] if tb else "unknown error"
    where = "in worker_init_fn" if batch is None else f"while reading sample index {report['index']!r} (batch {batch})"
    raise DataLoaderError(f"DataLoader worker {report['worker_id']} (pid {report['pid']}) raised {last} {where}.\n"
                          f"Original traceback in the worker:\n{tb}",
                          worker_id=report["worker_id"], index=report["index"], worker_traceback=tb)


def _start(spec, worker_id, seed, reseed):
    """Set this worker's info and seeds, run `worker_init_fn`; returns an error message or None."""
    _local.info = WorkerInfo(worker_id, spec["num_workers"], seed, spec["dataset"])
    try:
        if reseed:
            seed_worker(seed)
        if spec["worker_init_fn"] is not None:
            spec["worker_init_fn"](worker_id)
    except Exception:
        return ("error", None, None, error_report(worker_id, None))
    return None


def _run_task(spec, fetcher, task, worker_id):
    """One task -> one message: ("batch", epoch, n, batch), ("end", epoch, n, None) or ("error", ...)."""
    epoch, n, index = task[:3]
    try:
        return ("batch", epoch, n, fetcher.fetch(index))
    except StopIteration:
        return ("end", epoch, n, None)
    except Exception:
        return ("error", epoch, n, error_report(worker_id, fetcher.index))


def _new_fetcher(spec):
    kind = IterFetcher if spec["iterable"] else MapFetcher
    return kind(spec["dataset"], spec["auto_collation"], spec["collate_fn"], spec["drop_last"], spec["batch_size"])


def _tasks(spec, get_task, worker_id):
    """(task, fetcher) pairs until shutdown; an iterable dataset gets a fresh iterator each epoch."""
    fetcher, epoch = None, None
    while True:
        task = get_task()
        if task is None:
            return
        if fetcher is None or (spec["iterable"] and task[0] != epoch):
            try:
                fetcher, epoch = _new_fetcher(spec), task[0]
            except Exception:
                yield task, ("error", task[0], task[1], error_report(worker_id, None))
                continue
        yield task, fetcher


def thread_loop(spec, worker_id, seed, tasks, results):
    """A worker thread: tasks from queue `tasks`, messages to the shared queue `results` as (worker_id, msg)."""
    failed = _start(spec, worker_id, seed, reseed=False)  # the process's RNGs are shared by all threads
    if failed:
        results.put((worker_id, failed))
    for task, fetcher in _tasks(spec, tasks.get, worker_id):
        msg = fetcher if isinstance(fetcher, tuple) else _run_task(spec, fetcher, task, worker_id)
        results.put((worker_id, msg))


def process_loop(spec, worker_id, seed, task_conn, result_conn, use_shm):
    """A worker process: tasks from `task_conn`, messages (batches in shared memory slots) to `result_conn`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    parent = os.getppid()
    slots = _shm.WorkerSlots() if use_shm else None

    def get_task():
        while not task_conn.poll(1.0):
            if os.getppid() != parent:  # the main process is gone: nobody will read our results
                return None
        try:
            task = task_conn.recv()
        except (EOFError, OSError):
            return None
        if task is not None and slots is not None:
            slots.free(task[3])
        return task

    try:
        failed = _start(spec, worker_id, seed, reseed=True)
        if failed:
            _send(result_conn, failed, worker_id, slots)
        for task, fetcher in _tasks(spec, get_task, worker_id):
            msg = fetcher if isinstance(fetcher, tuple) else _run_task(spec, fetcher, task, worker_id)
            if not _send(result_conn, msg, worker_id, slots):
                return
    finally:
        if slots is not None:
            slots.close()


def _send(conn, msg, worker_id, slots):
    """Send one message; a batch goes as (tree, slot name). False when the main process is gone."""
    kind, epoch, n, payload = msg
    name = None
    try:
        if kind == "batch":
            payload = slots.pack(payload) if slots is not None else _shm.pack_inline(payload)
            name = payload[1]
        data = ForkingPickler.dumps((kind, epoch, n, payload))
    except Exception:
        if name is not None:
            slots.free([name])
        data = ForkingPickler.dumps(("error", epoch, n, error_report(worker_id, "(sending the batch)")))
    try:
        conn.send_bytes(data)
        return True
    except OSError:  # the main process closed the pipe
        return False
