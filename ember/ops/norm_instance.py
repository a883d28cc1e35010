"""Instance, RMS and local response normalization, as composites of `batch_norm` and elementwise ops.

    >>> import ember.nn.functional as F
    >>> F.rms_norm(ember.tensor([[3.0, 4.0]]), (2,)).round(decimals=3)
    tensor([[0.8490, 1.1320]])
"""
import numbers

import ml_dtypes
import numpy as np

from ember.autograd.grad_mode import no_grad
from ember.errors import ArgumentError, ShapeError
from ember.ops import unary
from ember.ops.arrange import pad
from ember.ops.norm import _input, _per_channel, batch_norm

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = "instance_norm rms_norm local_response_norm"


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    """Normalize each (sample, channel) of an (N, C, *spatial) input over its spatial dims.

    With `use_input_stats` the running statistics (if given) are updated with the mean over the
    batch of the per-instance statistics; without, they normalize (evaluation with tracked stats).
    """
    op = "instance_norm"
    _input(op, input, 3)
    n, c = input.shape[:2]
    for name, t in (("running_mean", running_mean), ("running_var", running_var), ("weight", weight),
                    ("bias", bias)):
        _per_channel(op, name, t, (c,))
    flat = input.reshape((1, n * c) + tuple(input.shape[2:]))
    mean = running_mean.repeat(n) if running_mean is not None else None
    var = running_var.repeat(n) if running_var is not None else None
    out = batch_norm(flat, mean, var, weight.repeat(n) if weight is not None else None,
                     bias.repeat(n) if bias is not None else None, use_input_stats, momentum, eps)
    if use_input_stats:
        with no_grad():
            if running_mean is not None:
                running_mean.copy_(mean.reshape(n, c).mean(0))
            if running_var is not None:
                running_var.copy_(var.reshape(n, c).mean(0))
    return out.reshape(tuple(input.shape))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """`x / sqrt(mean(x**2) + eps) * weight` over the last dims `normalized_shape`; `eps=None` is the
    dtype's machine epsilon, as in PyTorch."""
    op = "rms_norm"
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    if not shape or tuple(input.shape[input.ndim - len(shape):]) != shape or len(shape) > input.ndim:
        raise ShapeError(f"{op}: normalized_shape {shape} must be the last dims of the input, got input of "
                         f"shape {tuple(input.shape)}")
    if weight is not None and tuple(weight.shape) != shape:
        raise ShapeError(f"{op}: weight of shape {tuple(weight.shape)} must be normalized_shape {shape}")
    if eps is None:
        eps = float(ml_dtypes.finfo(input.dtype.np).eps) if input.is_floating_point() else 1e-6
    dims = tuple(range(input.ndim - len(shape), input.ndim))
    y = input * unary.rsqrt((input * input).mean(dims, keepdim=True) + eps)
    return y * weight if weight is not None else y


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """Normalize each channel by the squares of its `size` neighbouring channels:
    `x / (k + alpha * mean(x**2 over the window))**beta`, the window zero-padded at the edges."""
    op = "local_response_norm"
    _input(op, input, 3)
    if not isinstance(size, numbers.Integral) or isinstance(size, bool) or size < 1:
        raise ArgumentError(f"{op}: size must be a positive int, got {size!r}")
    c = input.shape[1]
    sq = input * input
    # channels last, zero-padded; a window reaches at most c - 1 channels to each side, so a size
    # past 2c adds only zeros: pad and loop only as far as real channels reach
    lo, hi = min(size // 2, max(c - 1, 0)), min((size - 1) // 2, max(c - 1, 0))
    padded = pad(sq.movedim(1, -1), (lo, hi))
    window = padded[..., 0:c]
    for j in range(1, lo + hi + 1):
        window = window + padded[..., j:j + c]
    div = ((window / size) * alpha + k) ** beta
    return input / div.movedim(-1, 1)
