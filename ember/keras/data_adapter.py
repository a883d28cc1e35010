"""Turning what `fit`/`evaluate`/`predict` receive into NumPy arrays and batches of tensors."""
import math

import numpy as np

from ember.autograd import Tensor
from ember.errors import ArgumentError, ShapeError
from ember.ops.creation import from_numpy, randperm


def to_array(data, what, op):
    """A NumPy array from a NumPy array, an ember tensor or a nested list; floats become float32."""
    if data is None:
        raise ArgumentError(f"{op}: {what} is None; pass a NumPy array or an ember tensor")
    if isinstance(data, Tensor):
        data = data.detach().numpy()
    elif isinstance(data, (dict, tuple)) or callable(getattr(data, "__next__", None)):
        raise ArgumentError(f"{op}: {what} of type {type(data).__name__} is not supported yet; pass a NumPy "
                            "array or an ember tensor")
    array = np.asarray(data)
    if array.dtype.kind == "f" and array.dtype != np.float32:
        array = array.astype(np.float32)
    if array.ndim == 0:
        raise ShapeError(f"{op}: {what} is a scalar; it needs a first (batch) dimension")
    return array


def check_lengths(x, y, op):
    if y is not None and x.shape[0] != y.shape[0]:
        raise ShapeError(f"{op}: x and y have different lengths: x has {x.shape[0]} samples (shape {x.shape}), "
                         f"y has {y.shape[0]} (shape {y.shape}); give one target per input sample")


def check_batch_size(batch_size, op):
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size <= 0:
        raise ArgumentError(f"{op}: batch_size must be a positive int, got {batch_size!r}")


def split_validation(x, y, fraction):
    """Keras's `validation_split`: the last `fraction` of the samples, taken before shuffling."""
    if not 0 <= fraction < 1:
        raise ArgumentError(f"fit: validation_split must be in [0, 1), got {fraction!r}")
    cut = int(math.floor(x.shape[0] * (1 - fraction)))
    if cut == 0 or cut == x.shape[0]:
        raise ArgumentError(f"fit: validation_split={fraction} of {x.shape[0]} samples leaves an empty "
                            "training or validation set")
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def batch_indices(n, batch_size, shuffle):
    """Index arrays of each batch; shuffled with ember's default generator (seeded by `ember.manual_seed`)."""
    order = randperm(n).numpy() if shuffle else np.arange(n)
    return [order[i:i + batch_size] for i in range(0, n, batch_size)]


def as_tensor(array):
    return from_numpy(np.ascontiguousarray(array))
