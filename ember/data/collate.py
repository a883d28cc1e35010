"""Collation: a list of samples -> one batch, with `torch.utils.data.default_collate`'s rules.

Tensors and NumPy arrays are stacked along a new first dim into an ember
Tensor; Python floats become float64, ints int64 and bools bool tensors;
strings stay a list; dicts, namedtuples, tuples and lists are collated field
by field (a tuple becomes a list, as in PyTorch).

    >>> import numpy as np
    >>> b = default_collate([{"x": np.zeros(3, np.float32), "y": 1}, {"x": np.ones(3, np.float32), "y": 2}])
    >>> tuple(b["x"].shape), b["y"].tolist(), b["y"].dtype
    ((2, 3), [1, 2], ember.int64)
"""
import collections.abc

import numpy as np

from ember.autograd import Tensor
from ember.backend import dtypes
from ember.backend.device import CPU
from ember.errors import DTypeError, ShapeError
from ember.ops.creation import from_numpy, tensor
from ember.ops.join import stack

__all__ = ["default_collate", "default_convert", "array_to_tensor"]

_ERR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}")


def _is_namedtuple(x):
    return isinstance(x, tuple) and hasattr(x, "_fields")


def array_to_tensor(arr):
    """An ember Tensor sharing memory with NumPy array `arr` (string and object arrays are refused)."""
    if arr.dtype.kind in "SaUO" or arr.dtype not in dtypes._NP:
        raise DTypeError(_ERR.format(f"a numpy array of dtype {arr.dtype}") +
                         "; convert it to a numeric dtype in the dataset")
    return from_numpy(arr)


def _stack_tensors(batch):
    shapes = {tuple(t.shape) for t in batch}
    if len(shapes) > 1:
        raise ShapeError(f"default_collate: stack expects each tensor to be equal size, got shapes "
                         f"{sorted(shapes)}; pad the samples or pass a collate_fn")
    if any(t.requires_grad or t.device != CPU for t in batch):
        return stack(list(batch), 0)
    return from_numpy(np.stack([t.numpy() for t in batch]))


def _stack_arrays(batch):
    shapes = {b.shape for b in batch}
    if len(shapes) > 1:
        raise ShapeError(f"default_collate: stack expects each array to be equal size, got shapes "
                         f"{sorted(shapes)}; pad the samples or pass a collate_fn")
    return array_to_tensor(np.stack(batch))


def default_collate(batch):
    """Merge a list of samples into a batch (PyTorch's `default_collate` structure, ember Tensors).

        >>> default_collate([(1.0, "a"), (2.0, "b")])
        [tensor([1., 2.], dtype=ember.float64), ('a', 'b')]
    """
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "SaUO":
            raise DTypeError(_ERR.format(f"a numpy array of dtype {elem.dtype}"))
        return _stack_arrays(batch)
    if isinstance(elem, (np.number, np.bool_)):
        return array_to_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, (bool, int)):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        out = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            return type(elem)(out)
        except TypeError:  # a mapping type that cannot be built from a dict
            return out
    if _is_namedtuple(elem):
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if len({len(e) for e in batch}) != 1:
            raise ShapeError("default_collate: each element in list of batch should be of equal size, got "
                             f"lengths {[len(e) for e in batch]}")
        transposed = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return transposed
        try:
            return type(elem)(transposed)
        except TypeError:
            return transposed
    raise DTypeError(_ERR.format(type(elem)))


def default_convert(data):
    """Convert NumPy arrays and scalars inside `data` to ember Tensors, keeping the structure.

    The collate function of a DataLoader that does not batch (`batch_size=None`).
    """
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if data.dtype.kind in "SaUO" else array_to_tensor(data)
    if isinstance(data, (np.number, np.bool_)):
        return array_to_tensor(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        out = {key: default_convert(v) for key, v in data.items()}
        try:
            return type(data)(out)
        except TypeError:
            return out
    if _is_namedtuple(data):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        try:
            return type(data)([default_convert(d) for d in data])
        except TypeError:
            return [default_convert(d) for d in data]
    return data
