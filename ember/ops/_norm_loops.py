"""Normalization over the trailing axes (layer_norm's case) row by row (the `fast` extra: numba).

norm.py's NumPy code makes about six passes over the input forward (mean, centre, square, mean,
scale) and seven backward, each over the whole array; these loops make two or three passes over
one row at a time, while it is in cache. Row sums are allowed to reassociate (numba's `reassoc`
flag), so they vectorize as NumPy's pairwise sums do: results agree with the NumPy path to
rounding, not bit for bit (tests/ops/test_norm_loops.py); NaN and inf propagate as there.
Measured at (2048, 128) float32, one thread: backward 0.41 -> 0.05 ms, forward ~0.3 -> ~0.06 ms.

`affine` and `affine_backward` are layer_norm's elementwise scale and shift, y = x * w + b, and its
three gradients (g * w, and the column sums of g * x and of g) in one pass each, where NumPy makes
two passes forward and four backward (0.11 -> 0.03 ms and 0.24 -> 0.06 ms at (2048, 128) float32).
They add the rows in order, as NumPy's sum over a leading axis does: bit for bit the NumPy path.
`False` where they do not apply (no numba; not C-contiguous NumPy float32/float64; a
normalization over leading axes, as batch_norm's): norm.py runs its NumPy code.

    >>> import numpy as np
    >>> x = np.array([[1.0, 3.0]]); y, mean, var, inv = (np.empty_like(x), np.empty(1), np.empty(1), np.empty(1))
    >>> forward(x, 0.0, y, mean, var, inv), y.tolist()
    (True, [[-1.0, 1.0]])
"""
import numpy as np

from ember.backend.jit import Kernel


def _forward_loop(x, eps, y, mean, var, invstd):
    # per row: the mean, the biased variance of the centred values, y = (x - mean) / sqrt(var + eps)
    n = x.shape[1]
    one = x.dtype.type(1)
    for r in range(x.shape[0]):
        s = x.dtype.type(0)
        for j in range(n):
            s += x[r, j]
        m = s / n
        q = x.dtype.type(0)
        for j in range(n):
            c = x[r, j] - m
            y[r, j] = c
            q += c * c
        v = q / n
        iv = one / np.sqrt(v + eps)
        for j in range(n):
            y[r, j] *= iv
        mean[r], var[r], invstd[r] = m, v, iv


def _backward_loop(g, xhat, invstd, out):
    # per row: invstd * (g - mean(g) - xhat * mean(g * xhat))
    n = g.shape[1]
    for r in range(g.shape[0]):
        s1 = g.dtype.type(0)
        s2 = g.dtype.type(0)
        for j in range(n):
            s1 += g[r, j]
            s2 += g[r, j] * xhat[r, j]
        m1, m2, iv = s1 / n, s2 / n, invstd[r]
        for j in range(n):
            out[r, j] = (g[r, j] - m1 - xhat[r, j] * m2) * iv


def _affine_loop(x, w, b, y):
    # y = x * w + b, w and b along the rows
    for r in range(x.shape[0]):
        for j in range(x.shape[1]):
            y[r, j] = x[r, j] * w[j] + b[j]


def _affine_backward_loop(g, x, w, gx, gw, gb):
    # gx = g * w; gw, gb: the sums over the rows of g * x and of g, row after row
    n = g.shape[1]
    for j in range(n):
        gw[j] = 0
        gb[j] = 0
    for r in range(g.shape[0]):
        for j in range(n):
            gj = g[r, j]
            gx[r, j] = gj * w[j]
            gw[j] += gj * x[r, j]
            gb[j] += gj


_FORWARD = Kernel(_forward_loop, fastmath={"reassoc"})
_BACKWARD = Kernel(_backward_loop, fastmath={"reassoc"})
_AFFINE, _AFFINE_BACKWARD = Kernel(_affine_loop), Kernel(_affine_backward_loop)


def _fits(*arrays):
    dt = arrays[0].dtype
    return dt in (np.float32, np.float64) and \
        all(type(a) is np.ndarray and a.dtype == dt and a.flags.c_contiguous for a in arrays)


def forward(x, eps, y, mean, var, invstd):
    """Normalize the rows of the 2-d `x` into `y`, with each row's mean, variance and 1/sqrt(var + eps)
    into the 1-d `mean`, `var`, `invstd`; False (nothing done) where the kernel does not apply."""
    kernel = _FORWARD.get()
    if kernel is None or x.ndim != 2 or x.shape[1] == 0 or not _fits(x, y, mean, var, invstd):
        return False
    kernel(x, x.dtype.type(eps), y, mean, var, invstd)
    return True


def backward(g, xhat, invstd, out):
    """The input gradient of a row normalization into `out` from the output gradient `g`, the
    normalized rows `xhat` and the rows' `invstd` (1-d); False where the kernel does not apply."""
    kernel = _BACKWARD.get()
    if kernel is None or g.ndim != 2 or g.shape[1] == 0 or not _fits(g, xhat, invstd, out):
        return False
    kernel(g, xhat, invstd, out)
    return True


def affine(x, w, b, y):
    """y = x * w + b for the 2-d `x` and `y` and the 1-d `w`, `b` (one per column); False where the
    kernel does not apply."""
    kernel = _AFFINE.get()
    if kernel is None or x.ndim != 2 or not _fits(x, w, b, y):
        return False
    kernel(x, w, b, y)
    return True


def affine_backward(g, x, w, gx, gw, gb):
    """The gradients of y = x * w + b (2-d x, 1-d w and b) for the output gradient `g`: gx = g * w,
    gw and gb the column sums of g * x and of g; False where the kernel does not apply."""
    kernel = _AFFINE_BACKWARD.get()
    if kernel is None or g.ndim != 2 or not _fits(g, x, w, gx, gw, gb):
        return False
    kernel(g, x, w, gx, gw, gb)
    return True
