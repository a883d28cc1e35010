"""Channels-last convolution kernels: im2col over an (N, H, W, C) array (see ember/ops/_layout.py).

The windows are copied into columns (N*OH*OW, KH*KW*C) whose rows are runs of C contiguous
values (with numba and 4+ channels by one loop over the unpadded input, zeros for the padding), then
    forward      y  = cols @ W     W laid out (KH*KW*C, O); y is (N, OH, OW, O), channels-last,
                                   bias and a fused ReLU added in one numba pass
    weight_grad  gw = cols^T @ gy  gy as (N*OH*OW, O)
    input_grad   d  = gy @ W^T, then col2im: with numba one pass over d into the unpadded gradient,
                 else KH*KW strided adds into a padded buffer (same sums, other order)
each over a chunk of the batch at a time (CHUNK_BYTES of columns) when the BLAS runs one thread, so
the columns are still in cache when the GEMM reads them. With consecutive conv/pool layers
channels-last, no layout transposes run between them; against the channels-first kernels of
ember/ops/_im2col.py (same GEMM FLOPs) this measured 0.6-0.75x on the cnn workload's 32->64 layer and
0.4-0.6x on its 1->32 layer, forward and both gradients (`python benchmarks/conv_algorithms.py`,
one thread, the ember-cl row).
Used for 2-d convolutions with one group of NumPy arrays (eager ones copy their input to channels-last
and their result back; an eager forward or input gradient of fewer than 8 input channels runs the
channels-first kernel, `eager_applies`), and on other devices inside a compiled replay or on a
channels-last input.

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
from ember.backend import threads
from ember.backend.jit import Kernel
from ember.ops import _layout
from ember.ops._epilogue import bias_relu

# With a one-thread BLAS, columns are built and multiplied a few images at a time, about this many
# bytes at once: they are still in cache when the GEMM reads them, and a 14 MB column buffer is never
# allocated (the cnn workload's 32->64 layer at one thread, one chunk -> 2 MB chunks: forward 7.1 ->
# 5.2 ms, weight gradient 8.2 -> 5.5 ms; 1, 4 and 8 MB measured no better; see `_chunks` for more threads).
CHUNK_BYTES = 2 ** 21


def _columns_loop(xl, out, n0, t, l, sh, sw, dh, dw):
    # the windows of images n0.. of the unpadded xl (N, H, W, C) into out (k, OH, OW, KH, KW, C),
    # zeros where a window reads the padding: no padded copy of the input (0.85x the NumPy copy's
    # time at the cnn workload's 32->64 layer, 0.65x at batch 1)
    k_, oh, ow, kh, kw, c_ = out.shape
    h, w = xl.shape[1], xl.shape[2]
    for n in range(k_):
        for i in range(oh):
            for j in range(ow):
                for a in range(kh):
                    r = i * sh + a * dh - t
                    for b in range(kw):
                        q = j * sw + b * dw - l
                        if 0 <= r < h and 0 <= q < w:
                            for c in range(c_):
                                out[n, i, j, a, b, c] = xl[n0 + n, r, q, c]
                        else:
                            for c in range(c_):
                                out[n, i, j, a, b, c] = 0.0


def _col2im_loop(d, out, sh, sw, dh, dw, t, l):
    # each row of d (a window's KH*KW*C values) added back where the window read, in memory order:
    # one pass over d instead of KH*KW strided passes over `out`; out is unpadded (N, H, W, C), so
    # what a window read from the padding (t rows on top, l columns on the left) is dropped
    n_, oh, ow, kh, kw, c_ = d.shape
    h, w = out.shape[1], out.shape[2]
    for n in range(n_):
        for i in range(oh):
            for j in range(ow):
                for a in range(kh):
                    r = i * sh + a * dh - t
                    if r < 0 or r >= h:
                        continue
                    for b in range(kw):
                        q = j * sw + b * dw - l
                        if 0 <= q < w:
                            for c in range(c_):
                                out[n, r, q, c] += d[n, i, j, a, b, c]


_COL2IM, _COLUMNS = Kernel(_col2im_loop), Kernel(_columns_loop)


def applies(geo, *arrays):
    """True when these kernels should run: a 2-d convolution with one group of float32/float64
    arrays, on the CPU (eager too: with the layout copies at both ends, 0.86x the channels-first
    kernels' eager cnn step at one thread, 0.97x at two, `benchmarks/ab_trees.py`), or on another
    device inside a compiled replay or with a channels-last operand."""
    return (geo.nd == 2 and geo.groups == 1 and all(a.dtype.char in "fd" for a in arrays)
            and (all(type(a) is np.ndarray for a in arrays) or _layout.enabled()
                 or any(_layout.is_channels_last(a) for a in arrays)))


def eager_applies(geo, channels, *arrays):
    """`applies` for the forward and the input gradient, less eager convolutions of fewer than 8
    input `channels`: there the channels-first kernels measured faster (one thread, 64 images of 28x28,
    32 output channels: forward 1.59 vs 1.96 ms with one input channel, 3.58 vs 4.91 with four; input
    gradient 1.89 vs 2.10 and 3.96 vs 4.59); from 8 channels on the channels-last ones win (7.9 vs
    6.3 ms and 10.3 vs 6.4 ms at the cnn's 32 -> 64)."""
    return applies(geo, *arrays) and (channels >= 8 or _layout.enabled()
                                       or any(_layout.is_channels_last(a) for a in arrays))


def _strided(xp, a, shape, strides):
    """A view of the C-contiguous `a` with these strides (NumPy's as_strided costs ~10 us a call,
    as much as a batch-1 window copy; the ndarray constructor ~1 us)."""
    if type(a) is np.ndarray and a.flags.c_contiguous:
        return np.ndarray(shape, a.dtype, a, 0, strides)
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def _source(xp, x, geo):
    """(x (N, C, H, W) as a C-contiguous (N, H', W', C) array, the numba column loop or None): with the
    loop (NumPy arrays of 4 channels or more) x unpadded, else zero-padded (a view when x is
    channels-last and unpadded)."""
    n, c, h, w = x.shape
    (t, b), (l, r) = geo.pads
    xl = _layout.nhwc(xp, x)
    loop = _COLUMNS.get() if type(xl) is np.ndarray and c >= 4 else None
    if loop is not None or not (t or b or l or r):
        return xl, loop
    padded = xp.zeros((n, h + t + b, w + l + r, c), x.dtype)
    padded[:, t:t + h, l:l + w] = xl
    return padded, None


def batch_chunks(xp, n, per_image, chunk_bytes):
    """(first, end) ranges of equal size over a batch of `n` images whose buffers take about
    `chunk_bytes` (at least one image each, `per_image` bytes an image), when the BLAS runs one
    thread; else the whole batch in one range: off the CPU the cache argument does not hold, and with
    more BLAS threads every GEMM call is a fork and join of its pool, which on a busy machine waits for
    a descheduled thread (the cnn step measured 1.25-1.37x slower chunked at two threads while another
    process ran, 0.95x on a quiet machine). Equal sizes leave no short last GEMM."""
    step = max(1, chunk_bytes // max(1, per_image)) if xp is np else max(1, n)
    if step < n and threads.get_num_threads() > 1:
        step = n
    parts = max(1, -(-n // step))
    step = max(1, -(-n // parts))
    return [(i, min(i + step, n)) for i in range(0, n, step)]


def _chunks(xp, n, geo, c, itemsize):
    """`batch_chunks` for the columns of this convolution, about CHUNK_BYTES at a time."""
    (oh, ow), (kh, kw) = geo.out, geo.kernel
    return batch_chunks(xp, n, oh * ow * kh * kw * c * itemsize, CHUNK_BYTES)


def _columns(xp, source, geo, n0, n1):
    """The windows of images n0..n1 of `_source`'s result as (rows, KH*KW*C) columns."""
    xl, loop = source
    c = xl.shape[3]
    (oh, ow), (kh, kw), (sh, sw), (dh, dw) = geo.out, geo.kernel, geo.stride, geo.dilation
    part, k = xl[n0:n1], n1 - n0
    s = part.strides
    if loop is not None:
        cols = xp.empty((k, oh, ow, kh, kw, c), xl.dtype)
        loop(xl, cols, n0, geo.pads[0][0], geo.pads[1][0], sh, sw, dh, dw)
        return cols.reshape(k * oh * ow, kh * kw * c)
    if c == 1:  # runs of one value copy slowly: (KH*KW, rows) along the output width, transposed (a view)
        win = _strided(xp, part, (kh, kw, k, oh, ow), (s[1] * dh, s[2] * dw, s[0], s[1] * sh, s[2] * sw))
        cols = xp.empty((kh, kw, k, oh, ow), xl.dtype)
        cols[...] = win
        return cols.reshape(kh * kw, k * oh * ow).T
    win = _strided(xp, part, (k, oh, ow, kh, kw, c), (s[0], s[1] * sh, s[2] * sw, s[1] * dh, s[2] * dw, s[3]))
    cols = xp.empty((k, oh, ow, kh, kw, c), xl.dtype)
    cols[...] = win
    return cols.reshape(k * oh * ow, kh * kw * c)


def _weight_matrix(xp, w):
    """w (O, C, KH, KW) as (KH*KW*C, O), matching the columns' order."""
    return xp.ascontiguousarray(w.transpose(2, 3, 1, 0)).reshape(-1, w.shape[0])


def forward(xp, x, w, bias, geo, relu=False):
    """y = conv(x, w) + bias (then max(y, 0) with `relu`), as (N, O, OH, OW) (channels-last inside a
    compiled replay). Chunk by chunk: the columns of a few images, their GEMM into y's rows, the epilogue."""
    n, c = x.shape[:2]
    (oh, ow), (kh, kw), o = geo.out, geo.kernel, w.shape[0]
    check_size("conv", (n * oh * ow, kh * kw * c), x.itemsize, "im2col buffer")
    src, wm, rows = _source(xp, x, geo), _weight_matrix(xp, w), oh * ow
    y = xp.empty((n * rows, o), x.dtype)
    for n0, n1 in _chunks(xp, n, geo, c, x.itemsize):
        part = y[n0 * rows:n1 * rows]
        xp.matmul(_columns(xp, src, geo, n0, n1), wm, out=part)
        bias_relu(xp, part, bias, relu)
    return _layout.result(xp, y.reshape((n,) + tuple(geo.out) + (o,)))


def weight_grad(xp, x, gy, geo, w_shape):
    """The gradient in w (C-contiguous, w_shape) for output gradient gy: the sum over chunks of
    columns^T @ gy rows."""
    o, c, kh, kw = w_shape
    n, rows = x.shape[0], geo.out[0] * geo.out[1]
    check_size("conv", (n * rows, kh * kw * c), x.itemsize, "im2col buffer")
    src, g2 = _source(xp, x, geo), _layout.nhwc(xp, gy).reshape(-1, o)
    gw = xp.zeros((kh * kw * c, o), x.dtype)
    for n0, n1 in _chunks(xp, n, geo, c, x.itemsize):
        part = _columns(xp, src, geo, n0, n1).T @ g2[n0 * rows:n1 * rows]
        gw = part if n0 == 0 else xp.add(gw, part, out=gw)
    return xp.ascontiguousarray(gw.reshape(kh, kw, c, o).transpose(3, 2, 0, 1))


def input_grad(xp, gy, w, geo, x_shape):
    """The gradient in x (x_shape) for output gradient gy: chunk by chunk, one GEMM, then col2im."""
    n, c, h, wd = x_shape
    (t, b), (l, r) = geo.pads
    (oh, ow), (kh, kw), (sh, sw), (dh, dw) = geo.out, geo.kernel, geo.stride, geo.dilation
    check_size("conv", (n * oh * ow, kh * kw * c), gy.itemsize, "col2im buffer")
    wt = xp.ascontiguousarray(_weight_matrix(xp, w).T)
    g2, rows = _layout.nhwc(xp, gy).reshape(-1, w.shape[0]), oh * ow
    # the loop measured 0.3-0.7x the strided adds' time from 4 channels up, 1.5x with one channel; it
    # adds into the unpadded gradient (no padded buffer, no copy of its inside)
    loop = _COL2IM.get() if type(g2) is np.ndarray and c >= 4 else None
    padded = loop is None and (t or b or l or r)
    out = xp.zeros((n, h + t + b, wd + l + r, c) if padded else (n, h, wd, c), gy.dtype)
    for n0, n1 in _chunks(xp, n, geo, c, gy.itemsize):
        d = (g2[n0 * rows:n1 * rows] @ wt).reshape(n1 - n0, oh, ow, kh, kw, c)
        part = out[n0:n1]
        if loop is not None:
            loop(d, part, sh, sw, dh, dw, t, l)
            continue
        for i in range(kh):
            for j in range(kw):
                part[:, i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += d[:, :, :, i, j]
    if padded:
        out = xp.ascontiguousarray(out[:, t:t + h, l:l + wd])
    return _layout.result(xp, out)
