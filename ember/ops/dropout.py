"""Dropout: elementwise (`dropout`), channel-wise (`dropout1d/2d/3d`, which zero whole
feature maps), and the self-normalizing `alpha_dropout` / `feature_alpha_dropout`.

The keep-mask is drawn from ember's generator (the default one, or `generator=`),
so the same seed gives the same mask. Kept values are scaled by 1/(1-p) so that the
expected output equals the input; the gradient is the same mask times 1/(1-p).
With `training=False` (or p=0) the input is returned unchanged.

    >>> import ember
    >>> import ember.nn.functional as F
    >>> _ = ember.manual_seed(0)
    >>> a = F.dropout(ember.ones(8), 0.5)
    >>> _ = ember.manual_seed(0)
    >>> bool((a == F.dropout(ember.ones(8), 0.5)).all()), sorted(set(a.tolist())) <= [0.0, 2.0]
    (True, True)
"""
import math
import numbers
import warnings

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend.random import default_generator
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops._util import const
from ember.ops.registry import Sample, register

__all__ = ["dropout", "alpha_dropout", "feature_alpha_dropout"]
METHODS = ""
INPLACE = ""
FUNCTIONAL = "dropout dropout1d dropout2d dropout3d alpha_dropout feature_alpha_dropout"

# -SELU's negative saturation value, -scale * alpha: alpha dropout sets dropped units to it
ALPHA_PRIME = 1.7580993408473766


def _check(op, input, p):
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise DTypeError(f"{op}: expected a floating point input, got {input.dtype}")
    if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
        raise ArgumentError(f"{op}: dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


class KeepMask(Function):
    """The 0/1 keep mask of dropout as a primitive (a graph records the draw, so a compiled step
    draws a fresh mask each call): `shape` broadcastable to `x`, 1 with probability 1-p, drawn on
    the CPU generator (reproducible on every device) and moved to `x`'s device."""
    internal = True  # tested through dropout and alpha_dropout
    random = True    # graph passes never merge or fold it
    differentiable = False
    save_inputs = False

    def forward(self, x, shape=(), p=0.5, generator=None):
        u = (generator or default_generator).np.random(shape, dtype=np.float32)
        keep = (u >= p).astype(x.dtype)
        return keep if self.xp is np else self.xp.asarray(keep)


def _keep_mask(input, p, shape, generator):
    if generator is not None and not hasattr(generator, "np"):
        raise DTypeError(f"dropout: generator must be an ember.Generator, got {type(generator).__name__}")
    return KeepMask.apply(input.detach(), shape=shape, p=p, generator=generator)


def _apply(op, input, factor, offset, inplace):
    """`input * factor (+ offset)`, factor and offset tensors or constant arrays; with `inplace`,
    written back into `input`."""
    src = input._snapshot(True) if inplace and input.requires_grad else input
    out = src * (factor if isinstance(factor, Tensor) else const(factor, input))
    if offset is not None:
        out = out + offset
    return input._inplace(out, op + "_") if inplace else out


def _dropout(op, input, p, training, inplace, generator, mask_shape):
    p = _check(op, input, p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return _apply(op, input, input._device.xp.zeros((), input._data.dtype), None, inplace)
    keep = _keep_mask(input, p, mask_shape, generator)
    return _apply(op, input, keep * (1.0 / (1.0 - p)), None, inplace)


def _eval_samples(make):
    """Deterministic samples (training=False) for the comparison with PyTorch."""
    return [Sample((make(3, 4),), {"p": 0.3, "training": False}, "eval"),
            Sample((make(2, 3, 4, noncontig=True),), {"p": 0.5, "training": False}, "eval-noncontig"),
            Sample((make(0, 3),), {"p": 0.5, "training": False}, "empty"),
            Sample((make(3, 4),), {"p": 0.0}, "p0")]


@register("dropout", _eval_samples, ref="nn.functional.dropout")
def dropout(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero each element with probability `p` and scale the rest by 1/(1-p) (when `training`).

        >>> F.dropout(ember.ones(3), 0.5, training=False)
        tensor([1., 1., 1.])
    """
    return _dropout("dropout", input, p, training, inplace, generator, tuple(input.shape))


def _channels(op, input, dims):
    """The mask shape of channel-wise dropout over (N, C, *spatial) inputs, `dims` spatial dims;
    an input without the batch dim (C, *spatial) is accepted."""
    if input.ndim not in (dims + 1, dims + 2):
        raise ShapeError(f"{op}: expected a {dims + 1}-d (C, {'*' * dims}) or {dims + 2}-d (N, C, ...) input, "
                         f"got shape {tuple(input.shape)}")
    lead = 1 if input.ndim == dims + 1 else 2
    return tuple(input.shape[:lead]) + (1,) * (input.ndim - lead)


def _channel_samples(ndim, unbatched=True):
    def samples(make):
        shape = (2, 3) + (4,) * (ndim - 2)
        return [Sample((make(*shape),), {"p": 0.3, "training": False}, "eval")] + (
            [Sample((make(*shape[1:]),), {"p": 0.3, "training": False}, "unbatched")] if unbatched else [])
    return samples


@register("dropout1d", _channel_samples(3), ref="nn.functional.dropout1d")
def dropout1d(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero whole channels of an (N, C, L) or (C, L) input with probability `p`, scaling the rest by 1/(1-p)."""
    _check("dropout1d", input, p)
    return _dropout("dropout1d", input, p, training, inplace, generator, _channels("dropout1d", input, 1))


@register("dropout2d", _channel_samples(4, unbatched=False), ref="nn.functional.dropout2d")
def dropout2d(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero whole channels of an (N, C, H, W) input with probability `p`, scaling the rest by 1/(1-p).

    As in PyTorch, a 3-d input is taken as (N, C, L) (1-d channel-wise dropout), with a warning.
    """
    _check("dropout2d", input, p)
    if input.ndim < 2:
        raise ShapeError(f"dropout2d: expected an (N, C, H, W) input, got shape {tuple(input.shape)}")
    if input.ndim == 3:
        warnings.warn("dropout2d: received a 3-d input; it is taken as (N, C, L), as in PyTorch. Use dropout1d "
                      "for that, or unsqueeze(0) a (C, H, W) input", stacklevel=2)
    elif input.ndim != 4:  # PyTorch warns and drops along (N, C): a 2-d input loses single elements
        warnings.warn(f"dropout2d: received a {input.ndim}-d input, which PyTorch deprecates; it is taken as "
                      f"(N, C, ...) and whole (n, c) slices are dropped. Use dropout for 2-d inputs",
                      stacklevel=2)
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _dropout("dropout2d", input, p, training, inplace, generator, shape)


@register("dropout3d", _channel_samples(5), ref="nn.functional.dropout3d")
def dropout3d(input, p=0.5, training=True, inplace=False, generator=None):
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input with probability `p`."""
    _check("dropout3d", input, p)
    return _dropout("dropout3d", input, p, training, inplace, generator, _channels("dropout3d", input, 3))


def _alpha(op, input, p, training, inplace, generator, mask_shape):
    """Alpha dropout: dropped units take SELU's saturation value, then an affine map restores
    the input's mean and variance (for zero-mean, unit-variance inputs)."""
    p = _check(op, input, p)
    if not training or p == 0.0 or input.numel() == 0:
        return input
    if p == 1.0:
        return _apply(op, input, input._device.xp.zeros((), input._data.dtype), None, inplace)
    keep = _keep_mask(input, p, mask_shape, generator)
    a = 1.0 / math.sqrt((ALPHA_PRIME ** 2 * p + 1) * (1 - p))
    offset = (keep - 1) * (ALPHA_PRIME * a) + ALPHA_PRIME * a * p
    return _apply(op, input, keep * a, offset, inplace)


@register("alpha_dropout", _eval_samples, ref="nn.functional.alpha_dropout")
def alpha_dropout(input, p=0.5, training=False, inplace=False, generator=None):
    """Dropout for SELU networks: keeps the mean and variance of its input (see `_alpha`)."""
    return _alpha("alpha_dropout", input, p, training, inplace, generator, tuple(input.shape))


@register("feature_alpha_dropout", _channel_samples(4), ref="nn.functional.feature_alpha_dropout")
def feature_alpha_dropout(input, p=0.5, training=False, inplace=False, generator=None):
    """Alpha dropout of whole channels (dim 1) of an (N, C, ...) input."""
    _check("feature_alpha_dropout", input, p)
    if input.ndim < 2:
        raise ShapeError(f"feature_alpha_dropout: expected an (N, C, ...) input, got shape {tuple(input.shape)}")
    shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    return _alpha("feature_alpha_dropout", input, p, training, inplace, generator, shape)
