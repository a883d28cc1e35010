"""Products along a dim and running sums and products: prod, cumsum, cumprod. They share
the gradient with zeros in the input, built from exclusive running products.

Integers and bools multiply and sum in int64, as in PyTorch.

    >>> import ember
    >>> x = ember.tensor([[1.0, 2.0], [3.0, 0.0]])
    >>> x.prod(1), x.cumsum(0), ember.tensor([2.0, 0.0, 3.0]).cumprod(0)
    (tensor([2., 0.]), tensor([[1., 2.],
            [4., 2.]]), tensor([2., 0., 0.]))
"""
import numpy as np

from ember.autograd import grad_mode
from ember.autograd.checks import normalize_dim
from ember.autograd.function import Function
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.ops import binary
from ember.ops._dims import _along, _int_acc, _np_dtype, _restore
from ember.ops._util import const
from ember.ops.registry import Sample, register

__all__ = ["prod", "cumsum", "cumprod"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "prod cumsum cumprod"
INPLACE = "cumsum cumprod"


class Prod(Function):
    def forward(self, x, dim=None, keepdim=False, dtype=None):
        self.dim = None if dim is None else normalize_dim(dim, x.ndim, "prod")
        self.shape = x.shape
        self.keepdim = keepdim
        axis = self.dim if x.ndim else None
        self.y = x.prod(axis=axis, keepdims=keepdim, dtype=_int_acc(x, dtype))
        return self.y

    def backward(self, g):
        x = self.inputs[0]
        if x.ndim == 0:
            return g
        axes = tuple(range(x.ndim)) if self.dim is None else (self.dim,)
        g = _restore(g, self.shape, axes, self.keepdim)
        if not (x._data == 0).any():
            return g * _restore(self.output(self.y), self.shape, axes, self.keepdim) / x
        if self.dim is None:  # as a product along one dim of the flattened input
            return g * _others_product(x.reshape(-1), 0).reshape(self.shape)
        return g * _others_product(x, self.dim)


def _others_product(x, d):
    """For each position along dim `d`, the product of the other entries there. It multiplies
    prefix and suffix products instead of dividing the total by `x`, so zeros are fine."""
    flip = (slice(None),) * d + (slice(None, None, -1),)
    return _exclusive_cumprod(x, d) * _exclusive_cumprod(x[flip], d)[flip]


def _exclusive_cumprod(x, d):
    """`[1, x0, x0*x1, ...]` along dim `d`: the cumprod of `x` shifted by one."""
    n = x.shape[d]
    previous = x[(slice(None),) * d + (np.maximum(np.arange(n) - 1, 0),)]
    first = const(_along(n, d, x.ndim, x._device.xp) == 0, x)
    return Cumprod.apply(binary.where(first, 1.0, previous), dim=d)


class Cumsum(Function):
    save_inputs = False

    def forward(self, x, dim, dtype=None, reverse=False):
        """`reverse=True` sums from the end (the gradient of a cumsum)."""
        self.dim = normalize_dim(dim, x.ndim, "cumsum")
        self.reverse = reverse
        x = _cast(x, _int_acc(x, dtype))
        if x.ndim == 0:
            return x.copy()
        if not reverse:  # dtype= : NumPy would sum small integers in its platform int
            return self.xp.cumsum(x, axis=self.dim, dtype=x.dtype)
        flip = (slice(None),) * self.dim + (slice(None, None, -1),)
        return self.xp.cumsum(x[flip], axis=self.dim, dtype=x.dtype)[flip]

    def backward(self, g):
        return Cumsum.apply(g, dim=self.dim, reverse=not self.reverse)


class Cumprod(Function):
    def forward(self, x, dim, dtype=None):
        self.dim = normalize_dim(dim, x.ndim, "cumprod")
        x = _cast(x, _int_acc(x, dtype))
        self.y = x.copy() if x.ndim == 0 else self.xp.cumprod(x, axis=self.dim, dtype=x.dtype)
        return self.y

    def backward(self, g):
        x, d = self.inputs[0], self.dim
        if x.ndim == 0 or x.shape[d] <= 1:
            return g
        if not (x._data == 0).any():
            return Cumsum.apply(g * self.output(self.y), dim=d, reverse=True) / x
        if grad_mode._state.enabled:  # create_graph: the form whose own derivative is right too
            return _cumprod_grad_quadratic(x, g, d)
        return _cumprod_grad_first_zero(x, g, self.output(self.y), d)


def _cast(x, dtype):
    return x if dtype is None else x.astype(dtype, copy=False)


def _cumprod_grad_first_zero(x, g, y, d):
    """O(n) gradient of cumprod for inputs with zeros. With z the first zero of a slice,
    dy_k/dx_i vanishes for i > z; for i < z only the terms k < z remain, and there
    x_i != 0 may divide; for i == z it is the cumprod with x_z set to 1."""
    xp = x._device.xp
    n = x.shape[d]
    zero = x._data == 0
    z = xp.where(zero.any(axis=d, keepdims=True), zero.argmax(axis=d, keepdims=True), n)
    pos = _along(n, d, x.ndim, xp)
    before, at, after = const(pos < z, x), const(pos == z, x), const(pos >= z, x)
    head = Cumsum.apply(binary.where(before, g * y, 0.0), dim=d, reverse=True) / binary.where(before, x, 1.0)
    y_at = Cumprod.apply(binary.where(at, 1.0, x), dim=d)
    at_z = binary.where(after, g * y_at, 0.0).sum(d, keepdim=True)
    return binary.where(before, head, 0.0) + binary.where(at, at_z, 0.0)


def _cumprod_grad_quadratic(x, g, d):
    """dL/dx_i = sum_{k >= i} g_k prod_{j <= k, j != i} x_j, built from differentiable ops
    on an (n, n) matrix per slice (row i: x with x_i set to 1), as PyTorch does for
    double backward."""
    xp = x._device.xp
    n = x.shape[d]
    xt, gt = x.transpose(d, -1), g.transpose(d, -1)
    rows = binary.where(const(xp.eye(n, dtype=bool), x), 1.0, xt.reshape(*xt.shape[:-1], 1, n))
    upper = const(xp.triu(xp.ones((n, n), dtype=x._data.dtype)), x)  # k >= i
    grad = (Cumprod.apply(rows, dim=-1) * gt.reshape(*gt.shape[:-1], 1, n) * upper).sum(-1)
    return grad.transpose(d, -1)


def _prod_samples(make):
    zeros = make(3, 4)
    zeros[0, 1] = zeros[2, 0] = zeros[2, 3] = 0  # rows with one zero, none, two zeros
    return [Sample((make(3, 4),), name="all"), Sample((make(3, 4), 1), name="dim"),
            Sample((make(2, 3, 4), 0, True), name="dim-keepdim"),
            Sample((make(4, 3, noncontig=True), -1), name="noncontig"),
            Sample((zeros, 1), name="zeros-dim"), Sample((zeros[:2].copy(),), name="one-zero-all"),
            Sample((zeros,), name="zeros-all"), Sample((make(0, 3), 0), name="empty"),
            Sample((make(),), name="0d"), Sample((make.ints(3, 4),), {"dim": 0}, "ints"),
            Sample((make(3, 4), 1), {"dtype": dtypes.float64}, "dtype")]


@register("prod", _prod_samples, Prod)
def prod(input, dim=None, keepdim=False, *, dtype=None):
    """Product over one `dim` (or all); integers and bools multiply in int64. The gradient is
    right with zeros in the input.

        >>> ember.tensor([[1.0, 2.0], [3.0, 0.0]]).prod(1)
        tensor([2., 0.])
    """
    if isinstance(dim, (tuple, list)):
        raise ArgumentError(f"prod: dim must be a single int, got {dim!r}; reduce one dim at a time")
    return Prod.apply(input, dim=dim, keepdim=keepdim, dtype=_np_dtype(dtype, "prod", input))


def _scan_samples(make, zeros=False):
    z = make(3, 4)
    z[0, 1] = z[2, 0] = z[2, 3] = 0
    out = [Sample((make(3, 4), 1), name="dim"), Sample((make(2, 3, 4), 0), name="dim0"),
           Sample((make(4, 3, noncontig=True), -1), name="noncontig"), Sample((make(0, 3), 1), name="empty"),
           Sample((make(), 0), name="0d"), Sample((make(3, 4), 1), {"dtype": dtypes.float64}, "dtype"),
           Sample((make.ints(3, 4), 0), name="ints")]
    if zeros:
        out += [Sample((z, 1), name="zeros"), Sample((z.T.copy(), 0), name="zeros-dim0")]
    return out


@register("cumsum", _scan_samples, Cumsum)
def cumsum(input, dim, *, dtype=None):
    """Running sum along `dim`; integers and bools sum in int64.

        >>> ember.tensor([1, 2, 3]).cumsum(0)
        tensor([1, 3, 6])
    """
    return Cumsum.apply(input, dim=dim, dtype=_scan_dtype(dtype, "cumsum", input))


@register("cumprod", lambda make: _scan_samples(make, zeros=True), Cumprod)
def cumprod(input, dim, *, dtype=None):
    """Running product along `dim`; integers and bools multiply in int64. The gradient is right
    with zeros in the input.

        >>> ember.tensor([2.0, 0.0, 3.0]).cumprod(0)
        tensor([2., 0., 0.])
    """
    return Cumprod.apply(input, dim=dim, dtype=_scan_dtype(dtype, "cumprod", input))


def _scan_dtype(dtype, op, input):
    dt = _np_dtype(dtype, op, input)
    if dt is not None and dt.kind == "b":  # PyTorch has no bool scan kernel
        raise DTypeError(f"{op}: dtype=bool is not supported")
    return dt
