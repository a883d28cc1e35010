"""`timeseries_dataset_from_array`: sliding windows over a series, batched, as an `ember.data.DataLoader`
(Keras returns a tf.data or Grain dataset; `fit` takes the loader the same way).

    >>> ds = keras.utils.timeseries_dataset_from_array(np.arange(10), None, sequence_length=3, batch_size=4)
    >>> [tuple(b.shape) for b in ds]
    [(4, 3), (4, 3)]
"""
import numpy as np

from ember.backend.random import Generator
from ember.data.dataset import Dataset, TensorDataset
from ember.data.loader import DataLoader
from ember.errors import ArgumentError
from ember.ops.creation import from_numpy

__all__ = ["timeseries_dataset_from_array"]


def _window_starts(n, sequence_length, sequence_stride, sampling_rate, start_index, end_index):
    start = 0 if start_index is None else int(start_index)
    end = n if end_index is None else int(end_index)
    span = (sequence_length - 1) * sampling_rate
    return np.arange(start, end - span, sequence_stride)


def timeseries_dataset_from_array(data, targets, sequence_length, sequence_stride=1, sampling_rate=1,
                                  batch_size=128, shuffle=False, seed=None, start_index=None, end_index=None):
    """Windows `data[i : i + sequence_length * sampling_rate : sampling_rate]` for i from `start_index`
    every `sequence_stride` steps (ending before `end_index`), with `targets[i]` when targets are given;
    batches of `batch_size` (None: one batch), shuffled with `seed` on request."""
    values = np.asarray(data)
    for name, value in (("sequence_length", sequence_length), ("sequence_stride", sequence_stride),
                        ("sampling_rate", sampling_rate)):
        if not isinstance(value, (int, np.integer)) or value <= 0:
            raise ArgumentError(f"timeseries_dataset_from_array: {name} must be a positive int, got {value!r}")
    if targets is not None and len(targets) != len(values):
        raise ArgumentError(f"timeseries_dataset_from_array: data has {len(values)} steps but targets "
                            f"{len(targets)}")
    starts = _window_starts(len(values), sequence_length, sequence_stride, sampling_rate, start_index, end_index)
    offsets = np.arange(sequence_length) * sampling_rate
    windows = values[starts[:, None] + offsets[None, :]] if len(starts) else values[:0][:, None].repeat(
        sequence_length, 1)
    x = from_numpy(np.ascontiguousarray(windows))
    dataset = _Windows(x) if targets is None else TensorDataset(
        x, from_numpy(np.ascontiguousarray(np.asarray(targets)[starts])))
    generator = None if seed is None else Generator().manual_seed(int(seed))
    size = max(len(dataset), 1) if batch_size is None else batch_size
    return DataLoader(dataset, batch_size=size, shuffle=shuffle, generator=generator)


class _Windows(Dataset):
    """The windows alone (no targets): each item is the window, so batches are tensors, as Keras's."""

    def __init__(self, windows):
        self.windows = windows

    def __getitem__(self, index):
        return self.windows[index]

    def __len__(self):
        return self.windows.shape[0]
