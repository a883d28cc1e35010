"""A candidate measured by benchmarks/conv_algorithms.py, not used by ember's kernels (it measured
slower than im2col here: the transforms cost more than the GEMM FLOPs they save).

Winograd F(2x2, 3x3) kernels for 3x3 convolutions with stride 1 and no dilation: the forward
and both gradients with 16 multiplies per 2x2 output tile instead of 36 (2.25x fewer GEMM FLOPs
than im2col), on raw arrays (NumPy or CuPy, passed as `xp`).

The padded input is cut into overlapping 4x4 tiles (stride 2), one per 2x2 block of output. With
B^T, G and A^T the F(2, 3) matrices below, for one tile d, filter g and output y:

    y = A^T [(G g G^T) * (B^T d B)] A

The three convolution products are this bilinear map and its two adjoints, so they share the
transforms (each a small GEMM with the Kronecker product of two 4-point matrices):

    forward      M[e] = U[e] @ V[e]     U = G g G^T, V = B^T d B        y = A^T M A
    weight_grad  Z[e] = Gy[e] @ V[e]^T  Gy = A gy A^T (gy's 2x2 tile)   gw = G^T Z G, summed over tiles
    input_grad   Z[e] = U[e]^T @ Gy[e]                                  gx = B Z B^T, tiles added back

where e runs over the 16 transformed positions and each product is one batched GEMM over
channels and tiles. The results differ from im2col's only by rounding (the benchmark checks them
against ember's kernels in float64 before timing).

    >>> import numpy as np
    >>> x, w = np.ones((1, 1, 4, 4)), np.ones((1, 1, 3, 3))
    >>> forward(np, x, w, None, ((1, 1), (1, 1)), 1)[0, 0]
    array([[4., 6., 6., 4.],
           [6., 9., 9., 6.],
           [6., 9., 9., 6.],
           [4., 6., 6., 4.]])
"""
from collections import namedtuple

import numpy as np

_BT = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], np.float64)
_G = np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]], np.float64)
_AT = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], np.float64)
# 2-d transforms of row-major flattened tiles: vec(P X Q^T) = (P kron Q) vec(X)
_BB, _GG, _AA = np.kron(_BT, _BT), np.kron(_G, _G), np.kron(_AT, _AT)   # (16, 16), (16, 9), (4, 16)
_Geo = namedtuple("_Geo", "pads out groups")


def applies(geo, dtype):
    """True for 2-d 3x3 convolutions with stride 1, no dilation, in float32 or float64."""
    return (geo.nd == 2 and geo.kernel == (3, 3) and geo.stride == (1, 1) and geo.dilation == (1, 1)
            and str(dtype) in ("float32", "float64"))


def _tiles(geo):
    """Output size (OH, OW) and the number of 2x2 output tiles along each dim."""
    oh, ow = geo.out
    return oh, ow, -(-oh // 2), -(-ow // 2)


def _const(xp, m, dtype):
    return xp.asarray(m.astype(dtype))


def _input_transform(xp, x, geo):
    """V = B^T d B for every 4x4 tile of the padded x (N, C, H, W): (16, C, N*TH*TW)."""
    n, c, h, w = x.shape
    (t, _), (l, _) = geo.pads
    _, _, th, tw = _tiles(geo)
    buf = xp.zeros((n, c, 2 * th + 2, 2 * tw + 2), x.dtype)   # the padding, and zeros for an odd output
    buf[:, :, t:t + h, l:l + w] = x
    s = buf.strides
    tiles = xp.lib.stride_tricks.as_strided(buf, (4, 4, c, n, th, tw), (s[2], s[3], s[1], s[0], 2 * s[2], 2 * s[3]))
    d = xp.empty((4, 4, c, n, th, tw), x.dtype)
    d[...] = tiles
    return (_const(xp, _BB, x.dtype) @ d.reshape(16, -1)).reshape(16, c, -1)


def _filter_transform(xp, w, groups):
    """U = G g G^T for every (out, in) filter pair: (16, G, Og, Cg)."""
    o, cg = w.shape[:2]
    u = _const(xp, _GG, w.dtype) @ xp.ascontiguousarray(w.reshape(o * cg, 9).T)
    return u.reshape(16, groups, o // groups, cg)


def _grad_transform(xp, gy, geo):
    """Gy = A gy A^T for every 2x2 tile of the output gradient (N, O, OH, OW): (16, O, N*TH*TW)."""
    n, o = gy.shape[:2]
    oh, ow, th, tw = _tiles(geo)
    if (oh, ow) != (2 * th, 2 * tw):   # zeros past an odd output
        padded = xp.zeros((n, o, 2 * th, 2 * tw), gy.dtype)
        padded[:, :, :oh, :ow] = gy
        gy = padded
    tiles = xp.empty((2, 2, o, n, th, tw), gy.dtype)
    tiles[...] = gy.reshape(n, o, th, 2, tw, 2).transpose(3, 5, 1, 0, 2, 4)
    return (_const(xp, _AA.T, gy.dtype) @ tiles.reshape(4, -1)).reshape(16, o, -1)


def forward(xp, x, w, bias, pads, groups):
    """y = conv(x, w) + bias for (N, C, H, W) by (O, C/groups, 3, 3), stride 1, padding `pads`."""
    geo = _geo(x.shape, pads, groups)
    n, o = x.shape[0], w.shape[0]
    oh, ow, th, tw = _tiles(geo)
    v = _input_transform(xp, x, geo)
    m = xp.matmul(_filter_transform(xp, w, groups), v.reshape(16, groups, -1, v.shape[-1]))
    y = (_const(xp, _AA, x.dtype) @ m.reshape(16, -1)).reshape(2, 2, o, n, th, tw)
    out = xp.empty((n, o, oh, ow), x.dtype)
    out[...] = y.transpose(3, 2, 4, 0, 5, 1).reshape(n, o, 2 * th, 2 * tw)[:, :, :oh, :ow]
    if bias is not None:
        out += bias.reshape(-1, 1, 1)
    return out


def weight_grad(xp, x, gy, pads, groups):
    """The gradient of conv(x, w) in w, (O, C/groups, 3, 3), for output gradient gy."""
    geo = _geo(x.shape, pads, groups)
    o = gy.shape[1]
    v = _input_transform(xp, x, geo)
    v = v.reshape(16, groups, -1, v.shape[-1])
    gyt = _grad_transform(xp, gy, geo).reshape(16, groups, o // groups, -1)
    z = xp.matmul(gyt, v.transpose(0, 1, 3, 2))                      # (16, G, Og, Cg)
    gw = _const(xp, _GG.T, x.dtype) @ z.reshape(16, -1)              # (9, O*Cg)
    return xp.ascontiguousarray(gw.T).reshape(o, -1, 3, 3)


def input_grad(xp, gy, w, pads, groups, x_shape):
    """The gradient of conv(x, w) in x, of shape x_shape, for output gradient gy."""
    geo = _geo(x_shape, pads, groups)
    n, c, h, wd = x_shape
    (t, _), (l, _) = geo.pads
    _, _, th, tw = _tiles(geo)
    gyt = _grad_transform(xp, gy, geo).reshape(16, groups, w.shape[0] // groups, -1)
    z = xp.matmul(_filter_transform(xp, w, groups).transpose(0, 1, 3, 2), gyt)   # (16, G, Cg, P)
    tiles = (_const(xp, _BB.T, gy.dtype) @ z.reshape(16, -1)).reshape(4, 4, c, n, th, tw)
    buf = xp.zeros((c, n, 2 * th + 2, 2 * tw + 2), gy.dtype)
    for a in range(4):   # each tile added back where it was read (tiles overlap by 2)
        for b in range(4):
            buf[:, :, a:a + 2 * th:2, b:b + 2 * tw:2] += tiles[a, b]
    out = xp.empty(x_shape, gy.dtype)
    out[...] = buf[:, :, t:t + h, l:l + wd].transpose(1, 0, 2, 3)
    return out


def _geo(x_shape, pads, groups):
    (t, b), (l, r) = pads
    return _Geo(pads, (x_shape[2] + t + b - 2, x_shape[3] + l + r - 2), groups)
