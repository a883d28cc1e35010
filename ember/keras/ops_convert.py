"""Conversions shared by the `keras.ops` modules: every op takes ember tensors, NumPy arrays and
Python numbers, and returns ember tensors.

    >>> from ember.keras.ops_convert import convert_to_tensor
    >>> convert_to_tensor([1.0, 2.0]).dtype
    ember.float32
"""
import numpy as np

import ember.ops.creation as C
from ember.autograd import Tensor
from ember.backend.dtypes import as_dtype
from ember.ops import FAMILIES

__all__ = ["convert_to_tensor", "convert_to_numpy", "to_float", "operand", "TORCH"]

# every public ember op by its PyTorch name: the `keras.ops` tables map Keras names onto these
TORCH = {name: getattr(family, name) for family in FAMILIES for name in family.__all__}


def convert_to_tensor(x, dtype=None, sparse=None):
    """An ember tensor for a tensor, NumPy array, Python number or nested list."""
    if isinstance(x, Tensor):
        t = x
    elif isinstance(x, (np.ndarray, np.generic)):
        t = C.as_tensor(np.asarray(x))
    else:
        t = C.tensor(x)
    return t if dtype is None else t.to(as_dtype(dtype))


def to_float(x):
    """`x` as a tensor, integer and bool values made float32 (Keras's floatx) as Keras's float ops do."""
    t = convert_to_tensor(x)
    return t if t.dtype.is_floating_point else t.float()


def operand(x):
    """The second operand of a binary op: Python numbers stay numbers (they take the tensor's dtype)."""
    return x if isinstance(x, (bool, int, float)) else convert_to_tensor(x)


def convert_to_numpy(x):
    """A NumPy array of `x`'s values."""
    return convert_to_tensor(x).detach().numpy()
