"""3-d pooling, built from the 2-d pooling ops: for each kernel depth, the planes it reads (every
output depth folded into the batch) are pooled in 2-d, then the depths are combined (max, or a sum over
PyTorch's divisor). Adaptive pooling reuses the separable bins of 1-d and 2-d.

    >>> ember.nn.functional.max_pool3d(ember.randn(1, 2, 4, 4, 4), 2).shape
    ember.Size([1, 2, 2, 2, 2])
"""
import numpy as np

from ember.ops._util import const
from ember.ops.arrange import pad as pad_op
from ember.ops.binary import where
from ember.ops.join import stack
from ember.ops.pool import _batched, _geometry, avg_pool2d, max_pool2d
from ember.ops.pool_variants import _adaptive_max, _lp, _unpool
from ember.ops.resample import interpolate

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = ("max_pool3d max_pool3d_with_indices avg_pool3d adaptive_avg_pool3d adaptive_max_pool3d "
              "adaptive_max_pool3d_with_indices lp_pool3d max_unpool3d")


def _depth_planes(x, geo, fill):
    """For each kernel depth: the (N * OD, C, H, W) planes it reads, and the input depth of each plane."""
    n, c, d = x.shape[:3]
    (k, s, p, dil, od) = geo.kernel[0], geo.stride[0], geo.pad[0], geo.dilation[0], geo.out[0]
    right = max(0, (od - 1) * s + dil * (k - 1) + 1 - (d + 2 * p))
    xp = pad_op(x, (0, 0, 0, 0, p, p + right), value=fill) if p or right else x
    planes, depths = [], []
    for j in range(k):
        start = j * dil
        part = xp[:, :, start:start + s * (od - 1) + 1:s]                 # (N, C, OD, H, W)
        planes.append(part.movedim(2, 1).reshape((n * od, c) + tuple(x.shape[3:])))
        depths.append(np.arange(od) * s - p + start)
    return planes, depths


def _unfold_depth(y, n, od):
    return y.reshape((n, od) + tuple(y.shape[1:])).movedim(1, 2)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    """Max over windows of (N, C, D, H, W) or (C, D, H, W); with `return_indices`, also the flat
    index of each maximum in its (D, H, W) volume (for `max_unpool3d`)."""
    op = "max_pool3d"
    x, batched = _batched(op, input, 3)
    geo = _geometry(op, tuple(x.shape), kernel_size, stride, padding, dilation, ceil_mode, 3)
    planes, depths = _depth_planes(x, geo, float("-inf"))
    pooled = [max_pool2d(pl, geo.kernel[1:], geo.stride[1:], geo.pad[1:], geo.dilation[1:], ceil_mode, True)
              for pl in planes]
    values = stack([v for v, _ in pooled])                               # (KD, N*OD, C, OH, OW)
    n, od = x.shape[0], geo.out[0]
    depth_of = np.stack([np.tile(dep, n) for dep in depths])            # (KD, N*OD): input depth per plane
    # the first plane holding the maximum (NaN first), as PyTorch: the whole gradient goes to it. A
    # padding plane (-inf) can win only where every real value is -inf: then the first real plane does
    real = (depth_of >= 0) & (depth_of < x.shape[2])
    column = (1, n * od, 1, 1, 1)
    best = values.argmax(0, keepdim=True)
    padded = const(~real, values).reshape(real.shape + (1, 1, 1)).expand(values.shape).gather(0, best)
    best = where(padded, const(real.argmax(0).reshape(column), best).expand(best.shape), best)
    y = _unfold_depth(values.gather(0, best).squeeze(0), n, od)
    if not return_indices:
        return y if batched else y.squeeze(0)
    hw = stack([i for _, i in pooled]).gather(0, best).squeeze(0)
    depth = const(depth_of, hw).reshape(depth_of.shape + (1, 1, 1)).expand(values.shape).gather(0, best).squeeze(0)
    idx = _unfold_depth(depth * (x.shape[3] * x.shape[4]) + hw, n, od)
    return (y, idx) if batched else (y.squeeze(0), idx.squeeze(0))


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    """`max_pool3d` returning (values, indices)."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W), with PyTorch's divisor rules."""
    op = "avg_pool3d"
    x, batched = _batched(op, input, 3)
    geo = _geometry(op, tuple(x.shape), kernel_size, stride, padding, 1, ceil_mode, 3)
    planes, _ = _depth_planes(x, geo, 0.0)
    total = None
    for pl in planes:
        part = avg_pool2d(pl, geo.kernel[1:], geo.stride[1:], geo.pad[1:], ceil_mode, True, 1)  # window sums
        total = part if total is None else total + part
    y = _unfold_depth(total, x.shape[0], geo.out[0])
    if divisor_override:
        y = y / divisor_override
    else:
        y = y / const(_divisors(geo, tuple(x.shape[2:]), count_include_pad, y.dtype.np), y)
    return y if batched else y.squeeze(0)


def _divisors(geo, spatial, count_include_pad, dtype):
    """PyTorch's divisor per output position: the window clipped to the padded input (count_include_pad)
    or to the input, as the outer product of one such count per dim."""
    counts = []
    for n, k, s, p, o in zip(spatial, geo.kernel, geo.stride, geo.pad, geo.out):
        start = np.arange(o) * s - p
        end = np.minimum(start + k, n + p)
        counts.append(end - start if count_include_pad else np.minimum(end, n) - np.maximum(start, 0))
    return np.einsum("i,j,k->ijk", *counts).astype(dtype)


def adaptive_avg_pool3d(input, output_size):
    """Average (N, C, D, H, W) or (C, D, H, W) into `output_size` bins (None keeps a size)."""
    x, batched = _batched("adaptive_avg_pool3d", input, 3)
    size = output_size if isinstance(output_size, (tuple, list)) else (output_size,) * 3
    size = tuple(x.shape[2 + i] if s is None else s for i, s in enumerate(size))
    y = interpolate(x, size, mode="area")
    return y if batched else y.squeeze(0)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over `output_size` adaptive bins of (N, C, D, H, W) or (C, D, H, W)."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return adaptive_max_pool3d(input, output_size, True)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """`(sum of x**p over each window)**(1/p)` over (N, C, D, H, W) or (C, D, H, W)."""
    return _lp("lp_pool3d", avg_pool3d, 3, input, norm_type, kernel_size, stride, ceil_mode)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value of a 3-d max pooling back at its index, zeros elsewhere."""
    return _unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)
