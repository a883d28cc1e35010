"""More of PyTorch's indexing and numerical functions, as composites of ember's ops (so they are
differentiable where PyTorch is): `select_scatter`, `slice_scatter`, `scatter_reduce`, `put`,
`nonzero_static`, `histogram`, `gradient`, `cholesky_inverse`, `cholesky_solve`.

    >>> import ember
    >>> ember.zeros(2, 3).slice_scatter(ember.ones(2, 1), dim=1, start=2)
    tensor([[0., 0., 1.],
            [0., 0., 1.]])
"""
from builtins import range as builtins_range  # `range` is an argument name of PyTorch's histogram functions
from collections import namedtuple

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, AutogradError, DTypeError, ShapeError
from ember.autograd.checks import normalize_dim
from ember.ops._args import need_dims, need_int, need_number, need_tensor
from ember.ops._util import const
from ember.ops.convert import clone
from ember.ops.creation import zeros_like
from ember.ops.gather import scatter_add
from ember.ops.index import index_put
from ember.ops.join import cat
from ember.ops.linalg_decomp import linalg_solve
from ember.ops.linalg_more import inverse

__all__ = ["select_scatter", "slice_scatter", "scatter_reduce", "index_reduce", "put", "nonzero_static", "histogram",
           "histogramdd", "gradient", "cholesky_inverse", "cholesky_solve"]
METHODS = ("select_scatter slice_scatter scatter_reduce index_reduce put nonzero_static histogram cholesky_inverse "
           "cholesky_solve")
INPLACE = "scatter_reduce index_reduce put"

HistogramResult = namedtuple("histogram", ("hist", "bin_edges"))
HistogramddResult = namedtuple("histogramdd", ("hist", "bin_edges"))
_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _scattered(input, src, key, op):
    slot = tuple(input[key].shape)
    if tuple(src.shape) != slot:  # PyTorch wants the slice's shape exactly, no broadcasting
        raise ShapeError(f"{op}: src of shape {tuple(src.shape)} must have the shape {slot} of the slice it fills")
    out = clone(input)
    out[key] = src
    return out


def select_scatter(input, src, dim, index):
    """`input` with `src` written into the slice `input.select(dim, index)`."""
    need_tensor("select_scatter", "src", src)
    dim = normalize_dim(dim, need_dims("select_scatter", input).ndim, "select_scatter")
    key = (slice(None),) * dim + (need_int("select_scatter", "index", index, low=None),)
    return _scattered(input, src, key, "select_scatter")


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """`input` with `src` written into `input[..., start:end:step, ...]` along `dim`."""
    need_tensor("slice_scatter", "src", src)
    dim = normalize_dim(dim, need_dims("slice_scatter", input).ndim, "slice_scatter")
    start, end = (None if v is None else need_int("slice_scatter", n, v, low=None) for n, v in (("start", start), ("end", end)))
    key = (slice(None),) * dim + (slice(start, end, need_int("slice_scatter", "step", step, low=1)),)
    return _scattered(input, src, key, "slice_scatter")


def _identity(reduce, dtype):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    info = np.finfo(dtype) if dtype.kind == "f" else np.iinfo(dtype)
    low, high = (-np.inf, np.inf) if dtype.kind == "f" else (info.min, info.max)
    return low if reduce == "amax" else high


def _reduce_arrays(x, dim, index, src, reduce, include_self):
    """scatter_reduce's values on NumPy arrays, and the mask of positions `index` reaches."""
    where = list(np.indices(index.shape))
    where[dim % x.ndim] = index
    where = tuple(where)
    touched = np.zeros(x.shape, bool)
    touched[where] = True
    out = x.copy()
    if not include_self:
        out[touched] = _identity(reduce, x.dtype)
    ufunc = {"sum": np.add, "prod": np.multiply, "mean": np.add, "amax": np.maximum, "amin": np.minimum}[reduce]
    ufunc.at(out, where, src[tuple(slice(0, n) for n in index.shape)])
    if reduce == "mean":
        count = np.full(x.shape, 1 if include_self else 0)
        np.add.at(count, where, 1)
        out = out / np.maximum(count, 1) if x.dtype.kind == "f" else out // np.maximum(count, 1)
    return out.astype(x.dtype), touched


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """Reduce `src` into `input` along `dim` at `index` with 'sum', 'prod', 'mean', 'amax' or 'amin'
    (`include_self=False`: positions `index` reaches ignore `input`'s value). Gradients as PyTorch's:
    amax/amin share the gradient evenly among tied maxima."""
    if reduce not in _REDUCTIONS:
        raise ArgumentError(f"scatter_reduce: reduce must be one of {_REDUCTIONS}, got {reduce!r}")
    if not isinstance(index, Tensor) or index.ndim != input.ndim or src.ndim != input.ndim:
        raise ShapeError(f"scatter_reduce: input, index and src must have the same number of dims, got "
                         f"{tuple(input.shape)}, {tuple(getattr(index, 'shape', ()))}, {tuple(src.shape)}")
    idx = index.numpy()
    values, touched = _reduce_arrays(input.detach().numpy(), dim, idx, src.detach().numpy(), reduce, include_self)
    out = const(values, input)
    if not (grad_mode.is_grad_enabled() and (input.requires_grad or src.requires_grad)):
        return out
    return _with_gradient(out, input, dim, index, src, reduce, include_self, const(touched, input))


def _with_gradient(out, input, dim, index, src, reduce, include_self, touched):
    """`out`'s values with PyTorch's gradient: out + (weights * (x - x.detach())) for input and src."""
    src_part = src[tuple(slice(0, n) for n in index.shape)]
    keep_in = (1 - touched.to(input.dtype)) if not include_self else 1.0
    if reduce in ("sum", "mean"):
        w_src, w_in = 1.0, keep_in
        if reduce == "mean":
            count = scatter_add(zeros_like(input) + (1.0 if include_self else 0.0), dim, index,
                                src_part.detach() * 0 + 1)
            count = count.clamp(min=1)
            w_in, w_src = keep_in / count, 1.0 / count.gather(dim, index)
    elif reduce == "prod":
        if bool((src_part.detach() == 0).any()) or (include_self and bool((input.detach() == 0).any())):
            raise AutogradError("scatter_reduce: the gradient of reduce='prod' with zeros among the reduced values "
                                "is not supported; compute it on detached tensors")
        w_src, w_in = out.gather(dim, index) / src_part.detach(), keep_in * out / input.detach()
    else:
        hit_src = (src_part.detach() == out.gather(dim, index)).to(input.dtype)
        hit_in = (input.detach() == out).to(input.dtype) * keep_in
        ties = scatter_add(hit_in, dim, index, hit_src)
        w_src, w_in = hit_src / ties.gather(dim, index), hit_in / ties.clamp(min=1)
    moved = scatter_add(zeros_like(input), dim, index, w_src * (src_part - src_part.detach()))
    return out + moved + w_in * (input - input.detach())


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """Reduce the slices of `source` into `input`'s slices `index` along `dim` ('prod', 'mean', 'amax',
    'amin'): scatter_reduce with the 1-D `index` spread over the other dims (the same gradients)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ArgumentError(f"index_reduce: reduce must be 'prod', 'mean', 'amax' or 'amin', got {reduce!r}")
    if not isinstance(index, Tensor) or index.ndim != 1 or source.shape[dim] != index.shape[0]:
        raise ShapeError(f"index_reduce: index must be 1-D with one entry per slice of source along dim {dim} "
                         f"(source {tuple(source.shape)}, index {tuple(getattr(index, 'shape', ()))})")
    d = dim % input.ndim
    view = [1] * source.ndim
    view[d] = index.shape[0]
    full = index.reshape(view).expand(*source.shape)
    return scatter_reduce(input, d, full, source, reduce, include_self=include_self)


def put(input, index, source, accumulate=False):
    """`input` with `source` written at the flat positions `index` (row-major), added with `accumulate`."""
    need_tensor("put", "index", index), need_tensor("put", "source", source)
    if index.dtype.name != "int64":  # a bool index would be a mask: PyTorch refuses anything but int64
        raise DTypeError(f"put: index must be an int64 tensor, got {index.dtype}")
    if index.numel() != source.numel():
        raise ShapeError(f"put: index has {index.numel()} elements and source {source.numel()}; they must match")
    flat = clone(input).reshape(-1)
    out = index_put(flat, (index.reshape(-1),), source.reshape(-1), accumulate=accumulate)
    return out.reshape(input.shape)


def nonzero_static(input, *, size, fill_value=-1):
    """The indices of nonzero elements, (size, ndim): truncated, or padded with `fill_value` rows."""
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ArgumentError(f"nonzero_static: size must be a non-negative int, got {size!r}")
    nz = np.argwhere(input.detach().numpy())[:size]
    pad = np.full((size - len(nz), input.ndim), fill_value, np.int64)
    return const(np.concatenate([nz.astype(np.int64), pad]), input)


def histogram(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges) of `input`'s values: `bins` equal bins over `range` (default: min to max) or the
    given edges (a 1-D tensor). Weighted by `weight`; `density` normalizes to a density."""
    if isinstance(bins, Tensor) and bins.ndim != 1:
        raise ShapeError(f"histogram: bins given as edges must be a 1-d tensor, got shape {tuple(bins.shape)}")
    if isinstance(bins, Tensor) and bins.dtype != input.dtype:
        raise DTypeError(f"histogram: bin edges of dtype {bins.dtype} must have the input's dtype {input.dtype}")
    if isinstance(bins, Tensor) and bins.numel() > 1 and not bool((bins[1:] >= bins[:-1]).all()):
        raise ArgumentError("histogram: bin edges must increase monotonically")
    if not isinstance(bins, Tensor) and need_int("histogram", "bins", bins) < 1:
        raise ArgumentError(f"histogram: bins must be positive, got {bins}")
    _check_weight("histogram", weight, input, input.shape)
    if range is not None and (not isinstance(range, (tuple, list)) or len(range) != 2):
        raise ArgumentError(f"histogram: range must be a (min, max) pair, got {type(range).__name__}")
    range = None if range is None else tuple(need_number("histogram", "range", v) for v in range)
    a = input.detach().numpy()
    edges = bins.detach().numpy() if isinstance(bins, Tensor) else \
        np.linspace(*(range if range is not None else (a.min(), a.max()) if a.size else (0.0, 1.0)), int(bins) + 1,
                    dtype=a.dtype)
    w = None if weight is None else weight.detach().numpy()
    hist, edges = np.histogram(a, edges, weights=w, density=density)
    return HistogramResult(const(hist.astype(a.dtype), input), const(edges.astype(a.dtype), input))


def _check_weight(op, weight, input, shape):
    if weight is None:
        return
    if not isinstance(weight, Tensor) or tuple(weight.shape) != tuple(shape) or weight.dtype != input.dtype:
        got = f"shape {tuple(weight.shape)} ({weight.dtype})" if isinstance(weight, Tensor) else type(weight).__name__
        raise ShapeError(f"{op}: weight must be a tensor of shape {tuple(shape)} and the input's dtype "
                         f"{input.dtype}, got {got}")


def histogramdd(input, bins, *, range=None, weight=None, density=False):
    """(hist, bin_edges) of the points in `input` (..., D): `bins` per dim (an int, ints, or edge tensors)."""
    need_dims("histogramdd", input)
    if isinstance(bins, Tensor):
        raise DTypeError("histogramdd: bins must be an int, ints or a list of edge tensors, got a Tensor")
    if not isinstance(bins, (list, tuple)) and need_int("histogramdd", "bins", bins) < 1:
        raise ArgumentError(f"histogramdd: bins must be positive, got {bins}")
    _check_weight("histogramdd", weight, input, input.shape[:-1])
    a = input.detach().numpy()
    points = a.reshape(-1, a.shape[-1])
    if isinstance(bins, (list, tuple)):
        if len(bins) != a.shape[-1]:
            raise ArgumentError(f"histogramdd: {len(bins)} bins given for points of {a.shape[-1]} dims "
                                f"(input of shape {tuple(input.shape)}); give one per dim")
        if bins and isinstance(bins[0], Tensor):
            bins = [b.detach().numpy() for b in bins]
        else:
            bins = [need_int("histogramdd", "bins", b, low=1) for b in bins]
    if points.shape[-1] == 0:
        raise ShapeError(f"histogramdd: points of 0 dims (input of shape {tuple(input.shape)})")
    ranges = None if range is None else [tuple(range[i:i + 2]) for i in builtins_range(0, len(range), 2)]
    if ranges is None and points.size and not isinstance(bins[0] if isinstance(bins, list) and bins else 0, np.ndarray):
        lo, hi = points.min(0), points.max(0)
        bad = np.flatnonzero(~(np.isfinite(lo) & np.isfinite(hi)))
        if bad.size:
            d = bad[0]
            raise ArgumentError(f"histogramdd: dimension {d}'s range [{lo[d]}, {hi[d]}] is not finite (input holds "
                                f"inf or NaN); give range=")
    w = None if weight is None else weight.detach().numpy().reshape(-1)
    hist, edges = np.histogramdd(points, bins, range=ranges, weights=w, density=density)
    return HistogramddResult(const(hist.astype(a.dtype), input), [const(e.astype(a.dtype), input) for e in edges])


def _diff(x, dim, h, edge_order):
    n = x.shape[dim]
    take = lambda a, b: x.narrow(dim, a, b - a)  # noqa: E731
    if n < edge_order + 1:
        raise ShapeError(f"gradient: dim {dim} has {n} elements; edge_order={edge_order} needs at least "
                         f"{edge_order + 1}")
    inner = (take(2, n) - take(0, n - 2)) / (2 * h)
    if edge_order == 1:
        first, last = (take(1, 2) - take(0, 1)) / h, (take(n - 1, n) - take(n - 2, n - 1)) / h
    else:
        first = (-3 * take(0, 1) + 4 * take(1, 2) - take(2, 3)) / (2 * h)
        last = (3 * take(n - 1, n) - 4 * take(n - 2, n - 1) + take(n - 3, n - 2)) / (2 * h)
    return cat([first, inner, last], dim)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Central differences along each of `dim` (default: all), one-sided at the edges: a tuple of tensors.
    `spacing` is a number or one number per dim (coordinate tensors are not supported)."""
    if edge_order not in (1, 2):
        raise ArgumentError(f"gradient: edge_order must be 1 or 2, got {edge_order!r}")
    need_dims("gradient", input)
    if input.dtype.name in ("bool", "uint8"):  # PyTorch: no bool subtraction, and uint8 refused
        raise DTypeError(f"gradient: {input.dtype} input is not supported (as in PyTorch)")
    dims = list(range(input.ndim)) if dim is None else \
        [normalize_dim(d, input.ndim, "gradient") for d in (dim if isinstance(dim, (list, tuple)) else [dim])]
    if len(set(dims)) != len(dims):
        raise ArgumentError(f"gradient: dim {dim} names a dim more than once")
    steps = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(steps) != len(dims) or any(isinstance(s, Tensor) for s in steps):
        raise ArgumentError(f"gradient: spacing must be a number or one number per dim ({len(dims)}), "
                            f"got {spacing!r}")
    x = input if input.is_floating_point() else input.float()
    steps = [need_number("gradient", "spacing", h) for h in steps]
    return tuple(_diff(x, d % input.ndim, float(h), edge_order) for d, h in zip(dims, steps))


def cholesky_inverse(L, upper=False):
    """The inverse of A = L L^T (U^T U with `upper=True`) from its Cholesky factor (only its lower, or
    upper, triangle is read, as PyTorch's). float32 is computed in float64 and rounded once: forming
    L L^T squares the condition number, which LAPACK's potri (PyTorch's) avoids."""
    if not isinstance(L, Tensor) or L.ndim < 2 or L.shape[-1] != L.shape[-2]:
        raise ShapeError(f"cholesky_inverse: expected a (batch of) square matrix, got {getattr(L, 'shape', L)}")
    if L.dtype is dtypes.float32:
        return inverse(_factor_product(L.double(), upper)).float()
    return inverse(_factor_product(L, upper))


def _factor_product(L, upper):
    """A = L L^T from the lower triangle of `L` (U^T U from the upper one, with `upper`). As PyTorch's,
    the value reads the triangle only, while the gradient is that of L L^T with all of L."""
    def product(m):
        return m.mT @ m if upper else m @ m.mT
    full = product(L)
    return product(L.triu() if upper else L.tril()).detach() + (full - full.detach())  # (the last term is 0)


def cholesky_solve(B, L, upper=False):
    """X with A X = B for A = L L^T (U^T U with `upper=True`)."""
    for name, t in (("B", B), ("L", L)):
        if t.ndim < 2:
            raise ShapeError(f"cholesky_solve: {name} must have at least 2 dims, got shape {tuple(t.shape)}")
    if L.dtype is dtypes.float32 and B.dtype is dtypes.float32:  # in float64, as cholesky_inverse
        return linalg_solve(_factor_product(L.double(), upper), B.double()).float()
    return linalg_solve(_factor_product(L, upper), B)
