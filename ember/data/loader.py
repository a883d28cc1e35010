"""`DataLoader`: batches from a dataset, in order, optionally read by worker processes or threads.

PyTorch's arguments and behaviour. Batches come back in sampler order
whatever the number of workers: each task is numbered, workers' answers go
into a reordering buffer, and batch `n` is handed out only after `n - 1`.

Workers are processes by default (`worker_type="thread"` picks threads).
Measured with `benchmarks/data.py` on a shared 2-CPU machine (noisy; batches/s,
ember processes / ember threads / torch processes):

- in-memory arrays (`ArrayDataset`, 60000x784 float32, batch 128): a batch is
  one vectorized row gather (`get_batch`), so 0 workers is fastest (5-8x
  torch); with 1-2 workers threads ran 2-6x faster than processes, which pay
  for moving 400 KB per batch through shared memory, and processes still ran
  1.5-3.9x torch's workers;
- image folder (64 PNG decodes per batch): all three within noise of each other
  at 1 worker; at 2 workers threads led (Pillow releases the GIL while
  decoding), processes were 0.4-1.0x torch.

Threads win on throughput when the per-item work releases the GIL, but they
share the process's RNGs, so random augmentations are not reproducible; and
per-item work in pure Python holds the GIL and does not scale with threads.
Processes give each worker its own seeded ember, NumPy and `random` streams
(same seed, same batches, any run) and scale pure-Python work, so they are the
default; for the same seed both kinds give the same batches of a dataset whose
items depend only on their index.

Worker processes send batches through shared memory (`_shm`): ember tensors
refuse pickling, so a worker converts them to arrays and the main process
wraps them back, without a copy. A worker that raises is reported as a
`DataLoaderError` naming the worker, the sample index and the worker's
traceback; a worker that dies is detected at once (the main process waits on
the processes' sentinels); workers are shut down when the iterator is
exhausted, dropped (a `break`), collected, or at interpreter exit.

    >>> import numpy as np
    >>> from ember.data import ArrayDataset, DataLoader
    >>> loader = DataLoader(ArrayDataset(np.zeros((10, 3), np.float32), np.arange(10)), batch_size=4)
    >>> [tuple(x.shape) for x, y in loader]
    [(4, 3), (4, 3), (2, 3)]
"""
import time
import warnings
import weakref

from ember import cuda
from ember.autograd.tensor import Tensor
from ember.backend.device import CPU
from ember.backend.random import Generator, default_generator
from ember.data import _pool
from ember.data._worker import DataLoaderError, IterFetcher, MapFetcher, raise_report
from ember.data.collate import default_collate, default_convert
from ember.data.dataset import IterableDataset
from ember.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from ember.errors import ArgumentError

__all__ = ["DataLoader"]

_POLL_SECONDS = 1.0


def _check_args(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, num_workers, timeout,
                prefetch_factor, persistent_workers, worker_type):
    if not isinstance(num_workers, int) or num_workers < 0:
        raise ArgumentError(f"DataLoader: num_workers option should be a non-negative integer, got {num_workers!r}")
    if timeout < 0:
        raise ArgumentError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
    if num_workers == 0 and prefetch_factor is not None:
        raise ArgumentError("DataLoader: prefetch_factor option could only be specified with num_workers > 0")
    if prefetch_factor is not None and (not isinstance(prefetch_factor, int) or prefetch_factor < 1):
        raise ArgumentError(f"DataLoader: prefetch_factor should be a positive int, got {prefetch_factor!r}")
    if persistent_workers and num_workers == 0:
        raise ArgumentError("DataLoader: persistent_workers option needs num_workers > 0")
    if worker_type not in ("process", "thread"):
        raise ArgumentError(f"DataLoader: worker_type must be 'process' or 'thread', got {worker_type!r}")
    if isinstance(dataset, IterableDataset):
        if shuffle not in (None, False):
            raise ArgumentError(f"DataLoader with IterableDataset: expected unspecified shuffle option, "
                                f"but got shuffle={shuffle}")
        if sampler is not None or batch_sampler is not None:
            raise ArgumentError("DataLoader with IterableDataset: expected unspecified sampler and batch_sampler "
                                "options; shard the stream in __iter__ with get_worker_info()")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
        raise ArgumentError("DataLoader: batch_sampler option is mutually exclusive with batch_size, shuffle, "
                            "sampler, and drop_last")
    if sampler is not None and shuffle:
        raise ArgumentError("DataLoader: sampler option is mutually exclusive with shuffle")
    if batch_size is None and drop_last:
        raise ArgumentError("DataLoader: batch_size=None option disables auto-batching and is mutually "
                            "exclusive with drop_last")


class DataLoader:
    """Iterate over `dataset` in batches (PyTorch's `DataLoader` arguments), plus `worker_type`.

    `worker_type="process"` (default) or `"thread"` picks what `num_workers`
    workers are; see the module docstring for why processes are the default.
    `pin_memory=True` copies each batch's tensors into page-locked host memory (CuPy's pinned
    pool) when CUDA is available, so `batch.to("cuda")` copies at full bandwidth; without CUDA it
    warns and does nothing, as PyTorch does.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 worker_type="process"):
        _check_args(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, num_workers, timeout,
                    prefetch_factor, persistent_workers, worker_type)
        if generator is not None and not isinstance(generator, Generator):
            raise ArgumentError(f"DataLoader: generator must be an ember.Generator, got {type(generator).__name__}")
        self.dataset, self.num_workers, self.timeout = dataset, num_workers, timeout
        self.pin_memory = bool(pin_memory)
        if self.pin_memory and not cuda.is_available():  # as PyTorch: nothing to pin for, said once
            warnings.warn("DataLoader: pin_memory=True, but CUDA is not available; batches stay in ordinary "
                          "(pageable) host memory", stacklevel=2)
        self.worker_init_fn, self.multiprocessing_context = worker_init_fn, multiprocessing_context
        self.generator, self.persistent_workers, self.worker_type = generator, persistent_workers, worker_type
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None or not num_workers else 2
        self._iterable = isinstance(dataset, IterableDataset)
        if not self._iterable and batch_sampler is None:
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
            if batch_size is not None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.batch_size = batch_size if batch_sampler is None or self._iterable else getattr(
            batch_sampler, "batch_size", batch_size)
        self.drop_last = drop_last
        self._auto_collation = batch_sampler is not None or (self._iterable and batch_size is not None)
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        self._iterator = None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def _spec(self):
        """What a worker needs to build batches (sent to worker processes)."""
        return {"dataset": self.dataset, "auto_collation": self._auto_collation, "collate_fn": self.collate_fn,
                "drop_last": self.drop_last, "batch_size": self.batch_size, "iterable": self._iterable,
                "num_workers": self.num_workers, "worker_init_fn": self.worker_init_fn}

    def _base_seed(self):
        g = self.generator if self.generator is not None else default_generator
        return int(g.np.integers(0, 2**62))

    def __iter__(self):
        if self.pin_memory and cuda.is_available():
            return map(_pin, self._batches())
        return self._batches()

    def _batches(self):
        if self.num_workers == 0:
            return _SingleProcessIter(self)
        if not self.persistent_workers:
            return _MultiWorkerIter(self)
        if self._iterator is None or not self._iterator._finalizer.alive:
            self._iterator = _MultiWorkerIter(self)
        else:
            self._iterator._reset(self)
        return self._iterator

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
            return n
        return len(self._index_sampler)


class _SingleProcessIter:
    """`num_workers=0`: batches read in the calling thread."""

    def __init__(self, loader):
        loader._base_seed()  # drawn as with workers, so the sampler's stream does not depend on num_workers
        spec = loader._spec()
        kind = IterFetcher if loader._iterable else MapFetcher
        self._fetcher = kind(spec["dataset"], spec["auto_collation"], spec["collate_fn"], spec["drop_last"],
                             spec["batch_size"])
        self._indices = None if loader._iterable else iter(loader._index_sampler)

    def __iter__(self):
        return self

    def __next__(self):
        index = None if self._indices is None else next(self._indices)
        return self._fetcher.fetch(index)


class _MultiWorkerIter:
    """`num_workers > 0`: tasks round-robin to workers, answers reordered, delivered in task order."""

    def __init__(self, loader):
        self._timeout, self._persistent = loader.timeout, loader.persistent_workers
        self._num_workers, self._prefetch = loader.num_workers, loader.prefetch_factor
        kind = _pool.ProcessPool if loader.worker_type == "process" else _pool.ThreadPool
        self._pool = kind(loader._spec(), loader._base_seed(), loader.multiprocessing_context)
        self._finalizer = weakref.finalize(self, self._pool.shutdown)
        self._epoch = -1
        self._reset(loader)

    def _reset(self, loader):
        self._epoch += 1
        self._iterable = loader._iterable
        self._indices = None if loader._iterable else iter(loader._index_sampler)
        self._active = [True] * self._num_workers
        self._next_worker = 0
        self._sent = self._delivered = 0
        self._exhausted = False
        self._buffer, self._task_worker = {}, {}
        for _ in range(self._prefetch * self._num_workers):
            self._dispatch()

    def _dispatch(self):
        """Send the next task to the next active worker, if there is one."""
        if not self._finalizer.alive or self._exhausted or not any(self._active):
            return
        index = None
        if self._indices is not None:
            index = next(self._indices, StopIteration)
            if index is StopIteration:
                self._exhausted = True
                return
        while not self._active[self._next_worker]:
            self._next_worker = (self._next_worker + 1) % self._num_workers
        wid, self._next_worker = self._next_worker, (self._next_worker + 1) % self._num_workers
        self._pool.send(wid, (self._epoch, self._sent, index))
        self._task_worker[self._sent] = wid
        self._sent += 1

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self._delivered == self._sent:
                if not self._persistent:
                    self.close()
                raise StopIteration
            msg = self._buffer.pop(self._delivered, None) or self._wait()
            self._delivered += 1
            kind, _, n, payload = msg
            if kind == "end":
                self._active[self._task_worker[n]] = False
                self._dispatch()
                continue
            if kind == "error":
                self._fail()
                raise_report(payload, n)
            self._dispatch()
            return payload

    def _wait(self):
        """Collect messages until the one for task `self._delivered` arrives (or fail)."""
        start = time.monotonic()
        while True:
            waited = time.monotonic() - start
            if self._timeout and waited >= self._timeout:
                wid = self._task_worker.get(self._delivered)
                self._fail()
                raise DataLoaderError(f"DataLoader timed out after {self._timeout} s waiting for batch "
                                      f"{self._delivered} from worker {wid}", worker_id=wid)
            limit = _POLL_SECONDS if not self._timeout else min(_POLL_SECONDS, self._timeout - waited)
            try:
                messages = self._pool.recv(limit)
            except DataLoaderError:
                self._fail()
                raise
            for wid, msg in messages:
                kind, epoch, n, payload = msg
                if kind == "error" and n is None:  # worker_init_fn failed
                    self._fail()
                    raise_report(payload, None)
                if epoch != self._epoch:  # left over from an epoch that was abandoned
                    continue
                self._buffer[n] = msg
            if self._delivered in self._buffer:
                return self._buffer.pop(self._delivered)

    def close(self):
        """Shut the workers down now (also done when the iterator is exhausted or collected)."""
        self._finalizer()

    def _fail(self):
        """Shut down after a failure: workers may be stuck, so terminate them without a long wait."""
        self._pool.shutdown(0.1)
        self._finalizer()


def _pin(batch):
    """`batch` with its CPU tensors copied into pinned host memory (`pin_memory=True` with CUDA)."""
    if isinstance(batch, Tensor):
        return Tensor(cuda.pinned_copy(batch._data)) if batch.device is CPU else batch
    if isinstance(batch, dict):
        return type(batch)((k, _pin(v)) for k, v in batch.items())
    if isinstance(batch, (list, tuple)):
        return type(batch)(_pin(v) for v in batch)
    return batch
