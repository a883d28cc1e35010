"""Winograd F(2x2, 3x3) convolution kernels, channels-last: 16 multiplies per 2x2 output tile where
im2col does 36, for 3x3 convolutions with stride 1, no dilation and one group.

Each 4x4 tile of the (implicitly padded) input and each 2x2 tile of the output gradient is transformed
by a numba loop (ember/ops/_winograd_loops.py), the 3x3 filters by one small GEMM, and the products
become 16 batched GEMMs over (tiles, channels) (the math: benchmarks/_winograd.py):

    forward      M[e] = V[e] @ U[e]        V (16, T, C), U (16, C, O)   y = A^T M A   (+ bias, ReLU)
    input_grad   Z[e] = Gy[e] @ U[e]^T     Gy (16, T, O)                gx = sum of B Z B^T over tiles
    weight_grad  Z[e] = V[e]^T @ Gy[e]     (16, C, O)                   gw = G^T Z G

Same contracts as ember/ops/_im2col_cl.py (results through `_layout.result`). A call whose input,
weight or output gradient holds inf or NaN, or whose result does (finite values near the dtype's
maximum overflow in the transforms where a direct convolution stays finite), returns None: the
transforms mix a tile's values, so inf - inf gives NaN where a direct convolution gives inf; the caller
(ember/ops/_im2col.py) then runs the im2col kernels, and results with non-finite values are those of
im2col.

It runs (`applies`) where `python benchmarks/conv_algorithms.py` measured it faster than the
channels-last im2col kernels: from 16 input and output channels and enough tiles (the table is at
MIN_CHANNELS). One thread, the cnn's conv2 (64 images 14x14, 32 -> 64): forward 0.75x their time,
weight gradient 0.55x, input gradient 0.54x; two threads 0.77x, 0.88x, 0.92x.

    >>> import numpy as np
    >>> from ember.ops import _im2col as K
    >>> x, w = np.ones((1, 2, 4, 4)), np.ones((3, 2, 3, 3))
    >>> geo = K.geometry("conv2d", x.shape, w.shape, (1, 1), ((1, 1), (1, 1)), (1, 1), 1, 2)
    >>> forward(np, x, w, None, geo)[0, 0]
    array([[ 8., 12., 12.,  8.],
           [12., 18., 18., 12.],
           [12., 18., 18., 12.],
           [ 8., 12., 12.,  8.]])
"""
import numpy as np

from ember.autograd.checks import check_size
from ember.backend import jit, threads
from ember.ops import _layout
from ember.ops._im2col_cl import batch_chunks
from ember.ops import _winograd_loops as L

_G = np.array([[1, 0, 0], [.5, .5, .5], [.5, -.5, .5], [0, 0, 1]])
_GG = {np.dtype(t): np.kron(_G, _G).astype(t) for t in ("f4", "f8")}   # (16, 9): vec(G g G^T)

# Where Winograd measured faster than the channels-last im2col kernels (`python
# benchmarks/conv_algorithms.py`, float32, ms, one BLAS thread / two; ratio ember-wg / ember-cl):
#   cnn conv2 32->64 14x14 b64   forward 4.13/5.50 (0.75), 3.05/3.98 (0.77); weight grad 0.55, 0.88;
#                                input grad 0.54, 0.92 (pad 0: 0.72/0.54/0.52, 0.75/0.78/0.99)
#   digits conv2 32->32 8x8 b32  0.79/0.59/0.59 at one thread, 1.06/1.21/0.94 at two
#   32->64 14x14 b4              0.86/0.65/0.62, 1.39/1.02/0.94; b1: 1.14/0.91/0.79, 1.39/1.34/0.98
#   16->16 14x14 b64             0.97/0.64/0.63, 0.92/0.83/0.98
#   8->32 14x14 b64 1.26/0.79/0.94, 1.39/1.04/1.39; 8->8 8x8 b32 and 1 or 4 input channels: all slower
# so it runs with at least MIN_CHANNELS input and output channels and a GEMM of at least MIN_WORK_*
# multiply-adds per transformed position (tiles * C * O): the transforms run on one thread, so
# with more BLAS threads the GEMMs they save are worth less and the bar is higher.
MIN_CHANNELS = 16
MIN_WORK_ONE, MIN_WORK_MANY = 2 ** 18, 2 ** 20   # one BLAS thread, more
# With a one-thread BLAS the batch is worked a few images at a time, the larger transform buffer
# about this size, so the GEMMs' operands and results are in cache for the transform loops.
CHUNK_BYTES = 2 ** 20


def applies(geo, n, c, o, *arrays):
    """True when these kernels should run (see MIN_CHANNELS): a 2-d 3x3 convolution, stride 1,
    dilation 1, one group, of `n` images, `c` input and `o` output channels, on float32/float64 NumPy
    arrays of one dtype, with numba."""
    if not (geo.nd == 2 and geo.kernel == (3, 3) and geo.stride == (1, 1) and geo.dilation == (1, 1)
            and geo.groups == 1 and min(c, o) >= MIN_CHANNELS):
        return False
    th, tw = _tiles(geo)
    work = n * th * tw * c * o
    dtype = arrays[0].dtype
    if work < min(MIN_WORK_ONE, MIN_WORK_MANY) or not (
            dtype.char in "fd" and all(type(a) is np.ndarray and a.dtype == dtype for a in arrays)
            and jit.available()):
        return False   # (asking threadpoolctl for the thread count costs ~2.5 us: only when it decides)
    if work >= max(MIN_WORK_ONE, MIN_WORK_MANY):
        return True
    return work >= (MIN_WORK_ONE if threads.get_num_threads() == 1 else MIN_WORK_MANY)


def _tiles(geo):
    return -(-geo.out[0] // 2), -(-geo.out[1] // 2)


def _buffer(tiles, c, dtype):
    """An uninitialized (16, P, c) buffer, P >= tiles rows per position: a loop writes (or reads) the
    16 positions of a tile at once, and 16 streams a multiple of 4 KiB apart evict each other from
    the cache (one row more turned the cnn's conv2 gradient transform from 9.5 into 1.0 ms), so rows
    are added until the 16 streams start in 16 different cache sets (64-byte lines, 64 sets)."""
    row, p = c * np.dtype(dtype).itemsize, tiles
    while len({(e * p * row // 64) % 64 for e in range(16)}) < 16 and p < tiles + 64:
        p += 1
    check_size("conv", (16, p, c), np.dtype(dtype).itemsize, "winograd buffer")
    return np.empty((16, p, c), dtype)


def _filters(w):
    """U = G g G^T for every (out, in) pair: (16, O, C), or None when w holds inf or NaN."""
    o, c = w.shape[:2]
    with np.errstate(invalid="ignore"):   # inf - inf: reported by returning None
        u = (_GG[w.dtype] @ np.ascontiguousarray(w.reshape(o * c, 9).T)).reshape(16, o, c)
    return u if np.isfinite(u).all() else None


def _chunks(n, geo, width, itemsize):
    """`_im2col_cl.batch_chunks` for (16, tiles, width) transform buffers of about CHUNK_BYTES (with a
    one-thread BLAS the GEMMs' results are still in cache for the output loop)."""
    th, tw = _tiles(geo)
    return batch_chunks(np, n, 16 * th * tw * width * itemsize, CHUNK_BYTES)


class _Transforms:
    """The tile transforms of images n0..n1 into buffers sized for the largest chunk, reused."""

    def __init__(self, geo, chunk, dtype):
        self.geo, self.th, self.tw, self.chunk, self.dtype = geo, *_tiles(geo), chunk, dtype
        self.zero = np.dtype(dtype).type(0)

    def tiles(self, n0, n1):
        return (n1 - n0) * self.th * self.tw

    def input(self, xl, n0, n1, v):
        """V (16, T, C) of images n0..n1 of the channels-last input into v; False on inf or NaN."""
        c = xl.shape[3]
        chk = np.zeros(c, self.dtype)
        d = np.empty((2 * self.th + 2, 2 * self.tw + 2, c), self.dtype)
        L.INPUT.get()(xl[n0:n1], v, d, chk, self.geo.pads[0][0], self.geo.pads[1][0], self.zero)
        return bool(np.isfinite(chk).all())

    def grad(self, gyl, n0, n1, g):
        """Gy (16, T, O) of images n0..n1 of the channels-last output gradient into g; False on inf or NaN."""
        o = gyl.shape[3]
        chk = np.zeros(o, self.dtype)
        L.GRAD.get()(gyl[n0:n1], g, np.empty((2 * self.th, 2 * self.tw, o), self.dtype), chk, self.zero)
        return bool(np.isfinite(chk).all())


def _setup(lo, hi, dtype, geo, widths):
    """(chunks of images lo..hi, _Transforms, one buffer per width) for one part of a call."""
    chunks = [(lo + n0, lo + n1) for n0, n1 in _chunks(hi - lo, geo, max(widths), dtype.itemsize)]
    tr = _Transforms(geo, chunks[0][1] - chunks[0][0] if chunks else 0, dtype)
    return chunks, tr, [_buffer(tr.tiles(0, tr.chunk), wd, dtype) for wd in widths]


def forward(xp, x, w, bias, geo, relu=False):
    """y = conv(x, w) + bias (then max(y, 0) with `relu`) as (N, O, OH, OW), or None (non-finite).
    The images are split between ember's threads (`threads.parallel`), each with its own buffers."""
    n, c, o = x.shape[0], x.shape[1], w.shape[0]
    u = _filters(w)
    if u is None:
        return None
    xl, ut = _layout.nhwc(np, x), u.transpose(0, 2, 1)
    y = np.empty((n,) + tuple(geo.out) + (o,), x.dtype)
    add_bias, b = bias is not None, y.reshape(-1)[:0] if bias is None else bias

    def part(lo, hi):
        chunks, tr, (v, m) = _setup(lo, hi, x.dtype, geo, (c, o))
        d, chk = np.empty((8, o), x.dtype), np.zeros(o, x.dtype)
        for n0, n1 in chunks:
            if not tr.input(xl, n0, n1, v):
                return False
            k = tr.tiles(n0, n1)
            np.matmul(v[:, :k], ut, out=m[:, :k])
            L.OUTPUT.get()(m, y[n0:n1], d, b, add_bias, relu, tr.th, tr.tw, chk, tr.zero)
        return bool(np.isfinite(chk).all())
    return _layout.result(np, y) if all(threads.parallel(part, n)) else None


def weight_grad(xp, x, gy, geo, w_shape):
    """The gradient in w (C-contiguous, w_shape) for output gradient gy, or None (non-finite); each
    of ember's threads sums its own images' products, and the parts are added in order."""
    o, c = w_shape[:2]
    xl, gyl = _layout.nhwc(np, x), _layout.nhwc(np, gy)

    def part(lo, hi):
        chunks, tr, (v, g) = _setup(lo, hi, x.dtype, geo, (c, o))
        z = np.zeros((16, c, o), x.dtype)
        for n0, n1 in chunks:
            if not (tr.input(xl, n0, n1, v) and tr.grad(gyl, n0, n1, g)):
                return None
            k = tr.tiles(n0, n1)
            z += np.matmul(v[:, :k].transpose(0, 2, 1), g[:, :k])  # (16, C, O)
        return z
    parts = threads.parallel(part, x.shape[0])
    if any(z is None for z in parts):
        return None
    z = parts[0]
    for more in parts[1:]:
        z += more
    gw = _GG[x.dtype].T @ z.reshape(16, c * o)                        # (9, C*O)
    if not np.isfinite(gw).all():
        return None
    return np.ascontiguousarray(gw.reshape(3, 3, c, o).transpose(3, 2, 0, 1))


def input_grad(xp, gy, w, geo, x_shape):
    """The gradient in x (x_shape) for output gradient gy, or None (non-finite); images split
    between ember's threads."""
    n, c, h, wd = x_shape
    o = w.shape[0]
    u = _filters(w)
    if u is None:
        return None
    gyl = _layout.nhwc(np, gy)
    gx = np.empty((n, h, wd, c), gy.dtype)

    def part(lo, hi):
        chunks, tr, (g, z) = _setup(lo, hi, gy.dtype, geo, (o, c))
        d, buf = np.empty((16, c), gy.dtype), np.empty((2 * tr.th + 2, 2 * tr.tw + 2, c), gy.dtype)
        chk = np.zeros(c, gy.dtype)
        for n0, n1 in chunks:
            if not tr.grad(gyl, n0, n1, g):
                return False
            k = tr.tiles(n0, n1)
            np.matmul(g[:, :k], u, out=z[:, :k])                          # (16, T, C)
            L.ADJOINT.get()(z, gx[n0:n1], d, buf, geo.pads[0][0], geo.pads[1][0], chk, tr.zero)
        return bool(np.isfinite(chk).all())
    return _layout.result(np, gx) if all(threads.parallel(part, n)) else None
