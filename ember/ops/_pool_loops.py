"""Max pooling as one pass over the input (the `fast` extra: numba; ember/backend/jit.py).

The NumPy code of ember/ops/pool.py makes KH*KW strided passes for the maximum and as many
again, with temporaries, for the winning offset; these loops read each window once and write
the maximum and its offset together, and the backward adds each gradient at its window's
winning offset (no zero-filled comparisons per offset). Same results: the first maximum wins,
NaN wins over numbers (the first NaN). `None` where the kernels do not apply (no numba, not a
NumPy float32/float64 array): pool.py runs its NumPy code. Channels-last arrays (compiled replays,
ember/ops/_layout.py) get loops with the channel loop innermost, and over windows that tile the input
the gradient writes each element once instead of adding into zeros (tests/ops/test_conv_layout.py).
"""
import numpy as np

from ember.backend.jit import Kernel
from ember.backend import threads
from ember.ops import _layout


def _max_loop(x, y, best, sh, sw, dh, dw, kh, kw):
    # `v > m` alone keeps the first maximum and runs 7x faster than with the NaN test in the
    # loop; the window's sum is NaN whenever it holds a NaN, and then the exact rule reruns.
    n_, c_, oh, ow = y.shape
    for n in range(n_):
        for c in range(c_):
            for i in range(oh):
                for j in range(ow):
                    r, q = i * sh, j * sw
                    m, t, total = x[n, c, r, q], 0, 0.0
                    for a in range(kh):
                        for b in range(kw):
                            v = x[n, c, r + a * dh, q + b * dw]
                            total += v
                            if v > m:
                                m, t = v, a * kw + b
                    if total != total:  # holds a NaN (or both infinities): the exact rule, first NaN wins
                        m, t = x[n, c, r, q], 0
                        for a in range(kh):
                            for b in range(kw):
                                v = x[n, c, r + a * dh, q + b * dw]
                                if v > m or (v != v and m == m):
                                    m, t = v, a * kw + b
                    y[n, c, i, j] = m
                    best[n, c, i, j] = t


def _max2x2_loop(x, y, best, sh, sw):
    # the common 2x2 window written out (LLVM does not unroll the tiny window loops above)
    n_, c_, oh, ow = y.shape
    for n in range(n_):
        for c in range(c_):
            for i in range(oh):
                for j in range(ow):
                    r, q = i * sh, j * sw
                    v0, v1, v2, v3 = x[n, c, r, q], x[n, c, r, q + 1], x[n, c, r + 1, q], x[n, c, r + 1, q + 1]
                    m, t = v0, 0
                    if v1 > m:
                        m, t = v1, 1
                    if v2 > m:
                        m, t = v2, 2
                    if v3 > m:
                        m, t = v3, 3
                    total = v0 + v1 + v2 + v3
                    if total != total:  # as in _max_loop
                        m, t = v0, 0
                        for k, v in enumerate((v1, v2, v3)):
                            if v > m or (v != v and m == m):
                                m, t = v, k + 1
                    y[n, c, i, j] = m
                    best[n, c, i, j] = t


def _spread_loop(g, best, out, sh, sw, dh, dw, kw):
    n_, c_, oh, ow = g.shape
    for n in range(n_):
        for c in range(c_):
            for i in range(oh):
                for j in range(ow):
                    t = best[n, c, i, j]
                    out[n, c, i * sh + (t // kw) * dh, j * sw + (t % kw) * dw] += g[n, c, i, j]


def _max2x2_cl_loop(x, y, best, sh, sw):
    # _max2x2_loop on channels-last (N, H, W, C) arrays: the channel loop innermost reads memory in order
    n_, oh, ow, c_ = y.shape
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                r, q = i * sh, j * sw
                for c in range(c_):
                    v0, v1, v2, v3 = x[n, r, q, c], x[n, r, q + 1, c], x[n, r + 1, q, c], x[n, r + 1, q + 1, c]
                    m, t = v0, 0
                    if v1 > m:
                        m, t = v1, 1
                    if v2 > m:
                        m, t = v2, 2
                    if v3 > m:
                        m, t = v3, 3
                    total = v0 + v1 + v2 + v3
                    if total != total:  # as in _max_loop
                        m, t = v0, 0
                        for k, v in enumerate((v1, v2, v3)):
                            if v > m or (v != v and m == m):
                                m, t = v, k + 1
                    y[n, i, j, c] = m
                    best[n, i, j, c] = t


def _spread_cl_loop(g, best, out, sh, sw, dh, dw, kw):
    # _spread_loop on channels-last (N, OH, OW, C) / (N, H, W, C) arrays
    n_, oh, ow, c_ = g.shape
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                for c in range(c_):
                    t = best[n, i, j, c]
                    out[n, i * sh + (t // kw) * dh, j * sw + (t % kw) * dw, c] += g[n, i, j, c]


def _tile_spread_cl_loop(g, best, y, out, kh, kw, masked):
    # windows that tile the input (stride == kernel, no padding or dilation), channels-last: every
    # element of `out` is written once, the gradient where its offset won and 0 elsewhere, with the
    # channel loop innermost (no scatter, no zero-filled buffer); rows/columns past the last window get 0.
    # `masked`: 0 where y <= 0, the gradient of the ReLU whose output y the pool read, as its ReluGrad
    # computes it; y is not read otherwise
    n_, oh, ow, c_ = g.shape
    h, w = out.shape[1], out.shape[2]
    for n in range(n_):
        for i in range(oh):
            for a in range(kh):
                r = i * kh + a
                for j in range(ow):
                    for b in range(kw):
                        t, q = a * kw + b, j * kw + b
                        for c in range(c_):
                            s = g[n, i, j, c] if best[n, i, j, c] == t else 0.0
                            out[n, r, q, c] = 0.0 if masked and y[n, r, q, c] <= 0 else s
                for q in range(ow * kw, w):
                    for c in range(c_):
                        out[n, r, q, c] = 0.0
        for r in range(oh * kh, h):
            for q in range(w):
                for c in range(c_):
                    out[n, r, q, c] = 0.0


_MAX, _MAX2X2, _SPREAD = Kernel(_max_loop), Kernel(_max2x2_loop), Kernel(_spread_loop)
_MAX2X2_CL, _SPREAD_CL, _TILE_SPREAD_CL = Kernel(_max2x2_cl_loop), Kernel(_spread_cl_loop), Kernel(_tile_spread_cl_loop)


def _usable(*arrays):
    return all(type(a) is np.ndarray for a in arrays) and arrays[0].dtype in (np.float32, np.float64)


def max_pool(x, geo, index_dtype):
    """(maximum, winning offset) of each window of the padded `x` (N, C, *extent), or None.
    A channels-last `x` gives channels-last results (see ember/ops/_layout.py)."""
    small = geo.kernel == (2, 2) and geo.dilation == (1, 1)
    if small and _layout.is_channels_last(x):
        kernel = _MAX2X2_CL.get()
        if kernel is None or not _usable(x):
            return None
        xl = x.transpose(0, 2, 3, 1)
        shape = (x.shape[0],) + tuple(geo.out) + (x.shape[1],)
        y, best = np.empty(shape, x.dtype), np.empty(shape, index_dtype)
        _images(lambda a, b: kernel(xl[a:b], y[a:b], best[a:b], *geo.stride), x)
        return y.transpose(0, 3, 1, 2), best.transpose(0, 3, 1, 2)
    kernel = (_MAX2X2 if small else _MAX).get()
    if kernel is None or not _usable(x):
        return None
    shape = x.shape[:2] + tuple(geo.out)
    y, best = np.empty(shape, x.dtype), np.empty(shape, index_dtype)
    if small:
        _images(lambda a, b: kernel(x[a:b], y[a:b], best[a:b], *geo.stride), x)
    else:
        _images(lambda a, b: kernel(x[a:b], y[a:b], best[a:b], *geo.stride, *geo.dilation, *geo.kernel), x)
    return y, best


def spread(g, best, geo, mask=None):
    """(each window's gradient added at its winning offset on a zero (N, C, *extent) array, whether
    it is 0 where `mask <= 0` already), or None. A channels-last `best` gives a channels-last
    result; a `mask` is applied here only in the tiling channels-last loop (one pass, no bool array)."""
    if _layout.is_channels_last(best):
        tiles = (geo.stride == geo.kernel and geo.pad == (0, 0) and geo.dilation == (1, 1)
                 and geo.extent == geo.size)
        fused = tiles and mask is not None and _layout.is_channels_last(mask) and mask.dtype == g.dtype
        kernel = (_TILE_SPREAD_CL if tiles else _SPREAD_CL).get()
        if kernel is None or not _usable(g, best):
            return None
        shape = (g.shape[0],) + tuple(geo.extent) + (g.shape[1],)
        gl, bl = np.ascontiguousarray(g.transpose(0, 2, 3, 1)), best.transpose(0, 2, 3, 1)
        if tiles:  # measured 0.1x the scatter below (each element written once, channels innermost)
            out = np.empty(shape, g.dtype)
            # fused: the ReLU's gradient too (no bool mask, no float copy of it, no second pass)
            ml = mask.transpose(0, 2, 3, 1) if fused else out
            _images(lambda a, b: kernel(gl[a:b], bl[a:b], ml[a:b], out[a:b], *geo.kernel, fused), out)
        else:
            out = np.zeros(shape, g.dtype)
            _images(lambda a, b: kernel(gl[a:b], bl[a:b], out[a:b], *geo.stride, *geo.dilation, geo.kernel[1]), out)
        return out.transpose(0, 3, 1, 2), fused
    kernel = _SPREAD.get()
    if kernel is None or not _usable(g, best):
        return None
    out = np.zeros(g.shape[:2] + tuple(geo.extent), g.dtype)
    _images(lambda a, b: kernel(g[a:b], best[a:b], out[a:b], *geo.stride, *geo.dilation, geo.kernel[1]), out)
    return out, False


def _images(run, big):
    """run(a, b) over images a..b of the batch, split between ember's threads where each part has
    enough work (`big`: the largest array the loop touches)."""
    threads.parallel(run, big.shape[0], threads.part_size(big[0].size if big.shape[0] else 1))
