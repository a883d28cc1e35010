"""`keras.ops`'s statistics: order statistics, NaN-aware reductions, histograms and segment
reductions, with NumPy's arguments (`axis`, `keepdims`, `q` in [0, 1], percentiles in [0, 100]).

    >>> from ember.keras import ops
    >>> ops.convert_to_numpy(ops.median(np.array([3.0, 1.0, 2.0, 5.0])))
    array(2.5)
"""
import math

import numpy as np

import ember.ops.creation as C
from ember.errors import ArgumentError
from ember.keras.ops_convert import TORCH, convert_to_numpy as _np, convert_to_tensor as _t, to_float as _float

__all__ = ["average", "bincount", "histogram", "median", "moments", "nanargmax", "nanargmin", "nancumprod",
           "nancumsum", "nanmax", "nanmean", "nanmedian", "nanmin", "nanpercentile", "nanprod", "nanquantile",
           "nanstd", "nansum", "nanvar", "percentile", "ptp", "quantile", "segment_max", "segment_min",
           "segment_prod", "segment_sum", "trapezoid"]

where = TORCH["where"]


def _flat(t, axis):
    """(t, axis) with `axis=None` meaning all values, as one axis; several axes moved last and merged."""
    if axis is None:
        return t.reshape(-1), 0
    if isinstance(axis, (list, tuple)):
        axes = sorted(a % t.ndim for a in axis)
        rest = [d for d in range(t.ndim) if d not in axes]
        moved = t.permute(*rest, *axes)
        return moved.reshape(*[t.shape[d] for d in rest], -1), -1
    return t, axis


def _keep(out, t, axis, keepdims):
    """Reinsert reduced axes of size one when `keepdims`."""
    if not keepdims:
        return out
    axes = range(t.ndim) if axis is None else (axis if isinstance(axis, (list, tuple)) else (axis,))
    shape = [1 if d in {a % t.ndim for a in axes} else n for d, n in enumerate(t.shape)]
    return out.reshape(shape)


def _methods(method, where_):
    if method not in ("linear", "lower", "higher", "midpoint", "nearest"):
        raise ArgumentError(f"{where_}: method must be linear, lower, higher, midpoint or nearest, got {method!r}")
    return method


def quantile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th quantiles (q in [0, 1]) along `axis`, NumPy's interpolation `method`."""
    t = _float(x)
    flat, dim = _flat(t, axis)
    qt = _t(q).to(t.dtype)
    out = TORCH["quantile"](flat, qt, dim, False, interpolation=_methods(method, "quantile"))
    if keepdims:
        out = _keep(out, t, axis, True) if qt.ndim == 0 else out.reshape(
            (qt.shape[0],) + tuple(_keep(flat.sum(dim), t, axis, True).shape))
    return out


def percentile(x, q, axis=None, method="linear", keepdims=False):
    """The `q`-th percentiles (q in [0, 100])."""
    return quantile(x, _t(q) / 100.0, axis, method, keepdims)


def median(x, axis=None, keepdims=False):
    """NumPy's median: the mean of the two middle values for an even count."""
    return quantile(x, 0.5, axis, "linear", keepdims)


def _nan_quantile(x, q, axis, method, keepdims):
    t = _float(x)
    flat, dim = _flat(t, axis)
    out = TORCH["nanquantile"](flat, _t(q).to(t.dtype), dim, False, interpolation=_methods(method, "nanquantile"))
    return _keep(out, t, axis, keepdims)


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return _nan_quantile(x, q, axis, method, keepdims)


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return _nan_quantile(x, _t(q) / 100.0, axis, method, keepdims)


def nanmedian(x, axis=None, keepdims=False):
    return _nan_quantile(x, 0.5, axis, "linear", keepdims)


def _without_nan(x, fill):
    t = _t(x)
    if not t.dtype.is_floating_point:
        return t, None
    nan = t.isnan()
    return where(nan, C.full_like(t, fill), t), nan


def _reduce(t, axis, keepdims, op):
    return op(t, tuple(range(t.ndim)) if axis is None else (tuple(axis) if isinstance(axis, (list, tuple))
                                                            else axis), keepdims)


def nansum(x, axis=None, keepdims=False):
    t, _ = _without_nan(x, 0.0)
    return _reduce(t, axis, keepdims, lambda v, a, k: v.sum(a, keepdim=k))


def nanprod(x, axis=None, keepdims=False):
    t, _ = _without_nan(x, 1.0)
    flat, dim = _flat(t, axis)
    return _keep(flat.prod(dim), t, axis, keepdims)


def _count(x, axis, keepdims):
    t, nan = _without_nan(x, 0.0)
    real = (~nan if nan is not None else C.ones_like(t).bool()).to(t.dtype)
    return t, real, _reduce(real, axis, keepdims, lambda v, a, k: v.sum(a, keepdim=k))


def nanmean(x, axis=None, keepdims=False):
    t, _, n = _count(_float(x), axis, keepdims)
    return _reduce(t, axis, keepdims, lambda v, a, k: v.sum(a, keepdim=k)) / n


def nanvar(x, axis=None, keepdims=False):
    t, real, n = _count(_float(x), axis, True)
    dev = (t - _reduce(t, axis, True, lambda v, a, k: v.sum(a, keepdim=k)) / n) * real
    out = _reduce(dev * dev, axis, True, lambda v, a, k: v.sum(a, keepdim=k)) / n
    return out if keepdims else _reduce(out, axis, False, lambda v, a, k: v.sum(a, keepdim=k))


def nanstd(x, axis=None, keepdims=False):
    return nanvar(x, axis, keepdims).sqrt()


def nanmax(x, axis=None, keepdims=False):
    t, _ = _without_nan(_float(x), -math.inf)
    return _reduce(t, axis, keepdims, lambda v, a, k: v.amax(a, keepdim=k))


def nanmin(x, axis=None, keepdims=False):
    t, _ = _without_nan(_float(x), math.inf)
    return _reduce(t, axis, keepdims, lambda v, a, k: v.amin(a, keepdim=k))


def nanargmax(x, axis=None, keepdims=False):
    t, _ = _without_nan(_float(x), -math.inf)
    return TORCH["argmax"](t, axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    t, _ = _without_nan(_float(x), math.inf)
    return TORCH["argmin"](t, axis, keepdims)


def nancumsum(x, axis=None):
    t, _ = _without_nan(x, 0.0)
    return TORCH["cumsum"](t.reshape(-1), 0) if axis is None else TORCH["cumsum"](t, axis)


def nancumprod(x, axis=None):
    t, _ = _without_nan(x, 1.0)
    return TORCH["cumprod"](t.reshape(-1), 0) if axis is None else TORCH["cumprod"](t, axis)


def ptp(x, axis=None, keepdims=False):
    """The range, max - min, along `axis`."""
    t = _t(x)
    dims = tuple(range(t.ndim)) if axis is None else axis
    return t.amax(dims, keepdim=keepdims) - t.amin(dims, keepdim=keepdims)


def average(x, axis=None, weights=None):
    """The (weighted) mean along `axis`; 1-D weights run along `axis`."""
    t = _float(x)
    if weights is None:
        return t.mean() if axis is None else t.mean(axis)
    w = _t(weights).to(t.dtype)
    if w.ndim == 1 and t.ndim > 1 and axis is not None:
        shape = [1] * t.ndim
        shape[axis] = w.shape[0]
        w = w.reshape(shape)
    total = (t * w).sum() if axis is None else (t * w).sum(axis)
    return total / (w.expand_as(t).sum() if axis is None else w.expand_as(t).sum(axis))


def moments(x, axes, keepdims=False, synchronized=False):
    """(mean, variance) over `axes`."""
    t = _float(x)
    dims = tuple(axes) if isinstance(axes, (list, tuple)) else (axes,)
    mean = t.mean(dims, keepdim=True)
    var = ((t - mean) ** 2).mean(dims, keepdim=keepdims)
    return (mean if keepdims else mean.squeeze(dims)), var


def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ArgumentError("bincount: sparse=True is not supported")
    t = _t(x)
    if t.ndim == 2:  # Keras counts each row of a 2-d input
        length = max(minlength, int(_np(t).max()) + 1 if t.numel() else 0)
        rows = [bincount(t[i], None if weights is None else _t(weights)[i], length) for i in range(t.shape[0])]
        return TORCH["stack"](rows, 0)
    return TORCH["bincount"](t, None if weights is None else _t(weights), minlength)


def histogram(x, bins=10, range=None):
    """(counts, bin edges) of `x`'s values, NumPy's `histogram`."""
    counts, edges = np.histogram(_np(x), bins, range)
    return C.as_tensor(counts.astype(np.int32)), C.as_tensor(edges.astype(np.float32))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    return TORCH["trapezoid"](_float(y), None if x is None else _float(x), dx=None if x is not None else dx,
                              dim=axis) if x is not None else TORCH["trapezoid"](_float(y), dx=dx, dim=axis)


# -- segment reductions ---------------------------------------------------------------------------
def _segments(name, data, segment_ids, num_segments, fill, op):
    d, ids = _t(data), _np(segment_ids).astype(np.int64)
    n = int(num_segments) if num_segments is not None else (int(ids.max()) + 1 if ids.size else 0)
    rows = []
    for s in range(n):
        picked = np.nonzero(ids == s)[0]
        if picked.size:
            rows.append(op(d.index_select(0, C.as_tensor(picked)), 0))
        else:
            rows.append(C.full(tuple(d.shape[1:]), fill, dtype=d.dtype))
    if not rows:
        raise ArgumentError(f"{name}: no segments")
    return TORCH["stack"](rows, 0)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    return _segments("segment_sum", data, segment_ids, num_segments, 0, lambda v, a: v.sum(a))


def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    return _segments("segment_prod", data, segment_ids, num_segments, 1, lambda v, a: v.prod(a))


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    low = -math.inf if _t(data).dtype.is_floating_point else np.iinfo(_np(data).dtype).min
    return _segments("segment_max", data, segment_ids, num_segments, low, lambda v, a: v.amax(a))


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    high = math.inf if _t(data).dtype.is_floating_point else np.iinfo(_np(data).dtype).max
    return _segments("segment_min", data, segment_ids, num_segments, high, lambda v, a: v.amin(a))
