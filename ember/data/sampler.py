"""Samplers: which indices a DataLoader reads, in which order (PyTorch's classes and arguments).

Random samplers draw from an `ember.Generator` (`generator=`); without one,
each pass seeds a fresh stream from ember's default generator, so
`ember.manual_seed(s)` fixes the order of every epoch.

    >>> import ember
    >>> from ember.data import BatchSampler, RandomSampler
    >>> g = ember.Generator().manual_seed(0)
    >>> batches = list(BatchSampler(RandomSampler(range(10), generator=g), batch_size=4, drop_last=False))
    >>> [len(b) for b in batches], sorted(sum(batches, []))
    ([4, 4, 2], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
"""
import math
import os

import numpy as np

from ember.autograd import Tensor
from ember.backend.random import Generator, default_generator
from ember.errors import ArgumentError, ShapeError

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler",
           "BatchSampler", "DistributedSampler"]


def _rng(name, generator):
    """The NumPy Generator to draw one pass from: `generator`'s stream, or a fresh one seeded from the default."""
    if generator is None:
        return np.random.default_rng(int(default_generator.np.integers(0, 2**63 - 1)))
    if not isinstance(generator, Generator):
        raise ArgumentError(f"{name}: generator must be an ember.Generator, got {type(generator).__name__}")
    return generator.np


def _positive_int(name, arg, value):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
        raise ArgumentError(f"{name}: {arg} should be a positive integer, got {arg}={value!r}")
    return int(value)


class Sampler:
    """Base class: subclasses define `__iter__` (indices or lists of indices) and usually `__len__`."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random order of the indices (a new permutation per pass), or `num_samples` draws with replacement."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise ArgumentError(f"RandomSampler: replacement should be a boolean value, got {replacement!r}")
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples
        _positive_int("RandomSampler", "num_samples", self.num_samples)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        n, rng = len(self.data_source), _rng("RandomSampler", self.generator)
        if self.replacement:
            yield from rng.integers(0, n, self.num_samples).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from rng.permutation(n).tolist()
        yield from rng.permutation(n)[: self.num_samples % n].tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given `indices` in a random order (a new one per pass)."""

    def __init__(self, indices, generator=None):
        self.indices, self.generator = indices, generator

    def __iter__(self):
        for i in _rng("SubsetRandomSampler", self.generator).permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probabilities proportional to `weights`."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _positive_int("WeightedRandomSampler", "num_samples", num_samples)
        if not isinstance(replacement, bool):
            raise ArgumentError(f"WeightedRandomSampler: replacement should be a boolean, got {replacement!r}")
        w = np.asarray(weights.numpy() if isinstance(weights, Tensor) else weights, dtype=np.float64)
        if w.ndim != 1:
            raise ShapeError(f"WeightedRandomSampler: weights should be a 1-d sequence, got shape {w.shape}")
        if w.size == 0 or not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
            raise ArgumentError("WeightedRandomSampler: weights must be finite, non-negative and not all zero")
        if not replacement and num_samples > np.count_nonzero(w):
            raise ArgumentError(f"WeightedRandomSampler: cannot draw {num_samples} samples without replacement "
                                f"from {np.count_nonzero(w)} non-zero weights")
        self.weights, self.num_samples = w, int(num_samples)
        self.replacement, self.generator = replacement, generator

    def __iter__(self):
        rng = _rng("WeightedRandomSampler", self.generator)
        yield from rng.choice(len(self.weights), self.num_samples, self.replacement,
                              p=self.weights / self.weights.sum()).tolist()

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size` (the last one shorter unless `drop_last`)."""

    def __init__(self, sampler, batch_size, drop_last):
        self.batch_size = _positive_int("BatchSampler", "batch_size", batch_size)
        if not isinstance(drop_last, bool):
            raise ArgumentError(f"BatchSampler: drop_last should be a boolean value, got {drop_last!r}")
        self.sampler, self.drop_last = sampler, drop_last

    def __iter__(self):
        batch = []
        for idx in self.sampler:
            batch.append(idx)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


class DistributedSampler(Sampler):
    """Rank `rank`'s share of `dataset` out of `num_replicas` (PyTorch's partition rule).

    Every rank gets `ceil(len / num_replicas)` indices (padding by repeating
    the first ones), or `floor` with `drop_last`. With `shuffle`, all ranks use
    the permutation of seed `seed + epoch`; call `set_epoch(e)` each epoch.
    `num_replicas` and `rank` default to the `WORLD_SIZE` and `RANK` environment variables.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        num_replicas = _from_env("num_replicas", num_replicas, "WORLD_SIZE")
        rank = _from_env("rank", rank, "RANK")
        _positive_int("DistributedSampler", "num_replicas", num_replicas)
        if not isinstance(rank, (int, np.integer)) or not 0 <= rank < num_replicas:
            raise ArgumentError(f"DistributedSampler: invalid rank {rank}, rank should be in the interval "
                                f"[0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, int(seed), drop_last, 0
        n = len(dataset)
        if drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = Generator().manual_seed(self.seed + self.epoch).np.permutation(n).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[: self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Use the permutation of `seed + epoch` in the next pass (call before each epoch's iteration)."""
        self.epoch = int(epoch)


def _from_env(arg, value, var):
    if value is not None:
        return value
    if var in os.environ:
        return int(os.environ[var])
    raise ArgumentError(f"DistributedSampler: give {arg}= explicitly (or set the {var} environment variable)")
