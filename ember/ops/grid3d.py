"""Sampling a volume at grid points: the 3-d form of `grid_sample` (trilinear or nearest), as a composite
of ember ops, so gradients reach both the volume and the grid (PyTorch's `grid_sampler_3d`).

    >>> import ember
    >>> vol = ember.arange(8.0).reshape(1, 1, 2, 2, 2)
    >>> centre = ember.zeros(1, 1, 1, 1, 3)                     # (x, y, z) = the middle of the volume
    >>> float(grid_sample_3d(vol, centre, align_corners=True))
    3.5
"""
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import unary
from ember.ops.grid import PADDING_MODES, _source

__all__ = []
METHODS = ""
INPLACE = ""


def _check(op, input, grid, mode, padding_mode):
    if mode not in ("bilinear", "nearest"):
        raise ArgumentError(f"{op}: mode must be 'bilinear' (trilinear) or 'nearest', got {mode!r}")
    if padding_mode not in PADDING_MODES:
        raise ArgumentError(f"{op}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
    if not isinstance(input, Tensor) or not isinstance(grid, Tensor) or input.ndim != 5 or grid.ndim != 5 \
            or grid.shape[-1] != 3 or grid.shape[0] != input.shape[0]:
        raise ShapeError(f"{op}: expected input (N, C, D, H, W) and grid (N, Do, Ho, Wo, 3), got "
                         f"{getattr(input, 'shape', None)} and {getattr(grid, 'shape', None)}")
    if not input.is_floating_point() or input.dtype is not grid.dtype:
        raise DTypeError(f"{op}: input and grid must be floating point of one dtype, got {input.dtype} and "
                         f"{grid.dtype}")


def grid_sample_3d(input, grid, mode="bilinear", padding_mode="zeros", align_corners=False):
    """Sample (N, C, D, H, W) `input` at the (N, Do, Ho, Wo, 3) `grid` of (x, y, z) points in [-1, 1]."""
    op = "grid_sampler_3d"
    _check(op, input, grid, mode, padding_mode)
    align_corners = bool(align_corners)
    n, c, d, h, w = input.shape
    x = _source(grid[..., 0], w, align_corners, padding_mode)
    y = _source(grid[..., 1], h, align_corners, padding_mode)
    z = _source(grid[..., 2], d, align_corners, padding_mode)
    flat = input.reshape(n, c, d * h * w)
    out_shape = (n, c) + tuple(grid.shape[1:4])
    if mode == "nearest":
        return _tap(flat, unary.round(x), unary.round(y), unary.round(z), (d, h, w)).reshape(out_shape)
    x0, y0, z0 = unary.floor(x), unary.floor(y), unary.floor(z)
    wx, wy, wz = ((v - v0).reshape(n, 1, -1) for v, v0 in ((x, x0), (y, y0), (z, z0)))
    out = 0
    for dx, fx in ((0, 1 - wx), (1, wx)):
        for dy, fy in ((0, 1 - wy), (1, wy)):
            for dz, fz in ((0, 1 - wz), (1, wz)):
                out = out + _tap(flat, x0 + dx, y0 + dy, z0 + dz, (d, h, w)) * (fx * fy * fz)
    return out.reshape(out_shape)


def _tap(flat, x, y, z, size):
    """Values of `flat` (N, C, D*H*W) at integer voxel coordinates; zeros outside the volume."""
    d, h, w = size
    inside = (x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1) & (z >= 0) & (z <= d - 1)
    index = ((z.clamp(0, d - 1) * h + y.clamp(0, h - 1)) * w + x.clamp(0, w - 1)).long().reshape(x.shape[0], 1, -1)
    values = flat.gather(2, index.expand(flat.shape[0], flat.shape[1], index.shape[2]))
    return values * inside.reshape(x.shape[0], 1, -1).to(flat.dtype)
