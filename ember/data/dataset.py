"""Datasets: PyTorch's `torch.utils.data` classes, plus `ArrayDataset` over NumPy or `.npy` files.

A map-style dataset has `__getitem__(index)` and `__len__`; an iterable
dataset has `__iter__`. A dataset may also define `get_batch(indices)`, which
returns the batch `default_collate([self[i] for i in indices])` would build,
in one vectorized step; `DataLoader` uses it when it collates with
`default_collate` (this is how `ArrayDataset` reads a batch of rows at once).

    >>> import numpy as np
    >>> from ember.data import ArrayDataset, random_split
    >>> ds = ArrayDataset(np.arange(10.0).reshape(5, 2), np.arange(5))
    >>> x, y = ds[3]
    >>> x.tolist(), int(y)
    ([6.0, 7.0], 3)
    >>> [len(s) for s in random_split(ds, [0.6, 0.4])]
    [3, 2]
"""
import bisect
import math

import numpy as np

from ember.autograd import Tensor
from ember.backend.random import Generator, default_generator
from ember.data.collate import array_to_tensor, default_collate
from ember.errors import ArgumentError, IndexOutOfRangeError, ShapeError

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset",
           "ArrayDataset", "random_split"]


class Dataset:
    """A map-style dataset: subclasses define `__getitem__(index)` and `__len__()`.

    `a + b` is `ConcatDataset([a, b])`.
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A dataset that is a stream: subclasses define `__iter__()`.

    With `num_workers > 0`, each worker iterates its own copy; call
    `ember.data.get_worker_info()` inside `__iter__` to give each worker its shard.
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


def _check_index(name, index, n):
    if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
        raise ArgumentError(f"{name}: index must be an int, got {type(index).__name__}")
    if not -n <= index < n:
        raise IndexOutOfRangeError(f"{name}: index {index} is out of range for a dataset of length {n}")
    return int(index) % n if n else int(index)


class TensorDataset(Dataset):
    """Samples are tuples `(t[i] for t in tensors)`; all tensors share the first dimension.

        >>> import ember
        >>> ds = TensorDataset(ember.zeros(4, 3), ember.arange(4))
        >>> len(ds), ds[1][1].item()
        (4, 1)
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ArgumentError("TensorDataset: give at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor) or t.dim() == 0:
                raise ArgumentError(f"TensorDataset: every argument must be a tensor with at least one dim, "
                                    f"got {type(t).__name__}")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            raise ShapeError(f"TensorDataset: tensors have first dimensions {sizes}; they must all be equal")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def get_batch(self, indices):
        """`[t[indices] for t in tensors]`: the batch default_collate would build, in one step."""
        idx = np.asarray(indices, dtype=np.int64)
        if any(t.requires_grad for t in self.tensors):
            return [t[Tensor(idx)] for t in self.tensors]
        return [Tensor(np.ascontiguousarray(t.numpy()[idx])) for t in self.tensors]


class ArrayDataset(Dataset):
    """Samples are tuples `(a[i] for a in arrays)` of NumPy rows; arrays share the first dimension.

    Arrays may be memory-mapped (`ArrayDataset.from_npy(..., mmap=True)`):
    an item reads its row from disk when asked, and a batch copies only the
    rows it needs, so a dataset larger than memory streams from disk.

        >>> import numpy as np
        >>> ds = ArrayDataset(np.zeros((100, 784), np.float32), np.arange(100))
        >>> x, y = ds.get_batch([3, 1])
        >>> tuple(x.shape), y.tolist()
        ((2, 784), [3, 1])
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ArgumentError("ArrayDataset: give at least one array")
        arrays = tuple(a if isinstance(a, np.ndarray) else np.asarray(a) for a in arrays)
        for a in arrays:
            if a.ndim == 0:
                raise ShapeError("ArrayDataset: every array needs at least one dimension, got a 0-d array")
        sizes = [a.shape[0] for a in arrays]
        if len(set(sizes)) != 1:
            raise ShapeError(f"ArrayDataset: arrays have first dimensions {sizes}; they must all be equal")
        self.arrays = arrays

    @classmethod
    def from_npy(cls, *paths, mmap=True):
        """An ArrayDataset over `.npy` files, memory-mapped read-only unless `mmap=False` (then loaded)."""
        if not paths:
            raise ArgumentError("ArrayDataset.from_npy: give at least one .npy path")
        return cls(*(np.load(p, mmap_mode="r" if mmap else None, allow_pickle=False) for p in paths))

    def __len__(self):
        return self.arrays[0].shape[0]

    def __getitem__(self, index):
        i = _check_index("ArrayDataset", index, len(self))
        return tuple(_own(a[i]) for a in self.arrays)

    def get_batch(self, indices):
        """`[Tensor(a[indices]) for a in arrays]`, reading only those rows."""
        idx = np.asarray(indices, dtype=np.int64)
        n = len(self)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexOutOfRangeError(f"ArrayDataset: indices {idx.min()}..{idx.max()} out of range "
                                       f"for a dataset of length {n}")
        return [array_to_tensor(np.asarray(a[idx])) for a in self.arrays]

    def __getstate__(self):
        # A memmap pickles as its whole content; send its file instead (spawned workers reopen it).
        return {"arrays": [("memmap", a.filename, a.dtype.str, a.shape, a.offset, a.flags.f_contiguous)
                           if isinstance(a, np.memmap) and getattr(a, "filename", None) else ("array", a)
                           for a in self.arrays]}

    def __setstate__(self, state):
        arrays = []
        for entry in state["arrays"]:
            if entry[0] == "memmap":
                _, fname, dtype, shape, offset, fortran = entry
                arrays.append(np.memmap(fname, dtype=dtype, mode="r", shape=shape, offset=offset,
                                        order="F" if fortran else "C"))
            else:
                arrays.append(entry[1])
        self.arrays = tuple(arrays)


def _own(row):
    """A row as a plain in-memory value: a memmap slice is copied off the file."""
    if isinstance(row, np.ndarray):
        return np.array(row)
    return row


class ConcatDataset(Dataset):
    """The datasets one after another: `ConcatDataset([a, b])[len(a)]` is `b[0]`."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ArgumentError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise ArgumentError("ConcatDataset: does not support IterableDataset; use ChainDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        n = len(self)
        i = _check_index("ConcatDataset", index, n)
        k = bisect.bisect_right(self.cumulative_sizes, i)
        return self.datasets[k][i - (self.cumulative_sizes[k - 1] if k else 0)]


class ChainDataset(IterableDataset):
    """Iterable datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index):
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in index]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)

    def get_batch(self, indices):
        """The wrapped dataset's `get_batch` on the mapped indices, else `default_collate` of the items."""
        mapped = [self.indices[i] for i in indices]
        if hasattr(self.dataset, "get_batch"):
            return self.dataset.get_batch(mapped)
        return default_collate([self.dataset[i] for i in mapped])


def _split_lengths(lengths, n):
    lengths = list(lengths)
    if lengths and all(isinstance(x, float) for x in lengths) and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        for f in lengths:
            if not 0 <= f <= 1:
                raise ArgumentError(f"random_split: fraction {f} is not between 0 and 1")
        counts = [int(math.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):  # hand out the remainder round-robin, as PyTorch does
            counts[i % len(counts)] += 1
        return counts
    if not all(isinstance(x, (int, np.integer)) and not isinstance(x, bool) and x >= 0 for x in lengths):
        raise ArgumentError(f"random_split: lengths must be non-negative ints or fractions summing to 1, "
                            f"got {lengths}")
    if sum(lengths) != n:
        raise ArgumentError(f"random_split: sum of lengths {sum(lengths)} does not equal the length "
                            f"of the dataset ({n})")
    return [int(x) for x in lengths]


def random_split(dataset, lengths, generator=None):
    """Split `dataset` into non-overlapping `Subset`s of `lengths` (ints, or fractions summing to 1).

    The permutation comes from `generator` (default: ember's default
    generator), so the same seed gives the same split every run.
    """
    counts = _split_lengths(lengths, len(dataset))
    g = generator if generator is not None else default_generator
    if not isinstance(g, Generator):
        raise ArgumentError(f"random_split: generator must be an ember.Generator, got {type(g).__name__}")
    perm = g.np.permutation(sum(counts)).tolist()
    out, start = [], 0
    for c in counts:
        out.append(Subset(dataset, perm[start:start + c]))
        start += c
    return out
