"""Pooling: max_pool1d/2d (with indices), avg_pool1d/2d and adaptive_avg_pool1d/2d, with
PyTorch's signatures. 1-d pooling runs as 2-d pooling with a height of 1.

Pooling reads the windows as KH*KW strided views of the (padded) input, one per offset in
the window, so no window is ever copied: `MaxPool` takes an elementwise maximum over the
views and records which offset won (the first maximum, NaN wins, as in PyTorch); average
pooling sums the views. Two linear primitives carry the gradients: `WindowSpread` adds a
value back at every offset of its window (or only at the winning offset, for max pooling)
and `WindowSum` is its adjoint; each is the other's gradient, so gradients of any order
work. With 2x2 windows and stride 2 this is four strided passes each way. Adaptive average
pooling multiplies by two averaging matrices.
With numba (the `fast` extra), max pooling and its gradient run as one pass each instead
(ember/ops/_pool_loops.py; same results). Timings against PyTorch: `python benchmarks/conv.py`.

    >>> ember.nn.functional.max_pool2d(ember.randn(2, 3, 8, 8), 2).shape
    ember.Size([2, 3, 4, 4])
"""
from collections import namedtuple

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.autograd.checks import check_size
from ember.errors import ArgumentError, AutogradError, DTypeError, ShapeError
from ember.ops import _pool_loops
from ember.ops._im2col import batched, ints
from ember.ops import join
from ember.ops._util import const
from ember.ops.registry import Sample, register

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "adaptive_avg_pool1d"]
METHODS = ""
INPLACE = ""
FUNCTIONAL = ("max_pool1d max_pool2d max_pool1d_with_indices max_pool2d_with_indices avg_pool1d avg_pool2d "
              "adaptive_avg_pool1d adaptive_avg_pool2d")

# Per spatial dim (height, width): `pad` is the padding before; `extent` the padded length the
# windows read (ceil_mode windows may run past the padding after).
PoolGeometry = namedtuple("PoolGeometry", "size kernel stride pad dilation out extent")


def _geometry(op, shape, kernel, stride, padding, dilation, ceil_mode, nd):
    kernel = ints(op, "kernel_size", kernel, nd, 1)
    empty = stride is None or (isinstance(stride, (tuple, list)) and not stride)
    stride = kernel if empty else ints(op, "stride", stride, nd, 1)
    padding = ints(op, "padding", padding, nd, 0)
    dilation = ints(op, "dilation", dilation, nd, 1)
    out, extent = [], []
    for n, k, s, p, d in zip(shape[2:], kernel, stride, padding, dilation):
        if 2 * p > d * (k - 1) + 1:
            raise ArgumentError(f"{op}: padding {padding} should be at most half of the effective kernel size "
                                f"(kernel_size={kernel}, dilation={dilation})")
        span = n + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:
            o -= 1
        if span < 0 or o < 1:
            raise ShapeError(f"{op}: input of shape {tuple(shape)} is too small for kernel_size={kernel}, "
                             f"dilation={dilation}, padding={padding}: the output would be empty")
        out.append(o)
        extent.append(max(n + 2 * p, (o - 1) * s + d * (k - 1) + 1))
    lift = (lambda t, one=1: (one,) + tuple(t)) if nd == 1 else (lambda t, one=1: tuple(t))
    geo = PoolGeometry(lift(shape[2:]), lift(kernel), lift(stride), lift(padding, 0), lift(dilation), lift(out),
                       lift(extent))
    check_size(op, tuple(shape[:2]) + geo.out + geo.kernel, 8, "windows")
    return geo


def _padded(xp, x, geo, fill):
    """x (N, C, H, W) padded with `fill` to the extent the windows read."""
    n, c, h, w = x.shape
    (ph, pw), (eh, ew) = geo.pad, geo.extent
    if (eh, ew) == (h, w):
        return x
    out = xp.full((n, c, eh, ew), fill, x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _offsets(geo):
    """For each offset (i, j) in the window: its number and the slices of the padded input it reads."""
    (oh, ow), (kh, kw), (sh, sw), (dh, dw) = geo.out, geo.kernel, geo.stride, geo.dilation
    for i in range(kh):
        for j in range(kw):
            yield i * kw + j, (..., slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                               slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))


class WindowSum(Function):
    """The sum over each window of x (zero-padded), or with `best`, the element at offset `best`."""
    save_inputs = False
    internal = True  # reached through avg_pool and the gradients of max_pool, tested there

    def forward(self, x, geo=None, best=None):
        x = _padded(self.xp, x, geo, 0)
        out = None
        for t, at in _offsets(geo):
            part = x[at] if best is None else self.xp.where(best == t, x[at], 0)
            out = part.copy() if out is None else out.__iadd__(part)
        return out

    def backward(self, g):
        return WindowSpread.apply(g, **self.attrs)


class WindowSpread(Function):
    """WindowSum's adjoint: each window's value added back at every offset (or only at `best`).
    With `mask` (set only by the compiler's pool_relu_fusion, in graphs with no backward of it) the
    result is 0 where `mask <= 0`: the gradient of the ReLU before the pool (ReluGrad), in the same pass."""
    save_inputs = False
    internal = True

    def forward(self, g, geo=None, best=None, mask=None):
        n, c = g.shape[:2]
        fast = None if best is None else _pool_loops.spread(g, best, geo, mask)
        out, masked = fast if fast is not None else (None, False)
        if out is None:
            out = self.xp.zeros((n, c) + geo.extent, g.dtype)
            for t, at in _offsets(geo):
                out[at] += g if best is None else self.xp.where(best == t, g, 0)
        (ph, pw), (h, w) = geo.pad, geo.size
        out = out if (h, w) == geo.extent else self.xp.ascontiguousarray(out[:, :, ph:ph + h, pw:pw + w])
        if mask is not None and not masked:  # the values of the unfused graph's ReluGrad
            out[mask <= 0] = 0
        return out

    def backward(self, g):
        if self.attrs.get("mask") is not None:
            raise AutogradError("WindowSpread: a pooling gradient fused with its ReLU's has no backward; the "
                                "compiler fuses only calls that no backward node replays")
        return WindowSum.apply(g, **self.attrs)


class MaxPool(Function):
    """The first maximum of each window (NaN wins, as in PyTorch), and its flat index into H*W."""
    save_inputs = False

    def forward(self, x, geo=None):
        xp = self.xp
        x = _padded(xp, x, geo, -xp.inf)
        index_dtype = xp.int8 if geo.kernel[0] * geo.kernel[1] < 128 else xp.int64
        fast = _pool_loops.max_pool(x, geo, index_dtype)
        if fast is not None:
            y, best = fast
        else:
            y = None
            for t, at in _offsets(geo):
                y = x[at].copy() if y is None else xp.maximum(y, x[at], out=y)
            best = xp.zeros(y.shape, index_dtype)
            for t, at in reversed(list(_offsets(geo))):  # the first offset that holds the maximum wins
                xp.copyto(best, t, where=(x[at] == y) | (x[at] != x[at]))
        self.best = best = _real_winners(xp, y, best, geo)
        return y, best

    def backward(self, g, g_indices=None):
        return WindowSpread.apply(g, geo=self.attrs["geo"], best=self.best)


def _real_winners(xp, y, best, geo):
    """`best` with each winner that is a padding cell moved to its window's first real cell, as
    PyTorch, which never reads the padding. The padding is -inf and the first maximum wins, so only
    a window whose real values are all -inf can pick one (every window holds a real cell)."""
    (sh, sw), (dh, dw), (ph, pw), kw = geo.stride, geo.dilation, geo.pad, geo.kernel[1]
    (h, w), (eh, ew) = geo.size, geo.extent
    if (ph, pw, eh, ew) == (0, 0, h, w) or not (y == -xp.inf).any():
        return best
    oh, ow = geo.out
    i, j = xp.arange(oh)[:, None], xp.arange(ow)
    rows, cols = i * sh + (best // kw) * dh - ph, j * sw + (best % kw) * dw - pw
    pad = (rows < 0) | (rows >= h) | (cols < 0) | (cols >= w)
    first = -(-xp.maximum(ph - i * sh, 0) // dh) * kw + -(-xp.maximum(pw - j * sw, 0) // dw)  # (OH, OW)
    return xp.where(pad, xp.broadcast_to(first, best.shape), best).astype(best.dtype)


class FlatIndices(Function):
    """Window offsets (N, C, OH, OW) as PyTorch's indices: flat positions in the unpadded H*W (a
    primitive, so a compiled replay computes them from its own max_pool call)."""
    internal = True  # tested through max_pool*d(return_indices=True)
    differentiable = False
    save_inputs = False

    def forward(self, best, geo=None, width=None):
        xp = self.xp
        best = best.astype(xp.int64)
        (sh, sw), (dh, dw), (ph, pw), kw = geo.stride, geo.dilation, geo.pad, geo.kernel[1]
        rows = xp.arange(geo.out[0])[:, None] * sh + (best // kw) * dh - ph
        cols = xp.arange(geo.out[1]) * sw + (best % kw) * dw - pw
        return rows * width + cols


# --- argument checks -------------------------------------------------------------------

def _batched(op, input, nd):
    if not isinstance(input, Tensor):
        raise ArgumentError(f"{op}: input must be a tensor, got {type(input).__name__}")
    if input.dtype.is_floating_point is False:
        raise DTypeError(f"{op}: expected a floating point input, got {input.dtype}")
    return batched(op, input, nd)


def _as4d(x, nd):
    return x.unsqueeze(2) if nd == 1 else x


def _restore(y, nd, batched):
    y = y.squeeze(2) if nd == 1 else y
    return y if batched else y.squeeze(0)


# --- max pooling -------------------------------------------------------------------------

def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, batched = _batched(op, input, nd)
    geo = _geometry(op, tuple(x.shape), kernel_size, stride, padding, dilation, bool(ceil_mode), nd)
    y, best = MaxPool.apply(_as4d(x, nd), geo=geo)
    y = _restore(y, nd, batched)
    if not return_indices:
        return y
    return y, _restore(FlatIndices.apply(best, geo=geo, width=x.shape[-1]), nd, batched)


def _max_samples(nd):
    def samples(make):
        s = (6,) * nd
        t = (lambda v: (v,) * 2) if nd == 2 else (lambda v: v)
        return [Sample((make.distinct(2, 3, *s), 2), name="2x2"),
                Sample((make.distinct(2, 3, *s), 3), {"stride": 2, "padding": 1}, "pad"),
                Sample((make.distinct(1, 2, 7, *s[1:]), t(3)), {"stride": t(2), "ceil_mode": True}, "ceil"),
                Sample((make.distinct(1, 2, *s), 2), {"dilation": 2, "return_indices": True}, "dilated-indices"),
                Sample((make.distinct(2, *s), 2), {"return_indices": True}, "unbatched"),
                Sample((make.distinct(2, 3, *s).swapaxes(-1, -2), 2), name="noncontig"),
                Sample((make(0, 2, *s), 2), name="empty")]
    return samples


@register("max_pool1d", _max_samples(1), ref="nn.functional.max_pool1d")
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of (N, C, L) or (C, L); with `return_indices`, also each maximum's index into L.

        >>> ember.max_pool1d(ember.arange(6.0).reshape(1, 1, 6), 2)
        tensor([[[1., 3., 5.]]])
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


@register("max_pool2d", _max_samples(2), MaxPool, ref="nn.functional.max_pool2d")
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of (N, C, H, W) or (C, H, W); indices are flat into H*W, as in PyTorch.

        >>> ember.nn.functional.max_pool2d(ember.randn(1, 2, 4, 4), 2, return_indices=True)[1].shape
        ember.Size([1, 2, 2, 2])
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """`max_pool1d` returning (values, indices)."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """`max_pool2d` returning (values, indices)."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


# --- average pooling ---------------------------------------------------------------------

def _divisor(geo, count_include_pad, divisor_override):
    """The number each window sum is divided by, as PyTorch counts it: an (OH, OW) array."""
    if divisor_override is not None:
        return np.full(geo.out, float(divisor_override))
    counts = []
    for n, k, s, p, o in zip(geo.size, geo.kernel, geo.stride, geo.pad, geo.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        counts.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    return counts[0][:, None] * counts[1][None, :]


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    x, batched = _batched(op, input, nd)
    if divisor_override is not None and (not isinstance(divisor_override, int) or isinstance(divisor_override, bool)
                                         or divisor_override == 0):
        raise ArgumentError(f"{op}: divisor_override must be a non-zero int or None, got {divisor_override!r}")
    geo = _geometry(op, tuple(x.shape), kernel_size, stride, padding, 1, bool(ceil_mode), nd)
    sums = WindowSum.apply(_as4d(x, nd), geo=geo)
    divisor = _divisor(geo, count_include_pad, divisor_override).astype(x.dtype.name)
    return _restore(sums / const(divisor, x), nd, batched)


def _avg_samples(nd):
    def samples(make):
        s = (6,) * nd
        t = (lambda v: (v,) * 2) if nd == 2 else (lambda v: v)
        out = [Sample((make(2, 3, *s), 2), name="2x2"),
               Sample((make(2, 3, *s), 3), {"stride": 2, "padding": 1}, "pad"),
               Sample((make(2, 3, *s), 3), {"stride": 2, "padding": 1, "count_include_pad": False}, "exclude-pad"),
               Sample((make(1, 2, 7, *s[1:]), t(3)), {"stride": t(2), "padding": t(1), "ceil_mode": True}, "ceil"),
               Sample((make(2, *s), 2), name="unbatched"),
               Sample((make(2, 3, *s).swapaxes(-1, -2), 2), name="noncontig"),
               Sample((make(0, 2, *s), 2), name="empty")]
        if nd == 2:
            out.append(Sample((make(1, 2, 5, 4), (3, 2)), {"stride": (2, 1), "divisor_override": 5}, "divisor"))
        return out
    return samples


@register("avg_pool1d", _avg_samples(1), ref="nn.functional.avg_pool1d")
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    """Mean over windows of (N, C, L) or (C, L).

        >>> ember.avg_pool1d(ember.arange(6.0).reshape(1, 1, 6), 2)
        tensor([[[0.5000, 2.5000, 4.5000]]])
    """
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


@register("avg_pool2d", _avg_samples(2), ref="nn.functional.avg_pool2d")
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over windows of (N, C, H, W) or (C, H, W); `divisor_override` replaces the window size.

        >>> ember.nn.functional.avg_pool2d(ember.ones(1, 1, 4, 4), 2).shape
        ember.Size([1, 1, 2, 2])
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override)


# --- adaptive average pooling ------------------------------------------------------------

def _averaging(n, out, dtype):
    """(out, n) matrix whose row i averages PyTorch's bin [floor(i*n/out), ceil((i+1)*n/out))."""
    m = np.zeros((out, n), dtype)
    for i in range(out):
        a, b = (i * n) // out, -(-((i + 1) * n) // out)
        m[i, a:b] = 1.0 / (b - a)
    return m


def _adaptive_avg(op, nd, input, output_size):
    x, batched = _batched(op, input, nd)
    if isinstance(output_size, (tuple, list)) and len(output_size) != nd:
        raise ShapeError(f"{op}: output_size must be an int or {nd} of them, got {tuple(output_size)}")
    if nd == 2 and isinstance(output_size, (tuple, list)) and len(output_size) == 2:
        output_size = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(output_size))
    out = ints(op, "output_size", output_size, nd, 0)
    for n, o in zip(x.shape[2:], out):
        if n == 0 and o:
            raise ShapeError(f"{op}: input of shape {tuple(input.shape)} has an empty spatial dim")
    check_size(op, tuple(x.shape[:2]) + out, x.dtype.itemsize, "output")
    for n, o in zip(x.shape[2:], out):
        check_size(op, (n, o), x.dtype.itemsize, "averaging matrix")
    if x.numel() and not bool(x._device.xp.isfinite(x._data).all()):
        y = _bin_means(_bin_means(x, out[-1], -1), out[0], 2) if nd == 2 else _bin_means(x, out[-1], -1)
        return y if batched else y.squeeze(0)
    dt = x.dtype.name
    y = x @ const(_averaging(x.shape[-1], out[-1], dt).T, x)
    if nd == 2:
        y = const(_averaging(x.shape[2], out[0], dt), x) @ y
    return y if batched else y.squeeze(0)


def _bin_means(x, out, dim):
    """The bins' means one slice at a time: with an inf in the input, the averaging matrix's zeros
    would turn it into NaN in bins that never saw it."""
    n, dim = x.shape[dim], dim % x.ndim
    lead = (slice(None),) * dim
    bins = [x[lead + (slice((i * n) // out, -(-((i + 1) * n) // out)),)].mean(dim, keepdim=True) for i in range(out)]
    return join.cat(bins, dim)


def _adaptive_samples(nd):
    def samples(make):
        s = (7,) * nd
        return [Sample((make(2, 3, *s), (3,) * nd), name="uneven"),
                Sample((make(2, 3, *s), (1,) * nd), name="global"),
                Sample((make(1, 1, *s), 1), name="int"),
                Sample((make(2, 3, *(6,) * nd), (3,) * nd), name="even"),
                Sample((make(3, *s), (9,) * nd), name="upsample-unbatched"),
                Sample((make(2, 3, *s).swapaxes(-1, -2), (2,) * nd), name="noncontig"),
                Sample((make(0, 3, *s), (2,) * nd), name="empty")] + \
            ([Sample((make(2, 3, 5, 7), (None, 2)), name="none")] if nd == 2 else [])
    return samples


@register("adaptive_avg_pool1d", _adaptive_samples(1), ref="nn.functional.adaptive_avg_pool1d")
def adaptive_avg_pool1d(input, output_size):
    """Average (N, C, L) or (C, L) into `output_size` bins, as PyTorch bins them.

        >>> ember.adaptive_avg_pool1d(ember.arange(6.0).reshape(1, 1, 6), 2)
        tensor([[[1., 4.]]])
    """
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


@register("adaptive_avg_pool2d", _adaptive_samples(2), ref="nn.functional.adaptive_avg_pool2d")
def adaptive_avg_pool2d(input, output_size):
    """Average (N, C, H, W) or (C, H, W) into `output_size` (an int, a pair, None keeps a size) bins.

        >>> ember.nn.functional.adaptive_avg_pool2d(ember.randn(2, 8, 7, 7), 1).shape
        ember.Size([2, 8, 1, 1])
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)
