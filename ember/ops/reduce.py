"""Reductions over one, several or all dims, with `keepdim`: sum, mean, var, std,
logsumexp, norm, all, any, count_nonzero. Products and running sums/products are in
`scan`, max/min and their indices in `extreme`.

`dim` is an int, a tuple of ints, or None (every dim); integer and bool
inputs follow PyTorch (sums in int64, `mean` needs a float input or `dtype=`).

    >>> import ember
    >>> x = ember.tensor([[1.0, 5.0], [3.0, 4.0]])
    >>> x.sum(), x.mean(dim=0), x.sum((0, 1), keepdim=True).shape
    (tensor(13.), tensor([2. , 4.5]), ember.Size([1, 1]))
    >>> x.std(0, keepdim=True), x.norm()
    (tensor([[1.4142, 0.7071]]), tensor(7.1414))
"""
import builtins
import contextlib
import math
import warnings

import numpy as np

from ember.autograd.function import Function
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import binary
from ember.ops._dims import _axes, _int_acc, _need_nonempty, _np_dtype, _restore
from ember.ops._args import need_number
from ember.ops._util import const
from ember.ops.registry import Sample, register

__all__ = ["sum", "mean", "sum_to_size", "var", "std", "var_mean", "std_mean", "logsumexp", "norm", "all", "any",
           "count_nonzero"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "sum mean sum_to_size var std logsumexp norm all any count_nonzero"
INPLACE = ""


# --- helpers ---------------------------------------------------------------

def _count(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _need_float(op, x):
    if x.dtype.kind in "biu":
        raise DTypeError(f"{op}: expected a floating point input, got {dtypes.dtype_of(x)}; use .float()")


def _quiet(on):
    """NumPy warns where PyTorch quietly gives NaN or inf (an empty mean, a var without degrees of freedom)."""
    return warnings.catch_warnings(action="ignore", category=RuntimeWarning) if on else contextlib.nullcontext()


# --- sum, mean, var, std ----------------------------------------------------

class Sum(Function):
    save_inputs = False

    def forward(self, x, dim=None, keepdim=False, dtype=None):
        self.axes = _axes(dim, x.ndim, "sum")
        self.shape = x.shape
        self.keepdim = keepdim
        dt = _int_acc(x, dtype)
        acc = _low_precision_acc(x, dt)
        if acc is not None:
            return x.sum(axis=self.axes, keepdims=keepdim, dtype=acc).astype(dt or x.dtype)
        return x.sum(axis=self.axes, keepdims=keepdim, dtype=dt)

    def backward(self, g):
        return _restore(g, self.shape, self.axes, self.keepdim).expand(self.shape)


def _low_precision_acc(x, dtype):
    """float32, where a float16/bfloat16 sum must accumulate wider than it stores (as PyTorch does)."""
    out = dtype if dtype is not None else x.dtype
    if x.dtype.kind in "fV" and x.dtype.itemsize == 2 and getattr(out, "itemsize", 8) == 2:
        return dtypes.float32.np
    return None


class Mean(Function):
    save_inputs = False

    def forward(self, x, dim=None, keepdim=False, dtype=None):
        if dtype is None and x.dtype.kind in "biu":
            raise DTypeError(f"mean: expected a floating point input, got {dtypes.dtype_of(x)}; "
                             f"use .float() or pass dtype=")
        self.axes = _axes(dim, x.ndim, "mean")
        self.shape = x.shape
        self.keepdim = keepdim
        self.n = _count(x.shape, self.axes)
        acc = _low_precision_acc(x, dtype)
        with _quiet(self.n == 0):
            if acc is not None:
                return x.mean(axis=self.axes, keepdims=keepdim, dtype=acc).astype(dtype or x.dtype)
            return x.mean(axis=self.axes, keepdims=keepdim, dtype=dtype)

    def backward(self, g):
        return _restore(g, self.shape, self.axes, self.keepdim).expand(self.shape) / builtins.max(self.n, 1)


class Var(Function):
    def forward(self, x, dim=None, correction=1, keepdim=False):
        return self._wide(x, dim, correction, keepdim).astype(x.dtype, copy=False)

    def _wide(self, x, dim, correction, keepdim):
        """The variance in float64: squares of deviations fit there (std([1e20, 0, 1]) in float32)."""
        _need_float(self.op_name(), x)
        self.axes = _axes(dim, x.ndim, self.op_name())
        self.shape = x.shape
        self.keepdim = keepdim
        n = _count(x.shape, self.axes)
        self.dof = n - correction
        self.whole = dim is None or x.ndim == 0
        with _quiet(not self.dof > 0):
            wide = x.astype(self.xp.float64) if x.dtype != self.xp.float64 else x
            # a NaN correction divides by max(0, n - NaN) = 0, as PyTorch's
            out = self.xp.var(wide, axis=self.axes, ddof=correction if correction == correction else n,
                              keepdims=keepdim)
            # no element: NaN whatever the correction (NumPy divides 0 by n - correction, 0 for a negative one)
            return out if n else self.xp.full_like(out, self.xp.nan)

    def backward(self, g):
        x = self.inputs[0]
        if self.whole and self.dof <= 0:  # PyTorch's rule over all dims: inf * (x - mean), NaN where x is the mean
            at_mean = const((x._data == x._data.mean()), g)
            return _restore(g, self.shape, self.axes, self.keepdim) * binary.where(at_mean, math.nan, math.inf)
        # PyTorch's 2 / (n - correction), unclamped: negative past n, inf at n, NaN for a NaN correction
        scale = 2.0 / self.dof if self.dof != 0 else math.inf
        centered = x - x.mean(self.axes, keepdim=True)
        return _restore(g, self.shape, self.axes, self.keepdim) * centered * scale


class Std(Var):
    def forward(self, x, dim=None, correction=1, keepdim=False):
        self.y = self.xp.sqrt(self._wide(x, dim, correction, keepdim)).astype(x.dtype, copy=False)
        return self.y

    def backward(self, g):
        # d std = d var / (2 std); PyTorch takes it as 0 where std == 0 (constant input)
        zero = const(self.y == 0, g)
        y = binary.where(zero, 1.0, self.output(self.y))
        return super().backward(binary.where(zero, 0.0, g / (2 * y)))


def _correction(op, dim, unbiased, correction):
    """PyTorch's two spellings: `correction=` (default 1) and the older `unbiased=` (also `var(x, True)`)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None and not isinstance(unbiased, (bool, np.bool_)):
        raise DTypeError(f"{op}: unbiased must be a bool, got {type(unbiased).__name__}")
    if correction is not None:
        need_number(op, "correction", correction)
    if unbiased is not None:
        if correction is not None:
            raise ArgumentError(f"{op}: pass either unbiased= or correction=, not both")
        return dim, int(unbiased)
    return dim, 1 if correction is None else correction


def _var_samples(make):
    return [Sample((make(3, 4),), name="all"), Sample((make(3, 4),), {"dim": 1}, "dim"),
            Sample((make(2, 3, 4),), {"dim": (0, 2), "keepdim": True}, "dims-keepdim"),
            Sample((make(4, 3, noncontig=True),), {"dim": -1, "correction": 0}, "noncontig-correction0"),
            Sample((make(5, 3),), {"dim": 0, "correction": 2}, "correction2"),
            Sample((make(3, 4),), {"dim": 1, "unbiased": False}, "unbiased-false"),
            Sample((make(3, 4), 0, True, True), name="positional-unbiased"),
            Sample((np.full((2, 3), 0.5, make.dtype),), {"dim": 1}, "constant", gradgrad=False)]


@register("var", _var_samples, Var)
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Variance over `dim` with Bessel's `correction` (1: unbiased; `unbiased=False` means 0).

        >>> ember.tensor([1.0, 2.0, 3.0, 4.0]).var(), ember.tensor([1.0, 3.0]).var(correction=0)
        (tensor(1.6667), tensor(1.))
    """
    dim, correction = _correction("var", dim, unbiased, correction)
    return Var.apply(input, dim=dim, correction=correction, keepdim=keepdim)


@register("std", _var_samples, Std)
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """Standard deviation over `dim`, `sqrt(var(...))`; the gradient is 0 where it is 0.

        >>> ember.tensor([[1.0, 3.0], [2.0, 2.0]]).std(1)
        tensor([1.4142, 0.    ])
    """
    dim, correction = _correction("std", dim, unbiased, correction)
    return Std.apply(input, dim=dim, correction=correction, keepdim=keepdim)


@register("var_mean", lambda make: _var_samples(make)[:3] + _var_samples(make)[5:6])
def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """`(var(input, ...), mean(input, ...))`."""
    dim, correction = _correction("var_mean", dim, unbiased, correction)
    return var(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


@register("std_mean", lambda make: _var_samples(make)[:3] + _var_samples(make)[5:6])
def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """`(std(input, ...), mean(input, ...))`."""
    dim, correction = _correction("std_mean", dim, unbiased, correction)
    return std(input, dim, keepdim=keepdim, correction=correction), mean(input, dim, keepdim)


def _reduce_samples(make):
    return [Sample((make(3, 4),), name="all"), Sample((make(3, 4),), {"dim": 1}, "dim"),
            Sample((make(2, 3, 4),), {"dim": (0, 2), "keepdim": True}, "dims-keepdim"),
            Sample((make(4, 3, noncontig=True),), {"dim": -1}, "noncontig"),
            Sample((make(0, 3),), {"dim": 0}, "empty"), Sample((make(),), name="0d")]


@register("sum", lambda make: _reduce_samples(make) + [Sample((make.ints(3, 4),), {"dim": 0}, "ints")], Sum)
def sum(input, dim=None, keepdim=False, dtype=None):
    """Sum over `dim` (an int, a tuple, or None for all); integers and bools sum in int64."""
    return Sum.apply(input, dim=dim, keepdim=keepdim, dtype=_np_dtype(dtype, "sum", input))


@register("mean", lambda make: _reduce_samples(make) + [Sample((make.ints(3, 4),), {"dtype": dtypes.float64},
                                                                "ints-dtype")], Mean)
def mean(input, dim=None, keepdim=False, dtype=None):
    """Mean over `dim` (an int, a tuple, or None for all); integer inputs need `dtype=`."""
    return Mean.apply(input, dim=dim, keepdim=keepdim, dtype=_np_dtype(dtype, "mean", input, floating=True))


def sum_to_size(input, *size):
    """Sum broadcast dims away so that the result has shape `size` (the inverse of `expand`)."""
    shape = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else tuple(size)
    have = tuple(input.shape)
    if have == shape:
        return input
    lead = len(have) - len(shape)
    if lead < 0 or builtins.any(s != 1 and s != h for s, h in zip(shape, have[lead:])):
        raise ShapeError(f"sum_to_size: shape {have} cannot be summed to {shape}")
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(shape) if s == 1 and have[lead + i] != 1)
    out = Sum.apply(input, dim=axes, keepdim=True) if axes else input
    return out.reshape(shape)


# --- logsumexp, norm ------------------------------------------------------------------

def _logsumexp_samples(make):
    big = np.array([[1e4, -1e4, 1e4 - 1.0], [-np.inf, 2.0, -1e4], [-np.inf, -np.inf, -3e3]], make.dtype)
    return [Sample((make(3, 4), 1), name="dim"), Sample((make(2, 3, 4), (0, 2), True), name="dims-keepdim"),
            Sample((make(4, 3, noncontig=True), -1), name="noncontig"), Sample((make(0, 3), 0), name="empty"),
            Sample((make(), 0), name="0d"), Sample((make.ints(3, 4), 1), name="ints"),
            Sample((big, 1), name="extreme")]


@register("logsumexp", _logsumexp_samples)
def logsumexp(input, dim, keepdim=False):
    """`log(sum(exp(input), dim))`, computed stably: the largest entry is taken out first, so
    inputs of magnitude 1e4 and `-inf` entries give finite values and gradients.

        >>> ember.tensor([1e4, 1e4]).logsumexp(0)
        tensor(10000.693)
    """
    x = input if input.dtype.is_floating_point else input.to(dtypes.get_default_dtype())
    axes = _axes(dim, x.ndim, "logsumexp")
    if _count(x.shape, axes) == 0:  # an empty sum: log(0) = -inf, as PyTorch
        return x.sum(axes, keepdim=keepdim) - math.inf
    m = x.detach().amax(axes, keepdim=True)
    shift = m.masked_fill(m.isinf(), 0.0)  # an all -inf (or +inf) slice: nothing to subtract
    out = (x - shift).exp().sum(axes, keepdim=keepdim).log()
    return out + (shift if keepdim else shift.reshape(out.shape))


class Norm(Function):
    """The vector p-norm over `dim`; its gradient is 0 where the norm is 0, as in PyTorch."""

    def forward(self, x, p=2.0, dim=None, keepdim=False):
        self.axes = _axes(dim, x.ndim, "norm")
        self.shape = x.shape
        self.keepdim = keepdim
        self.p = p
        xp, axes = self.xp, self.axes
        dt = x.dtype
        if dt.itemsize == 2 and dt.kind != "i":  # float16/bfloat16: accumulate in float32, return the input dtype
            x = x.astype(np.float32)
        if p != 0 and math.prod(x.shape[a] for a in axes) == 1:  # one element: |x|, never squared (as PyTorch)
            self.y = xp.abs(x).sum(axis=axes, keepdims=keepdim)
        elif p == 2 and len(axes) == x.ndim and x.dtype.kind == "f" and x.dtype.itemsize >= 4:
            v = x.reshape(-1)  # BLAS dot: one pass, no temporary; 4x faster than sum(x * x)
            self.y = xp.sqrt(xp.dot(v, v)).reshape((1,) * x.ndim if keepdim else ())
        elif p == 2:
            self.y = xp.sqrt((x * x).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            self.y = xp.abs(x).sum(axis=axes, keepdims=keepdim)
        elif math.isinf(p):
            _need_nonempty(f"norm(p={p})", x.shape, axes)
            a = xp.abs(x)
            self.y = a.max(axis=axes, keepdims=keepdim) if p > 0 else a.min(axis=axes, keepdims=keepdim)
        elif p == 0:
            self.y = (x != 0).sum(axis=axes, keepdims=keepdim).astype(x.dtype)
        else:
            self.y = (xp.abs(x) ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        self.y = xp.asarray(self.y).astype(dt, copy=False)
        return self.y

    def backward(self, g):
        x, p = self.inputs[0], self.p
        if p == 0:
            return None
        g = _restore(g, self.shape, self.axes, self.keepdim)
        if p == 1:
            return g * x.sign()
        y = _restore(self.output(self.y), self.shape, self.axes, self.keepdim)
        if math.isinf(p):
            a = self.xp.abs(x._data)
            ties = ((a == y._data) | self.xp.isnan(a)).astype(g._data.dtype)
            return g * x.sign() * const(ties / ties.sum(axis=self.axes, keepdims=True), g)
        zero = const(y._data == 0, g)  # both wheres keep 0/0 out of the graph
        scale = binary.where(zero, 0.0, g / binary.where(zero, 1.0, y) ** (p - 1))
        if p == 2:
            return x * scale
        if p > 1:
            return x.sign() * x.abs() ** (p - 1) * scale
        at0 = const(x._data == 0, g)  # |x|^(p-1) is infinite at 0 for p < 1: PyTorch takes 0
        powered = binary.where(at0, 0.0, binary.where(at0, 1.0, x.abs()) ** (p - 1))
        return x.sign() * powered * g * y ** (1 - p)


def _norm_samples(make):
    zero_row = make(2, 3)
    zero_row[0] = 0
    return [Sample((make(3, 4),), name="default"), Sample((make(3, 4), 2, 1), name="p2-dim"),
            Sample((make(2, 3, 4), 1, (0, 2), True), name="p1-dims-keepdim"),
            Sample((make.away(3, 4), 3, 1), name="p3"), Sample((make.away(3, 4), 0.5, 1), name="p0.5"),
            Sample((make.away(3, 4), 1.5), name="p1.5"), Sample((make.distinct(3, 4), math.inf, 1), name="inf"),
            Sample((make.distinct(3, 4), -math.inf), name="-inf"),
            Sample((make(2, 3, 4), "fro", (0, 1)), name="fro-dims"), Sample((make(3, 4), 0, 1), name="p0"),
            Sample((make(4, 3, noncontig=True), 2, 0), name="noncontig"), Sample((make(0, 3), 2, 0), name="empty"),
            Sample((make(),), name="0d"), Sample((make(3, 4),), {"dim": 1, "dtype": dtypes.float64}, "dtype"),
            Sample((zero_row, 2, 1), name="extreme")]


@register("norm", _norm_samples, Norm)
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm over `dim` (None: all, flattened): p = 2 ('fro'), 1, inf, -inf, 0 or
    any other number. `'nuc'` is not supported here.

        >>> ember.tensor([3.0, -4.0]).norm(), ember.tensor([3.0, -4.0]).norm(1)
        (tensor(5.), tensor(7.))
    """
    if p is None or p == "fro":
        if isinstance(dim, (tuple, list)) and len(dim) > 2:
            raise ArgumentError(f"norm: p='fro' takes at most 2 dims, got dim={tuple(dim)}")
        p = 2.0
    elif isinstance(p, str):
        raise ArgumentError(f"norm: p={p!r} is not supported; use a number, inf, -inf or 'fro'")
    else:
        p = need_number("norm", "p", p)
    if not input.dtype.is_floating_point:
        raise DTypeError(f"norm: expected a floating point input, got {input.dtype}; use .float()")
    if dtype is not None:
        dt = dtypes.as_dtype(dtype, "norm")
        if dtypes.promote_types(input.dtype, dt) != dt:  # PyTorch widens, never narrows
            raise DTypeError(f"norm: dtype={dt} would narrow the input's {input.dtype}")
        input = input.to(dt)
    return Norm.apply(input, p=float(p), dim=dim, keepdim=keepdim)


# --- all, any, count_nonzero --------------------------------------------------------

class _Logical(Function):
    """all/any: bool results (uint8 for uint8 inputs, as PyTorch)."""
    differentiable = False
    save_inputs = False
    fn = None  # "all" or "any"

    def forward(self, x, dim=None, keepdim=False):
        axes = _axes(dim, x.ndim, self.op_name())
        out = getattr(self.xp, self.fn)(x, axis=axes, keepdims=keepdim)
        return out.astype(x.dtype) if x.dtype == self.xp.uint8 else out


class All(_Logical):
    fn = "all"


class Any(_Logical):
    fn = "any"


class CountNonzero(Function):
    name = "count_nonzero"
    differentiable = False
    save_inputs = False

    def forward(self, x, dim=None):
        if dim is None:
            return self.xp.asarray(self.xp.count_nonzero(x), dtypes.int64.np)
        return (x != 0).sum(axis=_axes(dim, x.ndim, "count_nonzero"), dtype=dtypes.int64.np)


def _logical_samples(make):
    sparse = make(3, 4) * make.bools(3, 4)
    return [Sample((make.bools(3, 4),), name="all"), Sample((make.bools(3, 4), 1), name="dim"),
            Sample((sparse, (0, 1), True), name="dims-keepdim"), Sample((make.bools(4, 3).T,), {"dim": 0}, "noncontig"),
            Sample((make(0, 3), 0), name="empty"), Sample((make.ints(3, 4, high=2), 1), name="ints"),
            Sample((np.ones((2, 2), bool),), name="true")]


@register("all", _logical_samples, All, grad=False)
def all(input, dim=None, keepdim=False):
    """True where every element over `dim` (None: all) is nonzero; `dim=()` reduces nothing, as in PyTorch."""
    if isinstance(dim, (tuple, list)) and not dim:
        return _nonzero(input)
    return All.apply(input, dim=dim, keepdim=keepdim)


def _nonzero(input):
    """all/any over no dims: each element tested alone; uint8 stays uint8, as PyTorch's all/any do."""
    out = binary.ne(input, 0)
    return out.to(input.dtype) if input.dtype.name == "uint8" else out


@register("any", _logical_samples, Any, grad=False)
def any(input, dim=None, keepdim=False):
    """True where some element over `dim` (None: all) is nonzero; `dim=()` reduces nothing, as in PyTorch."""
    if isinstance(dim, (tuple, list)) and not dim:
        return _nonzero(input)
    return Any.apply(input, dim=dim, keepdim=keepdim)


@register("count_nonzero", lambda make: [Sample((make(3, 4) * make.bools(3, 4),), name="all"),
                                         Sample((make.ints(3, 4, high=2), 1), name="dim"),
                                         Sample((make(2, 3, 4) * make.bools(2, 3, 4), (0, 2)), name="dims"),
                                         Sample((make(0, 3), 0), name="empty")], CountNonzero, grad=False)
def count_nonzero(input, dim=None):
    """Number of nonzero elements over `dim` (None: all), as int64."""
    return CountNonzero.apply(input, dim=dim)
