"""softmax, log_softmax and softmin over one dim, computed stably (the max is subtracted
first), so float32 inputs up to 1e4 in magnitude give finite values and gradients.

    >>> import ember
    >>> x = ember.tensor([[1.0, 2.0, 3.0]])
    >>> ember.softmax(x, dim=1)
    tensor([[0.09  , 0.2447, 0.6652]])
"""
import warnings

import numpy as np

from ember.autograd.checks import normalize_dim
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import DTypeError
from ember.ops.activation import need_float
from ember.ops.registry import Sample, register

__all__ = ["softmax", "log_softmax"]
METHODS = "softmax log_softmax"
INPLACE = ""
FUNCTIONAL = "softmax log_softmax softmin"


def _wide(x):
    """float16/bfloat16 rows summed in float32, rounded once at the end (as PyTorch does)."""
    return x.astype(np.float32) if x.dtype.itemsize == 2 else x


class Softmax(Function):
    save_inputs = False

    def forward(self, x, dim):
        self.dim = dim
        axis = dim if x.ndim else None
        if x.size == 0:
            self.y = x.copy()
            return self.y
        w = _wide(x)
        e = self.xp.exp(w - w.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        self.y = e.astype(x.dtype, copy=False)
        return self.y

    def backward(self, g):
        y = self.output(self.y)
        return y * (g - (g * y).sum(self.dim, keepdim=True))


class LogSoftmax(Function):
    save_inputs = False

    def forward(self, x, dim):
        self.dim = dim
        axis = dim if x.ndim else None
        if x.size == 0:
            self.y = x.copy()
            return self.y
        w = _wide(x)
        s = w - w.max(axis=axis, keepdims=True)
        s -= self.xp.log(self.xp.exp(s).sum(axis=axis, keepdims=True))
        self.y = s.astype(x.dtype, copy=False)
        return self.y

    def backward(self, g):
        return g - self.output(self.y).exp() * g.sum(self.dim, keepdim=True)


def _softmax_dim(op, input, dim, stacklevel, dtype):
    """PyTorch's arguments: `dim` (None picks the legacy implicit dim, with a warning), and
    `dtype` (also accepted in the third position, as `torch.softmax(x, dim, dtype)` passes it)."""
    if isinstance(stacklevel, dtypes.DType):
        dtype = stacklevel
    elif not isinstance(stacklevel, int) or isinstance(stacklevel, bool):
        raise DTypeError(f"{op}: _stacklevel must be an int (or the dtype, in that place), got {stacklevel!r}")
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if dtype is not None:
        input = input.to(dtypes.as_dtype(dtype, op))
    need_float(op, input)
    if dim is None:
        dim = 0 if input.ndim in (0, 1, 3) else 1
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call to include dim=X "
                      f"as an argument.", stacklevel=3)
    return input, normalize_dim(dim, input.ndim, op)


def _softmax_samples(make, sign=1.0):
    big = sign * np.array([[1e4, -1e4, 0.0, 1e4 - 1.0], [-np.inf, 2.0, -1e4, 3.0], [88.0, -88.0, 1e3, -1e3]],
                          make.dtype)
    return [Sample((make(3, 4), 1), name="dim1"), Sample((make(3, 4), 0), name="dim0"),
            Sample((make(2, 3, 4), -1), name="3d"), Sample((make(4, 3, noncontig=True), 1), name="noncontig"),
            Sample((make(0, 3), 1), name="empty"), Sample((make(3, 0), 1), name="empty-dim"),
            Sample((make(), 0), name="0d"), Sample((make(3, 4), 1), {"dtype": dtypes.float64}, "dtype"),
            Sample((big, 1), name="extreme")]


@register("softmax", _softmax_samples, Softmax)
def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """`exp(x) / sum(exp(x))` along `dim`, computed with the maximum taken out (stable).

        >>> ember.softmax(ember.tensor([1e4, 1e4]), 0)
        tensor([0.5, 0.5])
    """
    x, dim = _softmax_dim("softmax", input, dim, _stacklevel, dtype)
    return Softmax.apply(x, dim=dim)


@register("log_softmax", _softmax_samples, LogSoftmax)
def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """`log(softmax(x))` along `dim`, computed directly (finite for inputs up to 1e4 and beyond).

        >>> ember.log_softmax(ember.tensor([0.0, 1e4]), 0)
        tensor([-10000.,      0.])
    """
    x, dim = _softmax_dim("log_softmax", input, dim, _stacklevel, dtype)
    return LogSoftmax.apply(x, dim=dim)


@register("softmin", lambda make: _softmax_samples(make, -1.0), ref="nn.functional.softmin")
def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """`softmax(-input, dim)`."""
    x, dim = _softmax_dim("softmin", input, dim, _stacklevel, dtype)
    return Softmax.apply(-x, dim=dim)


# --- smooth activations ----------------------------------------------------------

