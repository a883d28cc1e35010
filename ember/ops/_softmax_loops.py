"""The attention primitive's softmax, forward and backward, in numba kernels (the `fast` extra).

attention.py keeps the weights w transposed, (batch, S, L), so the softmax runs down the
columns. Forward, NumPy's column max, shift, sum and divide are four passes (and the max over a
short axis is slow); here they are two kernels of two passes each around NumPy's exp (its SIMD
exp beats a scalar one). Backward, ds = (dw - sum_j(dw * w)) * w * scale is four passes and a
temporary in NumPy, two passes here. Column maxima and sums are taken row after row as NumPy's
reductions over axis -2 are, so both paths agree bit for bit (tests/ops/test_softmax_loops.py).
Measured at (128, 64, 64) float32, one thread: backward ~0.66 -> ~0.2 ms. `False` where they
do not apply (no numba, not C-contiguous NumPy float32/float64): attention.py runs NumPy.

    >>> import numpy as np
    >>> ds, w = np.ones((1, 2, 1)), np.full((1, 2, 1), 0.5)
    >>> softmax_backward_columns(ds, w, 1.0), ds.ravel().tolist()
    (True, [0.0, 0.0])
"""
import numpy as np

from ember.backend.jit import Kernel


def _softmax_backward_loop(ds, w, scale, acc):
    S, L = ds.shape[1], ds.shape[2]
    for b in range(ds.shape[0]):
        for i in range(L):
            acc[i] = 0
        for j in range(S):
            for i in range(L):
                acc[i] += ds[b, j, i] * w[b, j, i]
        for j in range(S):
            for i in range(L):
                ds[b, j, i] = (ds[b, j, i] - acc[i]) * w[b, j, i] * scale


def _shift_loop(s, top, masked):
    # s -= its column maxima (NaN spreads, as np.max); with `masked`, a column of -inf keeps 0
    S, L = s.shape[1], s.shape[2]
    for b in range(s.shape[0]):
        for i in range(L):
            top[i] = s[b, 0, i]
        for j in range(1, S):
            for i in range(L):
                x = s[b, j, i]
                if x > top[i] or x != x:
                    top[i] = x
        if masked:
            for i in range(L):
                if top[i] == -np.inf:
                    top[i] = 0
        for j in range(S):
            for i in range(L):
                s[b, j, i] -= top[i]


def _scale_loop(s, total, masked):
    # s /= its column sums; with `masked`, a column summing to 0 (nothing to attend) divides by 1
    S, L = s.shape[1], s.shape[2]
    for b in range(s.shape[0]):
        for i in range(L):
            total[i] = s[b, 0, i]
        for j in range(1, S):
            for i in range(L):
                total[i] += s[b, j, i]
        if masked:
            for i in range(L):
                if total[i] == 0:
                    total[i] = 1
        for j in range(S):
            for i in range(L):
                s[b, j, i] /= total[i]


_BACKWARD, _SHIFT, _SCALE = Kernel(_softmax_backward_loop), Kernel(_shift_loop), Kernel(_scale_loop)


def _batched(*arrays):
    """The arrays as (batch, S, L) views when they are C-contiguous NumPy float32/float64 of one
    shape and dtype and S > 0, else None."""
    first = arrays[0]
    dt = first.dtype
    if dt not in (np.float32, np.float64) or first.ndim < 2 or first.shape[-2] == 0 or \
            not all(type(a) is np.ndarray and a.dtype == dt and a.shape == first.shape and a.flags.c_contiguous
                    for a in arrays):
        return None
    flat = (int(np.prod(first.shape[:-2])),) + first.shape[-2:]
    return [a.reshape(flat) for a in arrays]


def softmax_columns(s, masked):
    """In place, the softmax of (..., S, L) `s` down its columns (axis -2): shift by the column
    maximum, exp, divide by the column sum, as attention.py's NumPy code (bit for bit); False
    (nothing done) where the kernels do not apply."""
    shift, scale = _SHIFT.get(), _SCALE.get()
    views = _batched(s)
    if shift is None or scale is None or views is None:
        return False
    buf = np.empty(s.shape[-1], s.dtype)
    shift(views[0], buf, masked)
    np.exp(s, out=s)
    scale(views[0], buf, masked)
    return True


def softmax_backward_columns(ds, w, scale):
    """In place, `ds = (ds - (ds * w).sum(-2)) * w * scale` for (..., S, L) arrays; False (nothing
    done) where the kernel does not apply (no numba, not C-contiguous NumPy float32/float64)."""
    kernel = _BACKWARD.get()
    views = _batched(ds, w)
    if kernel is None or views is None:
        return False
    kernel(*views, ds.dtype.type(scale), np.zeros(ds.shape[-1], ds.dtype))
    return True
