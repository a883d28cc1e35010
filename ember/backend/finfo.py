"""`finfo` and `iinfo`, as PyTorch's: the numerical limits of a floating point or integer dtype.

    >>> import ember
    >>> ember.finfo(ember.float32).eps
    1.1920928955078125e-07
    >>> ember.iinfo(ember.int8).max
    127
"""
import ml_dtypes
import numpy as np

from ember.backend import dtypes
from ember.errors import DTypeError

__all__ = ["finfo", "iinfo"]


def _numpy_info(kind, dtype):
    if dtype is dtypes.bfloat16 or dtype in dtypes.FLOAT8:  # ml_dtypes' types
        return ml_dtypes.finfo(dtype.np)
    return np.finfo(dtype.np) if kind == "f" else np.iinfo(dtype.np)


class finfo:
    """bits, eps, max, min, tiny (= smallest_normal), resolution and dtype of a floating point dtype
    (default: the default dtype)."""

    def __init__(self, type=None):
        dt = dtypes.get_default_dtype() if type is None else dtypes.as_dtype(type, "finfo")
        if not dt.is_floating_point:
            raise DTypeError(f"finfo: {dt} is not a floating point dtype; use iinfo")
        info = _numpy_info("f", dt)
        self.bits, self.eps, self.max, self.min = int(info.bits), float(info.eps), float(info.max), float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution = 10.0 ** -int(np.floor(-np.log10(self.eps)))  # PyTorch's: a power of ten
        self.dtype = str(dt).split(".")[-1]

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
                f"smallest_normal={self.smallest_normal:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """bits, max, min and dtype of an integer dtype."""

    def __init__(self, type):
        dt = dtypes.as_dtype(type, "iinfo")
        if dt.is_floating_point or dt is dtypes.bool_:
            raise DTypeError(f"iinfo: {dt} is not an integer dtype" + ("; use finfo" if dt.is_floating_point else ""))
        info = _numpy_info("i", dt)
        self.bits, self.max, self.min = int(info.bits), int(info.max), int(info.min)
        self.dtype = str(dt).split(".")[-1]

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
