"""Spatial transformers: `affine_grid` (sampling grids from affine matrices) and `grid_sample`
(sampling an image at grid points), as composites: values are gathered at the neighbouring pixels and
mixed with weights computed from the grid, so gradients reach both the image and the grid.

    >>> import ember.nn.functional as F
    >>> theta = ember.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    >>> img = ember.arange(16.0).reshape(1, 1, 4, 4)
    >>> bool((F.grid_sample(img, F.affine_grid(theta, (1, 1, 4, 4), align_corners=False),
    ...                     align_corners=False) - img).abs().max() < 1e-5)
    True
"""
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import binary, unary
from ember.ops.creation import arange
from ember.ops.join import stack

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = "affine_grid grid_sample"
PADDING_MODES = ("zeros", "border", "reflection")


def _base(n, align_corners, like):
    """Normalized pixel-centre coordinates of a dim of n pixels, in [-1, 1]."""
    steps = arange(n, dtype=like.dtype, device=like.device)
    if align_corners:
        return steps * (2.0 / (n - 1)) - 1 if n > 1 else steps * 0
    return (steps * 2 + 1) / n - 1


def affine_grid(theta, size, align_corners=None):
    """The (N, H, W, 2) sampling grid of the 2-d affine maps `theta` (N, 2, 3) for an output of `size`
    (N, C, H, W); each point is (x, y) in [-1, 1] image coordinates."""
    op = "affine_grid"
    align_corners = bool(align_corners)
    if not isinstance(theta, Tensor) or not theta.is_floating_point():
        raise DTypeError(f"{op}: theta must be a floating point tensor")
    size = tuple(int(s) for s in size)
    if len(size) != 4 or tuple(theta.shape) != (size[0], 2, 3):
        raise ShapeError(f"{op}: expected theta (N, 2, 3) and a 4-d size (N, C, H, W); got theta "
                         f"{tuple(theta.shape)} and size {size} (3-d grids are not supported)")
    n, _, h, w = size
    ys, xs = _base(h, align_corners, theta), _base(w, align_corners, theta)
    points = stack([xs.unsqueeze(0).expand(h, w), ys.unsqueeze(1).expand(h, w), xs.new_ones(h, w)], -1)
    return (points.reshape(1, h * w, 3) @ theta.transpose(1, 2)).reshape(n, h, w, 2)


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample (N, C, H, W) `input` at the (N, Ho, Wo, 2) `grid` of (x, y) points in [-1, 1]:
    'bilinear' or 'nearest'; points outside read zeros ('zeros'), the edge ('border') or the image
    reflected at its edges ('reflection')."""
    op = "grid_sample"
    align_corners = bool(align_corners)
    if mode not in ("bilinear", "nearest"):
        raise ArgumentError(f"{op}: mode must be 'bilinear' or 'nearest', got {mode!r} (bicubic is not supported)")
    if padding_mode not in PADDING_MODES:
        raise ArgumentError(f"{op}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor) or input.ndim != 4 or grid.ndim != 4 \
            or grid.shape[-1] != 2 or grid.shape[0] != input.shape[0]:
        raise ShapeError(f"{op}: expected input (N, C, H, W) and grid (N, Ho, Wo, 2), got "
                         f"{getattr(input, 'shape', None)} and {getattr(grid, 'shape', None)} (3-d is not supported)")
    if input.dtype is not grid.dtype:
        raise DTypeError(f"{op}: input and grid must have the same dtype, got {input.dtype} and {grid.dtype}")
    n, c, h, w = input.shape
    x = _source(grid[..., 0], w, align_corners, padding_mode)
    y = _source(grid[..., 1], h, align_corners, padding_mode)
    flat = input.reshape(n, c, h * w)
    if mode == "nearest":
        return _tap(flat, unary.round(x), unary.round(y), h, w).reshape(n, c, *grid.shape[1:3])
    x0, y0 = unary.floor(x), unary.floor(y)
    wx, wy = (x - x0).reshape(n, 1, -1), (y - y0).reshape(n, 1, -1)
    out = (_tap(flat, x0, y0, h, w) * ((1 - wx) * (1 - wy)) + _tap(flat, x0 + 1, y0, h, w) * (wx * (1 - wy))
           + _tap(flat, x0, y0 + 1, h, w) * ((1 - wx) * wy) + _tap(flat, x0 + 1, y0 + 1, h, w) * (wx * wy))
    return out.reshape(n, c, *grid.shape[1:3])


def _source(coord, n, align_corners, padding_mode):
    """Pixel coordinates of normalized `coord`, with border clipping or reflection applied."""
    pix = (coord + 1) / 2 * (n - 1) if align_corners else ((coord + 1) * n - 1) / 2
    if padding_mode == "border":
        return pix.clamp(0, n - 1)
    if padding_mode == "reflection":
        low, span = (0.0, n - 1) if align_corners else (-0.5, n)
        pix = _reflect(pix, low, span) if span > 0 else pix * 0
        return pix.clamp(0, n - 1)
    return pix


def _reflect(pix, low, span):
    t = unary.abs(pix - low)
    flips = unary.floor(t / span)
    extra = t - flips * span
    return binary.where(binary.remainder(flips, 2) == 0, extra + low, span - extra + low)


def _tap(flat, x, y, h, w):
    """Values of `flat` (N, C, H*W) at integer pixel coordinates x, y (N, Ho, Wo); zeros outside."""
    inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)
    index = (y.clamp(0, h - 1) * w + x.clamp(0, w - 1)).long().reshape(x.shape[0], 1, -1)
    values = flat.gather(2, index.expand(flat.shape[0], flat.shape[1], index.shape[2]))
    return values * inside.reshape(x.shape[0], 1, -1).to(flat.dtype)
