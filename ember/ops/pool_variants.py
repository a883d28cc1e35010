"""Pooling variants (composites): adaptive max pooling, power-average (LP) pooling and max unpooling.

    >>> import ember.nn.functional as F
    >>> F.adaptive_max_pool1d(ember.tensor([[[1.0, 5.0, 2.0, 4.0]]]), 2)
    tensor([[[5., 4.]]])
"""
import numbers

import numpy as np

from ember.autograd.checks import check_size
from ember.errors import ArgumentError, ShapeError
from ember.ops import unary
from ember.ops._im2col import ints
from ember.ops._util import const
from ember.ops.creation import zeros
from ember.ops.pool import _batched, avg_pool1d, avg_pool2d

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = ("adaptive_max_pool1d adaptive_max_pool2d adaptive_max_pool1d_with_indices "
              "adaptive_max_pool2d_with_indices lp_pool1d lp_pool2d max_unpool1d max_unpool2d")


def _bin_index(n, out):
    """PyTorch's adaptive bins of a dim of length n, [floor(i*n/out), ceil((i+1)*n/out)), as an
    (out, w) index array: each row is one bin, its last index repeated to the widest bin's width w
    (a repeat changes neither the max nor the first argmax)."""
    i = np.arange(out)
    start, end = i * n // out, -(-((i + 1) * n) // out)
    w = int((end - start).max()) if out else 1
    return np.minimum(start[:, None] + np.arange(w), end[:, None] - 1)


def _adaptive_max(op, nd, input, output_size, return_indices):
    x, batched = _batched(op, input, nd)
    if isinstance(output_size, (tuple, list)):
        output_size = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(output_size))
    out = ints(op, "output_size", output_size, nd, 1)
    spatial = tuple(x.shape[2:])
    if any(n == 0 for n in spatial):
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} has an empty spatial dim")
    n, c = x.shape[:2]
    check_size(op, (n, c) + out, x.dtype.itemsize, "output")
    bins = [_bin_index(s, o) for s, o in zip(spatial, out)]
    index = []  # bin d's (out_d, w_d) array, laid along axes d and nd + d: windows are (N, C, *out, *w)
    for d, b in enumerate(bins):
        shape = [1] * (2 * nd)
        shape[d], shape[nd + d] = b.shape
        index.append(const(b.reshape(shape), x))
    windows = x[(slice(None), slice(None)) + tuple(index)].reshape(n, c, *out, -1)
    first = windows.argmax(-1, keepdim=True)  # the first max (or NaN) of each bin gets the whole gradient
    y = windows.gather(-1, first).squeeze(-1)
    y = y if batched else y.squeeze(0)
    if not return_indices:
        return y
    xp, local, flat, inner = x._device.xp, first._data[..., 0], 0, 1
    for d in reversed(range(nd)):  # the window's flat index -> the input's flat spatial index
        w = bins[d].shape[1]
        k, local = local % w, local // w
        rows = xp.arange(out[d]).reshape((out[d],) + (1,) * (nd - 1 - d))
        flat = flat + xp.asarray(bins[d])[rows, k] * inner
        inner *= spatial[d]
    idx = const(flat.astype(xp.int64), x)
    return y, (idx if batched else idx.squeeze(0))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over `output_size` adaptive bins of (N, C, L) or (C, L)."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over `output_size` adaptive bins of (N, C, H, W) or (C, H, W); None keeps a size."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool2d(input, output_size, True)


def _lp(op, pool, nd, input, norm_type, kernel_size, stride, ceil_mode):
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real) or norm_type == 0:
        raise ArgumentError(f"{op}: norm_type must be a non-zero number, got {norm_type!r}")
    kernel = ints(op, "kernel_size", kernel_size, nd, 1)
    out = pool(input ** norm_type, kernel_size, stride, 0, ceil_mode)
    area = 1
    for k in kernel:
        area *= k
    return (unary.sign(out) * unary.relu(unary.abs(out)) * area) ** (1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """`(sum of x**p over each window)**(1/p)` over (N, C, L) or (C, L)."""
    return _lp("lp_pool1d", avg_pool1d, 1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """`(sum of x**p over each window)**(1/p)` over (N, C, H, W) or (C, H, W)."""
    return _lp("lp_pool2d", avg_pool2d, 2, input, norm_type, kernel_size, stride, ceil_mode)


def _unpool(op, nd, input, indices, kernel_size, stride, padding, output_size):
    x, batched = _batched(op, input, nd)
    idx = indices if batched else indices.unsqueeze(0)
    if tuple(idx.shape) != tuple(x.shape) or idx.is_floating_point():
        raise ShapeError(f"{op}: indices must be an integer tensor of the input's shape {tuple(input.shape)}, got "
                         f"{idx.dtype} {tuple(indices.shape)}")
    kernel = ints(op, "kernel_size", kernel_size, nd, 1)
    strides = kernel if stride is None else ints(op, "stride", stride, nd, 1)
    pads = ints(op, "padding", padding, nd, 0)
    default = tuple((x.shape[2 + d] - 1) * strides[d] - 2 * pads[d] + kernel[d] for d in range(nd))
    if output_size is None:
        size = default
    else:
        size = tuple(int(s) for s in output_size)[-nd:]
        for d in range(nd):
            if not default[d] - strides[d] < size[d] < default[d] + strides[d]:
                raise ShapeError(f"{op}: output_size {tuple(output_size)} must be within a stride of {default}")
    n, c = x.shape[:2]
    total = 1
    for s in size:
        total *= s
    flat_idx = idx.reshape(n, c, -1)
    if flat_idx.numel() and (int(flat_idx.min()) < 0 or int(flat_idx.max()) >= total):
        raise ArgumentError(f"{op}: indices must lie in [0, {total}) for output size {size}")
    out = zeros(n, c, total, dtype=x.dtype, device=x.device).scatter(2, flat_idx, x.reshape(n, c, -1))
    out = out.reshape(n, c, *size)
    return out if batched else out.squeeze(0)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of a max pooling back at its index, zeros elsewhere: (N, C, L) or (C, L)."""
    return _unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of a max pooling back at its index, zeros elsewhere: (N, C, H, W) or (C, H, W)."""
    return _unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)
