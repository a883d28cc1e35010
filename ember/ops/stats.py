"""Order statistics and NaN-aware reductions with PyTorch's names (composites over `sort` and `gather`,
so gradients reach the elements picked): `median`, `nanmedian`, `quantile`, `nanquantile`, `mode`,
`kthvalue`, `cummax`, `cummin`, `logcumsumexp`, `nansum`, `nanmean`, `diff`, `msort`, `histc`,
`bincount`, `cov`, `corrcoef`, `trapezoid`, `cumulative_trapezoid`.

    >>> import ember
    >>> ember.median(ember.tensor([3.0, 1.0, 2.0, 5.0]))
    tensor(2.)
"""
from collections import namedtuple

import numpy as np

from ember.autograd.checks import check_size, normalize_dim
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import binary, unary
from ember.ops._args import need_dims, need_int, need_number
from ember.ops._util import const
from ember.ops.gather import gather
from ember.ops.host import host_compute
from ember.ops.join import cat
from ember.ops.registry import Sample, register
from ember.ops.sort import sort

__all__ = ["median", "nanmedian", "quantile", "nanquantile", "mode", "kthvalue", "cummax", "cummin", "logcumsumexp",
           "nansum", "nanmean", "diff", "msort", "histc", "bincount", "cov", "corrcoef", "trapezoid", "trapz",
           "cumulative_trapezoid"]
METHODS = ("median nanmedian quantile nanquantile mode kthvalue cummax cummin logcumsumexp nansum nanmean diff msort "
           "histc bincount cov corrcoef")
INPLACE = ""

MedianResult = namedtuple("median", ("values", "indices"))
ModeResult = namedtuple("mode", ("values", "indices"))
KthvalueResult = namedtuple("kthvalue", ("values", "indices"))
CummaxResult = namedtuple("cummax", ("values", "indices"))
CumminResult = namedtuple("cummin", ("values", "indices"))
INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")
# histc's bins and bincount's minlength size their output from a plain number: above this they are refused
# (PyTorch would allocate them), so a stray huge number is an error, not gigabytes of zeros.
MAX_BINS = 2 ** 24


def _pick(input, dim, keepdim, position, result):
    """The element at sorted `position` (an int array broadcast over the other dims) along `dim`."""
    values, indices = sort(input, dim)
    pos = const(position, indices).long()
    picked_idx = gather(indices, dim, pos)
    picked = gather(values, dim, pos)
    if not keepdim:
        picked, picked_idx = picked.squeeze(dim), picked_idx.squeeze(dim)
    return result(picked, picked_idx)


def _median(op, input, dim, keepdim, ignore_nan):
    if dim is None:
        flat = input.reshape(-1)
        if flat.numel() == 0:
            return input.new_full((), float("nan"))
        out = _median(op, flat, 0, False, ignore_nan)
        return out.values
    dim = normalize_dim(dim, input.ndim, op)
    x = input if input.ndim else input.reshape(1)
    counts = x.shape[dim] - (binary.isnan(x).long().sum(dim, keepdim=True).numpy() if ignore_nan else 0)
    position = np.maximum((np.asarray(counts) - 1) // 2, 0)
    if not ignore_nan and x.is_floating_point():  # a NaN anywhere makes the median NaN (NaN sorts last)
        has_nan = binary.isnan(x).any(dim, keepdim=True).numpy()
        position = np.where(has_nan, x.shape[dim] - 1, position)
    shape = list(x.shape)
    shape[dim] = 1
    result = _pick(x, dim, keepdim or not input.ndim, np.broadcast_to(position, shape), MedianResult)
    return result if input.ndim else MedianResult(result.values.reshape(()), result.indices.reshape(()))


def _median_samples(make):
    return [Sample((make.distinct(3, 5),), name="all"), Sample((make.distinct(3, 5), 1), name="dim1"),
            Sample((make.distinct(4, 3), 0, True), name="keepdim"), Sample((make.distinct(4, 6), -1), name="even")]


@register("median", _median_samples)
def median(input, dim=None, keepdim=False):
    """The lower median: of all elements, or `(values, indices)` along `dim`. NaN if a NaN is present."""
    return _median("median", input, dim, keepdim, False)


@register("nanmedian", _median_samples)
def nanmedian(input, dim=None, keepdim=False):
    """`median` ignoring NaN."""
    return _median("nanmedian", input, dim, keepdim, True)


def _quantile(op, input, q, dim, keepdim, interpolation, ignore_nan):
    if interpolation not in INTERPOLATIONS:
        raise ArgumentError(f"{op}: interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    if input.dtype.name not in ("float32", "float64"):
        raise DTypeError(f"{op}: expected a float32 or float64 input (as PyTorch), got {input.dtype}")
    if isinstance(q, Tensor) and q.dtype != input.dtype:
        raise DTypeError(f"{op}: q of dtype {q.dtype} must have the input's dtype {input.dtype}")
    if not isinstance(q, Tensor):
        need_number(op, "q", q)
    scalar_q = not isinstance(q, Tensor) or q.ndim == 0
    qs = np.atleast_1d(np.asarray(q.detach().numpy() if isinstance(q, Tensor) else q, dtype=np.float64))
    if qs.ndim > 1 or np.any((qs < 0) | (qs > 1)):
        raise ArgumentError(f"{op}: q must be a scalar or a 1-d tensor with values in [0, 1]")
    if dim is not None and input.ndim == 0:  # a 0-d tensor's only dim: the value itself, no dim kept
        normalize_dim(dim, 0, op)
        dim, keepdim = None, False
    x = input.reshape(-1) if dim is None else input
    d = 0 if dim is None else normalize_dim(dim, input.ndim, op)
    values, _ = sort(x, d)
    n = x.shape[d]
    valid = (n - binary.isnan(x).long().sum(d, keepdim=True).numpy()) if ignore_nan else \
        np.full([1 if i == d else s for i, s in enumerate(x.shape)], n)
    # PyTorch reads a slice with a NaN (all-NaN for nanquantile) at its last sorted place: the NaN, which
    # then gets the gradient
    nan_at = (valid == 0) if ignore_nan else binary.isnan(x).any(d, keepdim=True).numpy()
    outs = []
    q_grad = isinstance(q, Tensor) and q.requires_grad and interpolation == "linear"
    for i, qv in enumerate(qs):
        rank = np.where(nan_at, max(n - 1, 0), qv * (np.maximum(valid, 1) - 1))
        lo, hi = np.floor(rank).astype(np.int64), np.ceil(rank).astype(np.int64)
        frac = rank - lo
        if interpolation == "lower":
            hi = lo
        elif interpolation == "higher":
            lo = hi
        elif interpolation == "nearest":
            lo = hi = np.round(rank).astype(np.int64)  # half to even, as PyTorch
        elif interpolation == "midpoint":
            frac = np.where(hi > lo, 0.5, 0.0)
        out = gather(values, d, const(lo, values).long())
        if interpolation in ("linear", "midpoint"):
            b = gather(values, d, const(hi, values).long())
            w = const(frac.astype(values.dtype.np), values)
            if q_grad:  # the weight's gradient to q: d rank / d q (none where the rank is pinned to a NaN)
                qi = q.reshape(-1)[i]
                step = (qi - qi.detach()) * const(np.maximum(valid, 1) - 1, values)  # 0, with d/dq = n - 1
                w = w + binary.where(const(np.broadcast_to(nan_at, w.shape), values), 0.0, step)
            out = binary.lerp(out, b, w)  # from the nearer end, as PyTorch: lerp(-inf, x, 0.9) is -inf
        outs.append(out if keepdim and dim is not None else out.squeeze(d) if dim is not None else out.reshape(()))
    if scalar_q:
        return outs[0]
    from_q = [o.unsqueeze(0) for o in outs]
    return cat(from_q, 0)


def _quantile_samples(make):
    return [Sample((make.distinct(3, 5), 0.3), name="scalar"), Sample((make.distinct(3, 5), 0.75, 1), name="dim"),
            Sample((make.distinct(4, 3), 0.5, 0, True), {"interpolation": "midpoint"}, "midpoint"),
            Sample((make.distinct(4, 6), 0.4, -1), {"interpolation": "lower"}, "lower"),
            Sample((make.distinct(4, 6), 0.4, -1), {"interpolation": "higher"}, "higher"),
            Sample((make.distinct(4, 6), 0.45, 1), {"interpolation": "nearest"}, "nearest")]


@register("quantile", _quantile_samples)
def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The `q`-quantiles (a number or a 1-d tensor in [0, 1]) of all elements or along `dim`."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, False)


@register("nanquantile", _quantile_samples)
def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """`quantile` ignoring NaN."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, True)


@register("kthvalue", lambda make: [Sample((make.distinct(3, 5), 2), name="k2"),
                                    Sample((make.distinct(4, 3), 4, 0, True), name="dim0")])
def kthvalue(input, k, dim=-1, keepdim=False):
    """`(values, indices)` of the k-th smallest element along `dim` (k counts from 1)."""
    dim = normalize_dim(dim, input.ndim, "kthvalue")
    n = input.shape[dim] if input.ndim else 1
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= n:
        raise ArgumentError(f"kthvalue: k must be in [1, {n}] for dim {dim} of shape {tuple(input.shape)}, got {k!r}")
    shape = [1 if i == dim else s for i, s in enumerate(input.shape)]
    return _pick(input, dim, keepdim, np.full(shape, k - 1), KthvalueResult)


@register("mode", lambda make: [Sample((make.ints(4, 7, high=3).astype(make.dtype),), name="ints"),
                                Sample((make.ints(4, 7, high=3).astype(make.dtype), 0, True), name="dim0")],
          grad=False)
def mode(input, dim=-1, keepdim=False):
    """`(values, indices)` of the most frequent value along `dim` (the smallest on ties), with the index
    of its last occurrence, as PyTorch."""
    dim = normalize_dim(dim, input.ndim, "mode")
    if input.ndim == 0:  # the value itself, at index 0
        values, index = mode(input.reshape(1), 0)
        return ModeResult(values.reshape(()), index.reshape(()))
    if input.shape[dim] == 0:
        raise ShapeError(f"mode: cannot reduce over dim {dim} of size 0 (input shape {tuple(input.shape)})")

    def last_of_most_frequent(x):
        a = np.moveaxis(x, dim, -1)
        flat = a.reshape(-1, a.shape[-1]) if a.size else a.reshape(-1, max(a.shape[-1], 1))
        idx = np.zeros(flat.shape[0], np.int64)
        for r, row in enumerate(flat):
            vals, counts = np.unique(row, return_counts=True)  # NaNs count as one value (README)
            v = vals[np.argmax(counts)]
            idx[r] = np.nonzero((row == v) | ((row != row) & (v != v)))[0][-1]  # x != x: NaN
        return np.moveaxis(idx.reshape(a.shape[:-1] + (1,)), -1, dim)
    index = host_compute(last_of_most_frequent, input)
    values = gather(input, dim, index)
    return ModeResult(values, index) if keepdim else ModeResult(values.squeeze(dim), index.squeeze(dim))


def _cumulative(op, input, dim, better, result):
    dim = normalize_dim(dim, input.ndim, op)
    if input.ndim == 0:
        values, index = _cumulative(op, input.reshape(1), 0, better, result)
        return result(values.reshape(()), index.reshape(()))

    def running_index(x):
        a = np.moveaxis(x, dim, -1)
        idx = np.zeros(a.shape, np.int64)
        best = a[..., 0].copy() if a.size else None
        for i in range(1, a.shape[-1] if a.size else 0):
            v = a[..., i]
            # ties move the index forward; a NaN wins and stays until a later NaN, as in PyTorch
            take = (better(v, best) | (v == best) | np.isnan(v)) & (~np.isnan(best) | np.isnan(v))
            best = np.where(take, v, best)
            idx[..., i] = np.where(take, i, idx[..., i - 1])
        return np.moveaxis(idx, -1, dim)
    index = host_compute(running_index, input)
    return result(gather(input, dim, index), index)


@register("cummax", lambda make: [Sample((make.distinct(3, 5), 1), name="dim1"),
                                  Sample((make.distinct(4, 3), 0), name="dim0")])
def cummax(input, dim):
    """`(values, indices)` of the running maximum along `dim`."""
    return _cumulative("cummax", input, dim, np.greater, CummaxResult)


@register("cummin", lambda make: [Sample((make.distinct(3, 5), 1), name="dim1"),
                                  Sample((make.distinct(4, 3), 0), name="dim0")])
def cummin(input, dim):
    """`(values, indices)` of the running minimum along `dim`."""
    return _cumulative("cummin", input, dim, np.less, CumminResult)


@register("logcumsumexp", lambda make: [Sample((make(3, 5), 1), name="dim1"), Sample((make(4, 3), 0), name="dim0")])
def logcumsumexp(input, dim):
    """`log(cumsum(exp(input)))` along `dim`, shifted by the maximum for stability."""
    dim = normalize_dim(dim, input.ndim, "logcumsumexp")
    if input.ndim == 0:  # the value itself, and PyTorch's gradient 1 (whatever it holds: NaN too)
        return input.clone()
    shift = input.detach().amax(dim, keepdim=True) if input.numel() else input.detach()
    shift = binary.where(binary.isfinite(shift), shift, 0.0)
    return unary.log(unary.exp(input - shift).cumsum(dim)) + shift


def _nan_samples(make):
    a = make(3, 5)
    a[0, 1] = a[2, 3] = np.nan
    return [Sample((a,), name="all"), Sample((a, 1), name="dim1"), Sample((a, 0, True), name="keepdim")]


@register("nansum", _nan_samples)
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """The sum treating NaN as zero."""
    x = binary.where(binary.isnan(input), 0.0, input) if input.is_floating_point() else input
    return x.sum(dim, keepdim=keepdim, dtype=dtype) if dim is not None else x.sum(dtype=dtype)


@register("nanmean", _nan_samples)
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN elements."""
    if not input.is_floating_point():
        raise DTypeError(f"nanmean: expected a floating point input, got {input.dtype}")
    if dtype is not None and not dtypes.as_dtype(dtype, "nanmean").is_floating_point:
        raise DTypeError(f"nanmean: dtype must be a floating point dtype, got {dtype}")
    total = nansum(input, dim, keepdim, dtype=dtype)
    count = binary.logical_not(binary.isnan(input)).to(total.dtype)
    return total / (count.sum(dim, keepdim=keepdim) if dim is not None else count.sum())


@register("diff", lambda make: [Sample((make(3, 5),), name="last"), Sample((make(4, 3), 2, 0), name="n2-dim0"),
                                Sample((make(3, 4), 1, -1, make(3, 2), make(3, 1)), name="prepend-append")])
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference along `dim`, after `prepend`/`append` are joined on."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ArgumentError(f"diff: n must be a non-negative int, got {n!r}")
    if input.ndim == 0:
        raise ShapeError("diff: expected a tensor of at least 1 dim, got a 0-d tensor")
    for name, t in (("prepend", prepend), ("append", append)):
        if t is not None and not isinstance(t, Tensor):
            raise DTypeError(f"diff: {name} must be a tensor, got {type(t).__name__}")
    dim = normalize_dim(dim, input.ndim, "diff")
    x = cat([t for t in (prepend, input, append) if t is not None], dim) if prepend is not None or \
        append is not None else input
    for _ in range(min(n, x.shape[dim])):  # past the dim's length it stays empty (n may be 2**62)
        length = x.shape[dim]
        ahead, behind = x.narrow(dim, min(length, 1), max(length - 1, 0)), x.narrow(dim, 0, max(length - 1, 0))
        x = ahead != behind if x.dtype.name == "bool" else ahead - behind  # bools differ by xor, as PyTorch
    return x


@register("msort", lambda make: [Sample((make.distinct(4, 3),), name="2d")])
def msort(input):
    """`input` sorted along its first dim."""
    return sort(input, 0).values


@register("histc", lambda make: [Sample((make(40),), {"bins": 7}, "auto"),
                                 Sample((make(6, 5),), {"bins": 4, "min": -1, "max": 1}, "range")], grad=False)
def histc(input, bins=100, min=0, max=0):
    """Counts of `input` in `bins` equal bins over [min, max] (min == max: the data's range); elements
    outside are ignored. The result has the input's dtype."""
    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
        raise ArgumentError(f"histc: bins must be a positive int, got {bins!r}")
    if bins > MAX_BINS:
        raise ArgumentError(f"histc: bins={bins} is more than ember allows ({MAX_BINS}); use fewer bins")
    low, high = float(need_number("histc", "min", min)), float(need_number("histc", "max", max))
    if not (np.isfinite(low) and np.isfinite(high)):
        raise ArgumentError(f"histc: the range [{low}, {high}] is not finite")
    if low > high:
        raise ArgumentError(f"histc: max ({max}) must be larger than min ({min})")

    def count(a):
        # each element's bin is (x - lo) * bins / (hi - lo), computed in the input's float dtype as
        # PyTorch does: a float16 element near a bin edge falls where PyTorch puts it
        a = (a if input.is_floating_point() else a.astype(np.float64)).ravel()
        dt = a.dtype.type
        lo, hi = dt(low), dt(high)
        if lo == hi and a.size:
            lo, hi = a.min(), a.max()  # in the input's dtype; a non-finite range is refused below
        if lo == hi:
            lo, hi = dt(lo - 1), dt(hi + 1)
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise ArgumentError(f"histc: range of [{lo}, {hi}] is not finite")
        x = a[(a >= lo) & (a <= hi)]
        if hi > lo:
            pos = ((x - lo) * dt(bins) / (hi - lo)).astype(np.int64)
        else:  # 1e20 +- 1 is 1e20: the widened range is still empty; its values sit mid-range, as PyTorch puts them
            pos = np.full(x.shape, bins // 2, np.int64)
        counts = np.bincount(np.minimum(pos, bins - 1), minlength=bins)  # x == hi: the last bin
        return counts.astype(input.dtype.np)
    return host_compute(count, input)


@register("bincount", lambda make: [Sample((make.ints(20, high=6),), name="ints"),
                                    Sample((make.ints(10, high=4),), {"minlength": 6}, "minlength")], grad=False)
def bincount(input, weights=None, minlength=0):
    """Counts (or summed `weights`) of each non-negative integer in a 1-d input."""
    if input.ndim != 1 or input.is_floating_point():
        raise ShapeError(f"bincount: expected a 1-d integer tensor, got {input.dtype} {tuple(input.shape)}")
    a = input.detach().numpy()
    if a.size and a.min() < 0:
        raise ArgumentError("bincount: the input must not contain negative values")
    if not isinstance(minlength, int) or isinstance(minlength, bool) or minlength < 0:
        raise ArgumentError(f"bincount: minlength must be a non-negative int, got {minlength!r}")
    if weights is not None and not isinstance(weights, Tensor):
        raise DTypeError(f"bincount: weights must be a tensor, got {type(weights).__name__}")
    if weights is not None and tuple(weights.shape) != tuple(input.shape):
        raise ShapeError(f"bincount: weights of shape {tuple(weights.shape)} must match the input's {tuple(input.shape)}")
    if minlength > MAX_BINS:
        raise ArgumentError(f"bincount: minlength={minlength} is more than ember allows ({MAX_BINS})")
    check_size("bincount", (max(minlength, int(a.max()) + 1 if a.size else 0),), 8, "counts")
    dt = (weights.dtype.np if weights.dtype.name in ("float32", "float64") else np.float64) if weights is not None \
        else np.int64
    if weights is None:
        return host_compute(lambda a: np.bincount(a, None, minlength).astype(dt), input)
    return host_compute(lambda a, w: np.bincount(a, w, minlength).astype(dt), input, weights)


@register("cov", lambda make: [Sample((make(3, 6),), name="default"),
                               Sample((make(2, 5),), {"correction": 0}, "correction0")])
def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of `input` (observations in the columns)."""
    correction = need_int("cov", "correction", correction, low=None)
    for name, w in (("fweights", fweights), ("aweights", aweights)):
        if w is not None and not isinstance(w, Tensor):
            raise DTypeError(f"cov: {name} must be a tensor, got {type(w).__name__}")
    if input.ndim > 2:
        raise ShapeError(f"cov: expected a tensor of at most 2 dims, got shape {tuple(input.shape)}")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    w = None
    if fweights is not None:
        w = fweights.to(x.dtype)
    if aweights is not None:
        w = aweights.to(x.dtype) if w is None else w * aweights.to(x.dtype)
    n = x.shape[1]
    if w is None:
        mean = x.mean(1, keepdim=True)
        centered = x - mean
        out = centered @ centered.transpose(0, 1) / max(n - correction, 0)
    else:
        total = w.sum()
        mean = (x * w).sum(1, keepdim=True) / total
        centered = x - mean
        norm = total - correction * ((w * aweights.to(x.dtype)).sum() / total if aweights is not None else 1)
        out = (centered * w) @ centered.transpose(0, 1) / norm
    return out if input.ndim == 2 and x.shape[0] > 1 else out.reshape(())  # one variable: a scalar, as PyTorch


@register("corrcoef", lambda make: [Sample((make(3, 6),), name="default")])
def corrcoef(input):
    """Pearson correlation coefficients of the rows of `input`, clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal().sqrt()
    return (c / d.unsqueeze(1) / d.unsqueeze(0)).clamp(-1, 1)


def _trapezoids(op, y, x, dx, dim):
    """(dim, each interval's y[i] + y[i+1] scaled by its width / 2) for the trapezoid rules."""
    need_dims(op, y)
    if x is not None and not isinstance(x, Tensor):
        raise DTypeError(f"{op}: x must be a tensor, got {type(x).__name__}")
    if x is not None and x.dtype.name == "bool":
        raise DTypeError(f"{op}: a bool x is not supported (as in PyTorch)")
    dx = None if dx is None else need_number(op, "dx", dx)
    dim = normalize_dim(dim, y.ndim, op)
    n = y.shape[dim]
    pairs = y.narrow(dim, min(n, 1), max(n - 1, 0)) + y.narrow(dim, 0, max(n - 1, 0))
    if x is None:
        return dim, pairs * ((1.0 if dx is None else dx) / 2)
    if dx is not None:
        raise ArgumentError(f"{op}: give x or dx, not both")
    spacing = diff(x, dim=-1 if x.ndim == 1 else dim)
    if x.ndim == 1:
        spacing = spacing.reshape([-1 if i == dim else 1 for i in range(y.ndim)])
    return dim, pairs * spacing / 2


@register("trapezoid", lambda make: [Sample((make(3, 5),), name="dx1"), Sample((make(3, 5),), {"dx": 0.5}, "dx"),
                                     Sample((make(3, 5), make.distinct(5)), name="x")])
def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid-rule integral of `y` along `dim`, at points `x` or with spacing `dx` (default 1)."""
    dim, areas = _trapezoids("trapezoid", y, x, dx, dim)
    n = y.shape[dim]
    if not n:  # as PyTorch: zeros of y's dtype
        return y.new_zeros(tuple(y.shape[:dim]) + tuple(y.shape[dim + 1:]))
    if x is None:  # PyTorch's form for even spacing: an inf at an end gives inf - inf = NaN there too
        ends = y.narrow(dim, 0, 1).squeeze(dim) + y.narrow(dim, n - 1, 1).squeeze(dim)
        return (y.sum(dim) - ends * 0.5) * (1.0 if dx is None else dx)
    return areas.sum(dim)


trapz = trapezoid


@register("cumulative_trapezoid", lambda make: [Sample((make(3, 5),), name="dx1"),
                                                Sample((make(3, 5), make.distinct(5)), name="x")])
def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid-rule integral of `y` along `dim` (one element shorter than `y`)."""
    dim, areas = _trapezoids("cumulative_trapezoid", y, x, dx, dim)
    return areas.cumsum(dim)
