"""`SupervisedDataset`: inputs and targets held as NumPy arrays, with torchvision's transform hooks.

Every built-in dataset is one. A sample is `(x, y)` as ember tensors (or
whatever `transform` / `target_transform` make of them); `ds.data` and
`ds.targets` are the whole arrays, for code that wants them at once.

    >>> import numpy as np
    >>> ds = SupervisedDataset(np.zeros((4, 2), np.float32), np.arange(4))
    >>> x, y = ds[1]
    >>> tuple(x.shape), y.item(), y.dtype
    ((2,), 1, ember.int64)
"""
import numbers

import numpy as np

from ember.data.collate import default_collate
from ember.data.dataset import Dataset
from ember.errors import ArgumentError, EmberError, IndexOutOfRangeError, ShapeError
from ember.ops.creation import from_numpy

__all__ = ["SupervisedDataset", "split_indices", "DataFileError", "MissingDataError", "MissingExtraError"]


class DataFileError(EmberError, ValueError):
    """A data file whose content is not what its format promises (truncated, bad header, not numbers...)."""


class MissingDataError(EmberError, FileNotFoundError):
    """A data file that is not where the dataset looks for it (ember downloads nothing)."""


class MissingExtraError(EmberError, ImportError):
    """An optional dependency (an ember extra such as `datasets` or `images`) is not installed."""


class SupervisedDataset(Dataset):
    """Samples `(data[i], targets[i])` as tensors, through optional `transform` / `target_transform`.

    `classes` names the class of each integer target, when there are classes.
    """

    def __init__(self, data, targets, transform=None, target_transform=None, classes=None):
        data, targets = np.asarray(data), np.asarray(targets)
        if data.ndim == 0 or targets.ndim == 0 or data.shape[0] != targets.shape[0]:
            raise ShapeError(f"{type(self).__name__}: data of shape {data.shape} and targets of shape "
                             f"{targets.shape} must share a first dimension (one target per sample)")
        self.data, self.targets = data, targets
        self.transform, self.target_transform = transform, target_transform
        self.classes = list(classes) if classes is not None else None

    @property
    def class_to_idx(self):
        return None if self.classes is None else {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return self.data.shape[0]

    def _index(self, index):
        if not isinstance(index, numbers.Integral) or isinstance(index, bool):
            raise ArgumentError(f"{type(self).__name__}: index must be an int, got {type(index).__name__}")
        n = len(self)
        if not -n <= index < n:
            raise IndexOutOfRangeError(f"{type(self).__name__}: index {index} is out of range for a "
                                       f"dataset of length {n}")
        return int(index) % n

    def _input(self, i):
        """Sample `i`'s input before `transform` (a tensor; image datasets give the raw array)."""
        return from_numpy(np.array(self.data[i]))

    def __getitem__(self, index):
        i = self._index(index)
        x, y = self._input(i), from_numpy(np.array(self.targets[i]))
        if self.transform is not None:
            x = self.transform(x)
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def get_batch(self, indices):
        """The batch `default_collate` would build from these samples; one gather when no transforms."""
        if self.transform is not None or self.target_transform is not None:
            return default_collate([self[i] for i in indices])
        idx = np.asarray(indices, dtype=np.int64)
        n = len(self)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexOutOfRangeError(f"{type(self).__name__}: indices {idx.min()}..{idx.max()} are out of "
                                       f"range for a dataset of length {n}")
        return [from_numpy(np.ascontiguousarray(self.data[idx])), from_numpy(np.ascontiguousarray(self.targets[idx]))]

    def __repr__(self):
        lines = [f"Dataset {type(self).__name__}", f"    Number of datapoints: {len(self)}"]
        for name in ("transform", "target_transform"):
            if getattr(self, name) is not None:
                lines.append(f"    {name}: {getattr(self, name)!r}")
        return "\n".join(lines)


def split_indices(n, train, test_fraction=0.2, seed=0, stratify=None):
    """The indices of the `train` (True) or test (False) part of a seeded shuffle of `range(n)`.

    With `stratify` (the integer labels), each class is split in the same
    proportion. The split depends on `seed` only, never on ember's generator.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ArgumentError(f"split: test_fraction must be in (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    groups = [np.arange(n)] if stratify is None else [np.flatnonzero(stratify == c) for c in np.unique(stratify)]
    chosen = []
    for g in groups:
        g = rng.permutation(g)
        n_test = int(round(len(g) * test_fraction))
        chosen.append(g[n_test:] if train else g[:n_test])
    return np.sort(np.concatenate(chosen)) if chosen else np.arange(0)
