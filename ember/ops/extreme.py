"""The extremes along dims: max and min (over all, along one dim with their indices, or
elementwise with `other`), amax, amin, aminmax, argmax, argmin. Ties share the gradient
of amax/amin evenly; along a dim the gradient goes to the index returned.

Integer inputs keep their dtype; a size-0 dim has no extreme and is an error, as in PyTorch.

    >>> import ember
    >>> x = ember.tensor([[1.0, 5.0], [3.0, 4.0]])
    >>> x.max(dim=1).indices, x.amin(0), x.argmax()
    (tensor([1, 1]), tensor([1., 4.]), tensor(1))
"""
from ember.autograd.checks import normalize_dim
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.ops import binary
from ember.ops._dims import AminmaxResult, MaxResult, MinResult, _along, _axes, _need_nonempty, _restore
from ember.ops._util import const
from ember.ops.registry import Sample, register

__all__ = ["max", "min", "amax", "amin", "aminmax", "argmax", "argmin"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "max min amax amin aminmax argmax argmin"
INPLACE = ""


class _Extreme(Function):
    """amax/amin (and max/min without dim): ties share the gradient evenly, as in PyTorch."""
    fn = None  # the ndarray method: "max" or "min"

    def forward(self, x, dim=None, keepdim=False, op=None):
        self.nan_ties = op is not None
        op = op or self.op_name()
        self.axes = _axes(dim, x.ndim, op)
        _need_nonempty(op, x.shape, self.axes)
        self.shape = x.shape
        self.keepdim = keepdim
        self.y = getattr(x, self.fn)(axis=self.axes, keepdims=keepdim)
        return self.y

    def backward(self, g):
        x = self.inputs[0]._data
        y = self.y if self.keepdim else self.y.reshape([1 if i in self.axes else s for i, s in enumerate(self.shape)])
        ties = x == y
        if self.nan_ties:  # max(x)/min(x) share the gradient among NaNs, as PyTorch (amax does not)
            ties |= (x != x) & (y != y)
        ties = ties.astype(g._data.dtype)
        share = ties / ties.sum(axis=self.axes, keepdims=True)
        return _restore(g, self.shape, self.axes, self.keepdim) * const(share, g)


class Amax(_Extreme):
    fn = "max"


class Amin(_Extreme):
    fn = "min"


class _ExtremeDim(Function):
    """max/min along one dim: `(values, indices)`; the gradient goes to the index returned."""
    save_inputs = False
    fn = None  # "argmax" or "argmin"

    def forward(self, x, dim, keepdim=False):
        op = self.op_name()
        d = normalize_dim(dim, x.ndim, op)
        self.shape = x.shape
        self.keepdim = keepdim
        if x.ndim == 0:
            self.dim = None
            return x.copy(), self.xp.zeros((), dtypes.int64.np)
        _need_nonempty(op, x.shape, (d,))
        self.dim = d
        self.index = getattr(self.xp, self.fn)(x, axis=d, keepdims=True)
        values = self.xp.take_along_axis(x, self.index, axis=d)
        index = self.index.astype(dtypes.int64.np, copy=False)
        return (values, index) if keepdim else (values.squeeze(d), index.squeeze(d))

    def backward(self, g, g_index=None):
        if self.dim is None:
            return g
        d = self.dim
        picked = _along(self.shape[d], d, len(self.shape), self.xp) == self.index
        return _restore(g, self.shape, (d,), self.keepdim) * const(picked.astype(g._data.dtype), g)


class MaxDim(_ExtremeDim):
    name = "max"
    fn = "argmax"


class MinDim(_ExtremeDim):
    name = "min"
    fn = "argmin"


class _ArgExtreme(Function):
    differentiable = False
    save_inputs = False
    fn = None  # "argmax" or "argmin"

    def forward(self, x, dim=None, keepdim=False):
        op = self.op_name()
        if x.dtype == bool:
            raise DTypeError(f"{op}: bool inputs are not supported (as in PyTorch); use .int()")
        if dim is None:  # the index into the flattened input
            _need_nonempty(op, x.shape, tuple(range(x.ndim)))
            i = self.xp.asarray(getattr(self.xp, self.fn)(x), dtypes.int64.np)
            return i.reshape((1,) * x.ndim) if keepdim else i
        d = normalize_dim(dim, x.ndim, op)
        if x.ndim == 0:
            return self.xp.zeros((), dtypes.int64.np)
        _need_nonempty(op, x.shape, (d,))
        return getattr(self.xp, self.fn)(x, axis=d, keepdims=keepdim).astype(dtypes.int64.np, copy=False)


class Argmax(_ArgExtreme):
    fn = "argmax"


class Argmin(_ArgExtreme):
    fn = "argmin"


def _max_samples(make):
    return [Sample((make.distinct(3, 4),), name="all"), Sample((make.distinct(3, 4), 1), name="dim"),
            Sample((make.distinct(2, 3, 4), 0, True), name="dim-keepdim"),
            Sample((make.distinct(3, 4).T,), {"dim": -1}, "noncontig"),
            Sample((make(0, 3), 1), name="empty"), Sample((make(), 0), name="0d"),
            Sample((make(3, 1), make(1, 4)), name="other-broadcast"),
            Sample((make.ints(3, 4, high=9), 1), name="ints")]


def _extreme(op, x, positional, keepdim, dim, other):
    """PyTorch's three forms of max/min: over everything, along one dim, elementwise with `other`.
    A tensor in second position is `other`; `dim=` by keyword is always a dim (an int tensor too)."""
    whole, along, elementwise, result = _EXTREMES[op]
    if positional is not None:
        if dim is not None or other is not None:
            raise ArgumentError(f"{op}: got the second argument both by position and by keyword")
        if isinstance(positional, Tensor):
            other = positional
        else:
            dim = positional
    if other is not None:
        if dim is not None:
            raise ArgumentError(f"{op}: pass either dim= or other=, not both")
        return elementwise(x, other)
    if isinstance(dim, Tensor):
        dim = dim.__index__()
    if dim is None:
        return whole.apply(x, op=op)
    if isinstance(dim, (tuple, list)):
        raise ArgumentError(f"{op}: dim must be a single int, got {dim!r}; use a{op}() for several dims")
    return result(*along.apply(x, dim=dim, keepdim=keepdim))


_EXTREMES = {"max": (Amax, MaxDim, binary.maximum, MaxResult), "min": (Amin, MinDim, binary.minimum, MinResult)}


@register("max", _max_samples, MaxDim)
def max(input, dim_or_other=None, keepdim=False, *, dim=None, other=None):
    """`max(x)`: the largest element (ties share the gradient). `max(x, dim, keepdim=False)`:
    `(values, indices)` along `dim`. `max(x, other)`: elementwise `maximum`.

        >>> x = ember.tensor([[1.0, 5.0], [4.0, 2.0]])
        >>> x.max(), x.max(dim=1).indices, ember.max(x, ember.tensor(3.0))
        (tensor(5.), tensor([1, 0]), tensor([[3., 5.],
                [4., 3.]]))
    """
    return _extreme("max", input, dim_or_other, keepdim, dim, other)


@register("min", _max_samples, MinDim)
def min(input, dim_or_other=None, keepdim=False, *, dim=None, other=None):
    """`min(x)`, `min(x, dim, keepdim=False)` -> `(values, indices)`, or `min(x, other)`: see `max`."""
    return _extreme("min", input, dim_or_other, keepdim, dim, other)


def _amax_samples(make):
    return [Sample((make.distinct(3, 4),), name="all"), Sample((make.distinct(3, 4), 1), name="dim"),
            Sample((make.distinct(2, 3, 4), (0, 2), True), name="dims-keepdim"),
            Sample((make.distinct(3, 4).T, -1), name="noncontig"),
            Sample((make(0, 3), 1), name="empty"), Sample((make(),), name="0d"),
            Sample((make.ints(3, 4, high=9), 0), name="ints")]


@register("amax", _amax_samples, Amax)
def amax(input, dim=(), keepdim=False):
    """Largest values over `dim` (an int or a tuple; `()` means all). Ties share the gradient."""
    return Amax.apply(input, dim=dim, keepdim=keepdim)


@register("amin", _amax_samples, Amin)
def amin(input, dim=(), keepdim=False):
    """Smallest values over `dim` (an int or a tuple; `()` means all). Ties share the gradient."""
    return Amin.apply(input, dim=dim, keepdim=keepdim)


@register("aminmax", lambda make: [Sample((make.distinct(3, 4),), name="all"),
                                   Sample((make.distinct(3, 4),), {"dim": 1, "keepdim": True}, "dim")])
def aminmax(input, *, dim=None, keepdim=False):
    """`(min, max)` over `dim` (None: all; one int, as PyTorch) as a named tuple."""
    dims = () if dim is None else normalize_dim(dim, input.ndim, "aminmax")
    return AminmaxResult(amin(input, dims, keepdim), amax(input, dims, keepdim))


def _argmax_samples(make):
    return [Sample((make.distinct(3, 4),), name="all"), Sample((make.distinct(3, 4), 1), name="dim"),
            Sample((make.distinct(2, 3, 4), 0, True), name="dim-keepdim"),
            Sample((make.distinct(3, 4), None, True), name="flat-keepdim"),
            Sample((make.distinct(3, 4).T,), {"dim": -1}, "noncontig"),
            Sample((make(0, 3), 1), name="empty"), Sample((make(),), name="0d"),
            Sample((make.ints(3, 4, high=3), 1), name="ints-ties")]


@register("argmax", _argmax_samples, Argmax, grad=False)
def argmax(input, dim=None, keepdim=False):
    """Index of the largest value along `dim` (the first one on ties); `dim=None`: into the flattened input."""
    return Argmax.apply(input, dim=dim, keepdim=keepdim)


@register("argmin", _argmax_samples, Argmin, grad=False)
def argmin(input, dim=None, keepdim=False):
    """Index of the smallest value along `dim` (the first one on ties); `dim=None`: into the flattened input."""
    return Argmin.apply(input, dim=dim, keepdim=keepdim)
