"""Reductions over one, several or all dims, with `keepdim`.

    >>> import ember
    >>> x = ember.tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> x.sum(), x.mean(dim=0), x.sum((0, 1), keepdim=True).shape
    (tensor(10.), tensor([2., 3.]), ember.Size([1, 1]))
"""
from ember.autograd.checks import normalize_dims
from ember.autograd.function import Function
from ember.backend import dtypes
from ember.errors import ShapeError
from ember.ops.registry import Sample, register

__all__ = ["sum", "mean", "sum_to_size"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "sum mean sum_to_size"
INPLACE = ""


def _restore(g, shape, axes, keepdim):
    """A reduced gradient reshaped so that it broadcasts against the input again."""
    if keepdim or not axes:
        return g
    kept = [1 if i in axes else s for i, s in enumerate(shape)]
    return g.reshape(kept)


class Sum(Function):
    save_inputs = False

    def forward(self, x, dim=None, keepdim=False, dtype=None):
        self.axes = normalize_dims(dim, x.ndim, "sum")
        self.shape = x.shape
        self.keepdim = keepdim
        if dtype is None and x.dtype.kind in "biu":
            dtype = dtypes.int64.np  # PyTorch sums integers and bools in int64
        return x.sum(axis=self.axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return _restore(g, self.shape, self.axes, self.keepdim).expand(self.shape)


class Mean(Function):
    save_inputs = False

    def forward(self, x, dim=None, keepdim=False, dtype=None):
        if dtype is None and x.dtype.kind in "biu":
            raise TypeError(f"mean: expected a floating point input, got {dtypes.dtype_of(x)}; "
                            f"use .float() or pass dtype=")
        self.axes = normalize_dims(dim, x.ndim, "mean")
        self.shape = x.shape
        self.keepdim = keepdim
        self.n = 1
        for a in self.axes:
            self.n *= x.shape[a]
        return x.mean(axis=self.axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return _restore(g, self.shape, self.axes, self.keepdim).expand(self.shape) / max(self.n, 1)


def _reduce_samples(make):
    return [Sample((make(3, 4),), name="all"), Sample((make(3, 4),), {"dim": 1}, "dim"),
            Sample((make(2, 3, 4),), {"dim": (0, 2), "keepdim": True}, "dims-keepdim"),
            Sample((make(4, 3, noncontig=True),), {"dim": -1}, "noncontig"),
            Sample((make(0, 3),), {"dim": 0}, "empty"), Sample((make(),), name="0d")]


@register("sum", _reduce_samples, Sum)
def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum over `dim` (an int, a tuple, or None for all)."""
    return Sum.apply(input, dim=dim, keepdim=keepdim, dtype=None if dtype is None else dtypes.as_dtype(dtype).np)


@register("mean", lambda make: _reduce_samples(make)[:4] + _reduce_samples(make)[5:], Mean)
def mean(input, dim=None, keepdim=False, dtype=None):
    """Mean over `dim` (an int, a tuple, or None for all)."""
    return Mean.apply(input, dim=dim, keepdim=keepdim, dtype=None if dtype is None else dtypes.as_dtype(dtype).np)


def sum_to_size(input, *size):
    """Sum broadcast dims away so that the result has shape `size` (the inverse of `expand`)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    have = tuple(input.shape)
    if have == shape:
        return input
    lead = len(have) - len(shape)
    if lead < 0 or any(s != 1 and s != h for s, h in zip(shape, have[lead:])):
        raise ShapeError(f"sum_to_size: shape {have} cannot be summed to {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and have[lead + i] != 1)
    out = Sum.apply(input, dim=axes, keepdim=True) if axes else input
    return out.reshape(shape)
