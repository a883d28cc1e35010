"""Resampling and rearranging images (composites): `interpolate` (nearest, nearest-exact, linear,
bilinear, trilinear, bicubic, area), `pixel_shuffle`, `pixel_unshuffle`, `channel_shuffle`, and the
patch ops `unfold` (im2col) and `fold` (its adjoint).

Every interpolation mode is linear in the input and separable, so it runs as one (out, in) matrix per
spatial dim, built once in NumPy with PyTorch's source-index rules: the gradient is a matmul too.

    >>> import ember.nn.functional as F
    >>> F.interpolate(ember.ones(1, 1, 2, 2), scale_factor=2, mode="bilinear").shape
    ember.Size([1, 1, 4, 4])
"""
import math
import numbers

import numpy as np

from ember.autograd.checks import check_size
from ember.autograd.engine import grad as autograd_grad
from ember.autograd.grad_mode import enable_grad
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops._util import const
from ember.ops.arrange import pad
from ember.ops.creation import zeros
from ember.ops.join import stack
from ember.ops.pool import _averaging

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = ("interpolate upsample upsample_nearest upsample_bilinear pixel_shuffle pixel_unshuffle "
              "channel_shuffle native_channel_shuffle unfold fold")

MODES = {"nearest": (1, 2, 3), "nearest-exact": (1, 2, 3), "linear": (1,), "bilinear": (2,), "bicubic": (2,),
         "trilinear": (3,), "area": (1, 2, 3)}
CUBIC_A = -0.75  # PyTorch's bicubic convolution constant


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None, recompute_scale_factor=None,
                antialias=False):
    """Resize the spatial dims of an (N, C, *spatial) input to `size` or by `scale_factor`, as PyTorch."""
    op = "interpolate"
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    nd = input.ndim - 2
    if mode not in MODES:
        raise ArgumentError(f"{op}: mode must be one of {', '.join(MODES)}, got {mode!r}")
    if nd not in MODES[mode]:
        raise ShapeError(f"{op}: mode {mode!r} takes {' or '.join(f'{d + 2}-d' for d in MODES[mode])} input, "
                         f"got shape {tuple(input.shape)}")
    if antialias:
        raise ArgumentError(f"{op}: antialias=True is not supported")
    if align_corners is not None and mode not in ("linear", "bilinear", "bicubic", "trilinear"):
        raise ArgumentError(f"{op}: align_corners only applies to linear, bilinear, bicubic and trilinear modes")
    if not input.is_floating_point():
        raise DTypeError(f"{op}: expected a floating point input, got {input.dtype}")
    out, scales = _output_size(op, tuple(input.shape[2:]), size, scale_factor, recompute_scale_factor)
    # before building anything: the output, and the dense (out, in) matrix of each resampled dim
    check_size(op, tuple(input.shape[:2]) + out, input.dtype.np.itemsize, "output size")
    for n, o in zip(input.shape[2:], out):
        check_size(op, (o, n), 8, "resampling matrix")
    y = input
    for d in range(nd):
        n, o = input.shape[2 + d], out[d]
        if n == o and mode != "bicubic" and scales[d] is None:
            continue
        m = _matrix(mode, n, o, scales[d], bool(align_corners), input.dtype.np)
        y = (y.movedim(2 + d, -1) @ const(m.T, y)).movedim(-1, 2 + d)
    return y


def _output_size(op, spatial, size, scale_factor, recompute):
    nd = len(spatial)
    if (size is None) == (scale_factor is None):
        raise ArgumentError(f"{op}: give exactly one of size and scale_factor")
    if size is not None:
        out = (size,) * nd if isinstance(size, numbers.Integral) else tuple(size)
        if len(out) != nd or not all(isinstance(s, numbers.Integral) and s > 0 for s in out):
            raise ArgumentError(f"{op}: size must be a positive int or {nd} of them, got {size!r}")
        return tuple(int(s) for s in out), (None,) * nd
    factors = (scale_factor,) * nd if isinstance(scale_factor, numbers.Real) else tuple(scale_factor)
    if len(factors) != nd or not all(isinstance(f, numbers.Real) and 0 < f < math.inf for f in factors):
        raise ArgumentError(f"{op}: scale_factor must be a positive number or {nd} of them, got {scale_factor!r}")
    out = tuple(int(math.floor(n * f)) for n, f in zip(spatial, factors))
    if any(o <= 0 for o in out):
        raise ShapeError(f"{op}: scale_factor {scale_factor!r} makes an empty output from {spatial}")
    return out, (None,) * nd if recompute else tuple(float(f) for f in factors)


def _scale(n, o, factor, align_corners):
    if align_corners:
        return (n - 1) / (o - 1) if o > 1 else 0.0
    return 1.0 / factor if factor is not None else n / o


def _matrix(mode, n, o, factor, align_corners, dtype):
    """The (o, n) matrix that resamples one dim of length n to o."""
    if mode == "area":
        return _averaging(n, o, dtype)
    m = np.zeros((o, n), np.float64)
    rows = np.arange(o)
    scale = _scale(n, o, factor, align_corners)
    if mode in ("nearest", "nearest-exact"):
        offset = 0.5 if mode == "nearest-exact" else 0.0
        m[rows, np.minimum(np.floor((rows + offset) * scale).astype(np.int64), n - 1)] = 1.0
        return m.astype(dtype)
    src = rows * scale if align_corners else (rows + 0.5) * scale - 0.5
    if mode == "bicubic":
        i = np.floor(src).astype(np.int64)
        t = src - i
        for k, w in enumerate(_cubic_weights(t)):
            np.add.at(m, (rows, np.clip(i - 1 + k, 0, n - 1)), w)
        return m.astype(dtype)
    src = np.maximum(src, 0.0)
    i0 = np.minimum(np.floor(src).astype(np.int64), n - 1)
    i1 = np.minimum(i0 + 1, n - 1)
    lam = src - i0
    np.add.at(m, (rows, i0), 1.0 - lam)
    np.add.at(m, (rows, i1), lam)
    return m.astype(dtype)


def _cubic_weights(t):
    a = CUBIC_A

    def near(x):  # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):  # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return far(t + 1), near(t), near(1 - t), far(2 - t)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated name of `interpolate`."""
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# --- rearranging channels and pixels -----------------------------------------------------------

def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r)."""
    r = _positive("pixel_shuffle", "upscale_factor", upscale_factor)
    *lead, c, h, w = _image("pixel_shuffle", input)
    if c % (r * r):
        raise ShapeError(f"pixel_shuffle: channels ({c}) must be divisible by upscale_factor**2 ({r * r})")
    k = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(k), k, k + 3, k + 1, k + 4, k + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W)."""
    r = _positive("pixel_unshuffle", "downscale_factor", downscale_factor)
    *lead, c, h, w = _image("pixel_unshuffle", input)
    if h % r or w % r:
        raise ShapeError(f"pixel_unshuffle: height ({h}) and width ({w}) must be divisible by {r}")
    k = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(k), k, k + 2, k + 4, k + 1, k + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """Interleave the channels of `groups` groups: (N, g * k, ...) seen as (N, g, k, ...) -> (N, k, g, ...)."""
    g = _positive("channel_shuffle", "groups", groups)
    if input.ndim < 3 or input.shape[1] % g:
        raise ShapeError(f"channel_shuffle: expected (N, C, ...) with C divisible by groups={g}, "
                         f"got shape {tuple(input.shape)}")
    n, c, *rest = input.shape
    return input.reshape(n, g, c // g, *rest).transpose(1, 2).reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


# --- patches --------------------------------------------------------------------------------------

def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding patches of an (N, C, H, W) input as columns: (N, C * kh * kw, L)."""
    op = "unfold"
    if not isinstance(input, Tensor) or input.ndim not in (3, 4):
        raise ShapeError(f"{op}: expected a 3-d or 4-d input, got {getattr(input, 'shape', type(input).__name__)}")
    batched = input.ndim == 4
    x = input if batched else input.unsqueeze(0)
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair(op, name, v) for name, v in
                                              (("kernel_size", kernel_size), ("dilation", dilation),
                                               ("padding", padding), ("stride", stride)))
    n, c, h, w = x.shape
    oh, ow = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if oh <= 0 or ow <= 0:
        raise ShapeError(f"{op}: kernel {kh}x{kw} (dilation {dh}x{dw}) is larger than the padded input "
                         f"{h + 2 * ph}x{w + 2 * pw}")
    xp = pad(x, (pw, pw, ph, ph)) if ph or pw else x
    patches = [xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw]
               for i in range(kh) for j in range(kw)]
    cols = stack(patches, 2).reshape(n, c * kh * kw, oh * ow)
    return cols if batched else cols.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns (N, C * kh * kw, L) back into an (N, C, H, W) image: the adjoint of `unfold`."""
    op = "fold"
    if not isinstance(input, Tensor) or input.ndim not in (2, 3):
        raise ShapeError(f"{op}: expected a 2-d or 3-d input, got {getattr(input, 'shape', type(input).__name__)}")
    batched = input.ndim == 3
    cols = input if batched else input.unsqueeze(0)
    (kh, kw), (h, w) = _pair(op, "kernel_size", kernel_size), _pair(op, "output_size", output_size)
    if cols.shape[1] % (kh * kw):
        raise ShapeError(f"{op}: dim 1 ({cols.shape[1]}) must be divisible by the kernel's {kh * kw} positions")
    c = cols.shape[1] // (kh * kw)
    with enable_grad():
        probe = zeros(cols.shape[0], c, h, w, dtype=cols.dtype, device=cols.device, requires_grad=True)
        image_cols = unfold(probe, kernel_size, dilation, padding, stride)
        if tuple(image_cols.shape) != tuple(cols.shape):
            raise ShapeError(f"{op}: input of shape {tuple(input.shape)} does not match output_size {(h, w)} with "
                             f"kernel {(kh, kw)}: unfold would give {tuple(image_cols.shape)}")
        image, = autograd_grad(image_cols, probe, grad_outputs=cols, create_graph=True)
    return image if batched else image.squeeze(0)


def _pair(op, name, v):
    pair = (v, v) if isinstance(v, numbers.Integral) else tuple(v) if isinstance(v, (tuple, list)) else None
    if pair is None or len(pair) != 2 or not all(isinstance(p, numbers.Integral) and not isinstance(p, bool)
                                                 for p in pair):
        raise ArgumentError(f"{op}: {name} must be an int or a pair of ints, got {v!r}")
    low = 0 if name == "padding" else 1
    if any(p < low for p in pair):
        raise ArgumentError(f"{op}: {name} must be >= {low}, got {v!r}")
    return tuple(int(p) for p in pair)


def _positive(op, name, v):
    if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < 1:
        raise ArgumentError(f"{op}: {name} must be a positive int, got {v!r}")
    return int(v)


def _image(op, input):
    if not isinstance(input, Tensor) or input.ndim < 3:
        raise ShapeError(f"{op}: expected an input of at least 3 dims (*, C, H, W), got "
                         f"{getattr(input, 'shape', type(input).__name__)}")
    return tuple(input.shape)
