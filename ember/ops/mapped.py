"""`from_file`: a tensor over the bytes of a file, memory-mapped (`shared=True`: writes reach the file) or
copied on write (`shared=False`, the default), as PyTorch's.

    >>> import numpy as np, ember, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "x.bin")
    >>> np.arange(4, dtype=np.float32).tofile(path)
    >>> ember.from_file(path, size=4)
    tensor([0., 1., 2., 3.])
"""
import os

import numpy as np

from ember.backend import dtypes
from ember.backend.device import device as as_device
from ember.errors import ArgumentError, DeviceError, DTypeError
from ember.ops._util import _wrap

__all__ = ["from_file"]
METHODS = ""
INPLACE = ""


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None, pin_memory=False,
              requires_grad=False):
    """The first `size` elements of dtype `dtype` (default: the default dtype) stored in `filename`."""
    op = "from_file"
    dt = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype, op)
    if layout is not None and getattr(layout, "name", None) != "strided":
        raise ArgumentError(f"{op}: layout={layout!r} is not supported; ember tensors are strided")
    if device is not None and as_device(device).type != "cpu":
        raise DeviceError(f"{op}: a file is mapped into CPU memory; move the tensor with .to({str(device)!r})")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ArgumentError(f"{op}: size must be a non-negative int, got {size!r}")
    if not isinstance(filename, (str, bytes, os.PathLike)):
        raise DTypeError(f"{op}: filename must be a str or a path, got {type(filename).__name__}")
    if not os.path.isfile(filename):
        raise ArgumentError(f"{op}: no such file {filename!r}")
    need, have = size * dt.itemsize, os.path.getsize(filename)
    if need > have:
        raise ArgumentError(f"{op}: file {filename!r} has {have} bytes, smaller than the {need} that size={size} "
                            f"elements of {dt} need")
    if size == 0:
        arr = np.empty(0, dtype=dt.np)
    else:
        arr = np.memmap(filename, dtype=dt.np, mode="r+" if shared else "c", shape=(size,))
        arr = arr.view(np.ndarray)  # a plain array over the mapping (NumPy keeps the map open)
    out = _wrap(arr, as_device("cpu"))
    return out.requires_grad_() if requires_grad else out
