"""PyTorch's legacy typed-tensor classes, which older scripts still write: `ember.FloatTensor([1, 2])`
(data), `ember.LongTensor(3, 4)` (an uninitialized tensor of that size), `isinstance(t,
ember.FloatTensor)` (a float32 CPU tensor), `t.type(ember.LongTensor)` (a cast). Each class makes
ordinary `ember.Tensor`s; new code writes `ember.tensor(data, dtype=...)` as PyTorch documents.

    >>> ember.FloatTensor([1, 2])
    tensor([1., 2.])
    >>> isinstance(ember.zeros(2), ember.FloatTensor), isinstance(ember.zeros(2).long(), ember.FloatTensor)
    (True, False)
"""
import numbers

import numpy as np

from ember.autograd import Size
from ember.autograd.tensor import Tensor
from ember.errors import DTypeError
from ember.ops.convert import TENSOR_TYPES
from ember.ops.creation import empty, tensor

__all__ = list(TENSOR_TYPES.values())


class _TensorType(type):
    """The metaclass: calling the class builds a tensor; `isinstance` asks for the dtype (on the CPU)."""

    def __call__(cls, *args, device=None):
        name = cls.__name__
        if device not in (None, "cpu"):
            raise DTypeError(f"{name}: the legacy {name} is a CPU type (got device={device!r}); use "
                             f"ember.tensor(data, dtype=ember.{cls.dtype.name}, device=...)")
        if not args:
            return empty(0, dtype=cls.dtype)
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args) or \
                (len(args) == 1 and isinstance(args[0], Size)):  # a plain tuple is data, as in PyTorch
            return empty(*args, dtype=cls.dtype)  # a size: uninitialized, as PyTorch's
        if len(args) > 1:
            raise DTypeError(f"{name}: takes a size (ints) or one sequence of data, got {len(args)} arguments")
        data = args[0]
        if isinstance(data, Tensor):
            if data.dtype != cls.dtype:
                raise DTypeError(f"{name}: expected a tensor of dtype {cls.dtype}, got {data.dtype}; cast it with "
                                 f".to(ember.{cls.dtype.name})")
            return data
        if not isinstance(data, (list, tuple, np.ndarray)):
            raise DTypeError(f"{name}: data must be a sequence (got {type(data).__name__})")
        return tensor(data, dtype=cls.dtype)

    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype and obj.device.type == "cpu"

    def __repr__(cls):
        return f"<class 'ember.{cls.__name__}'>"


def _make(dt, name):
    return _TensorType(name, (), {"dtype": dt, "__doc__": f"Legacy constructor of {dt} CPU tensors."})


globals().update({name: _make(dt, name) for dt, name in TENSOR_TYPES.items()})
