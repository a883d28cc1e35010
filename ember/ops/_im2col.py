"""The array kernels behind convolution: the geometry of a convolution and the three
products it defines on raw arrays (NumPy or CuPy, passed as `xp`).

A convolution is bilinear, y = B(x, w). Its three kernels are

    forward(x, w)      -> y          B itself
    input_grad(gy, w)  -> x-shaped   B's adjoint in x (also the transposed convolution)
    weight_grad(x, gy) -> w-shaped   B's adjoint in w

and each one's derivatives are again these three, which is what makes gradients of
any order work (see ember/ops/conv.py).

All three work on one layout, chosen by measurement (see benchmarks/conv.py): the
windows of the padded input copied once into columns of shape (G, Cg*KH*KW, N*OH*OW)
(the innermost axis runs along the output width, so the copy reads memory in order),
and the output gradient as (G, Og, N*OH*OW). Then the forward is one GEMM per group
W (Og, Cg*KH*KW) @ cols, the weight gradient one GEMM gy @ cols^T, and the input
gradient one GEMM W^T @ gy followed by KH*KW strided adds (col2im). With one group
the GEMMs are 2-D `dot`s, which always reach BLAS.

1-d convolutions run as 2-d ones with a height of 1. 2-d convolutions with one group of NumPy arrays
(and, on other devices, inside a compiled replay or on a channels-last input) run the channels-last
kernels of ember/ops/_im2col_cl.py instead (measured faster; same GEMMs, other memory order, a chunk
of the batch at a time), except eager forwards and input gradients of fewer than 8 input channels.
Ahead of both, 3x3 stride-1 convolutions with enough channels run Winograd F(2x2, 3x3)
(ember/ops/_winograd.py; 2.25x fewer GEMM FLOPs), unless a value is inf or NaN.
"""
from collections import namedtuple

from ember.autograd.checks import check_size
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import _im2col_cl as CL, _winograd as WG

# Spatial sizes are pairs (height, width); `pads` holds (before, after) per spatial dim.
# `out` is the output's spatial size: what the windows give, or (for a transposed convolution with
# output_padding) the size of the tensor it transposes.
Geometry = namedtuple("Geometry", "nd size kernel stride pads dilation groups out")


def out_size(geo):
    """The output's spatial size as the original rank has it ((L,) for 1-d, (OH, OW) for 2-d)."""
    return geo.out[1:] if geo.nd == 1 else geo.out


def _windows(size, kernel, stride, pads, dilation):
    return tuple((n + p0 + p1 - d * (k - 1) - 1) // s + 1
                 for n, k, s, (p0, p1), d in zip(size, kernel, stride, pads, dilation))


def batched(op, input, nd):
    """`input` with a batch dim (an unbatched (C, *spatial) input gets one), and whether it had one."""
    if input.ndim == nd + 1:
        return input.unsqueeze(0), False
    if input.ndim != nd + 2:
        raise ShapeError(f"{op}: expected a {nd + 1}-d (unbatched) or {nd + 2}-d (batched) input, "
                         f"got shape {tuple(input.shape)}")
    return input, True


def ints(op, name, value, nd, minimum):
    """An int or a sequence of `nd` ints, each >= `minimum`, as a tuple of length `nd`."""
    seq = tuple(value) if isinstance(value, (tuple, list)) else (value,) * nd
    if len(seq) == 1 and nd > 1:
        seq = seq * nd
    if len(seq) != nd or not all(isinstance(v, int) and not isinstance(v, bool) or hasattr(v, "__index__")
                                 and not isinstance(v, bool) for v in seq):
        raise ArgumentError(f"{op}: {name} must be an int or a tuple of {nd} ints, got {value!r}")
    seq = tuple(int(v.__index__()) for v in seq)
    if any(v < minimum for v in seq):
        raise ArgumentError(f"{op}: {name} must be >= {minimum}, got {value!r}")
    return seq


def check_pair(op, x, w):
    """The input and weight of a convolution: floating tensors of one dtype."""
    if x.dtype.kind not in "f" and x.dtype.name != "bfloat16" or x.dtype != w.dtype:
        raise DTypeError(f"{op}: input and weight must be floating tensors of one dtype, "
                         f"got {x.dtype} and {w.dtype}")


def geometry(op, x_shape, w_shape, stride, pads, dilation, groups, nd, out=None):
    """Check the shapes of a convolution of `x_shape` by `w_shape` (batched, rank nd + 2) and
    return its Geometry; every error names the op and the shapes."""
    if len(x_shape) != nd + 2 or len(w_shape) != nd + 2:
        raise ShapeError(f"{op}: expected a {nd + 2}-d input and weight, got input {tuple(x_shape)} "
                         f"and weight {tuple(w_shape)}")
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ArgumentError(f"{op}: groups must be a positive int, got {groups!r}")
    c, o = x_shape[1], w_shape[0]
    if o % groups:
        raise ShapeError(f"{op}: weight of shape {tuple(w_shape)} has {o} output channels, "
                         f"not divisible by groups={groups}")
    if c != w_shape[1] * groups:
        raise ShapeError(f"{op}: input of shape {tuple(x_shape)} has {c} channels (dim 1), but the weight of "
                         f"shape {tuple(w_shape)} with groups={groups} expects {w_shape[1] * groups}")
    lift = (lambda t: (1,) + t) if nd == 1 else (lambda t: t)
    size, kernel, stride, dilation_ = lift(tuple(x_shape[2:])), lift(tuple(w_shape[2:])), lift(stride), lift(dilation)
    pads = ((0, 0),) + pads if nd == 1 else pads
    for n, k, (p0, p1), d in zip(size, kernel, pads, dilation_):
        if n + p0 + p1 < d * (k - 1) + 1:
            raise ShapeError(f"{op}: the kernel of size {tuple(w_shape[2:])} (dilation {dilation}) is larger "
                             f"than the padded input: input {tuple(x_shape)}, padding {pads[2 - nd:]}")
    out = _windows(size, kernel, stride, pads, dilation_) if out is None else lift(tuple(out))
    return Geometry(nd, size, kernel, stride, pads, dilation_, groups, out)


def _as4d(a, nd):
    return a.reshape(a.shape[:2] + (1,) + a.shape[2:]) if nd == 1 else a


def _padded(xp, x, geo):
    (t, b), (l, r) = geo.pads
    if not (t or b or l or r):
        return x
    n, c, h, w = x.shape
    check_size("conv", (n, c, h + t + b, w + l + r), x.itemsize, "padded input")
    out = xp.zeros((n, c, h + t + b, w + l + r), x.dtype)
    out[:, :, t:t + h, l:l + w] = x
    return out


def columns(xp, x, geo):
    """The windows of `x` (N, C, H, W) as columns (G, Cg*KH*KW, N*OH*OW), one copy."""
    x = _padded(xp, _as4d(x, geo.nd), geo)
    n, c = x.shape[:2]
    (oh, ow), (kh, kw), (sh, sw), (dh, dw) = geo.out, geo.kernel, geo.stride, geo.dilation
    g = geo.groups
    check_size("conv", (c, kh * kw, n * oh * ow), x.itemsize, "im2col buffer")
    s = x.strides
    win = xp.lib.stride_tricks.as_strided(x, (n, g, c // g, oh, ow, kh, kw),
                                          (s[0], s[1] * (c // g), s[1], s[2] * sh, s[3] * sw, s[2] * dh, s[3] * dw))
    cols = xp.empty((g, c // g, kh, kw, n, oh, ow), x.dtype)
    cols[...] = win.transpose(1, 2, 5, 6, 0, 3, 4)
    return cols.reshape(g, c // g * kh * kw, n * oh * ow)


def rows(xp, gy, geo):
    """The output gradient (N, O, OH, OW) laid out as (G, Og, N*OH*OW)."""
    gy = _as4d(gy, geo.nd)
    n, o, oh, ow = gy.shape
    g = geo.groups
    out = xp.empty((g, o // g, n, oh, ow), gy.dtype)
    out[...] = gy.reshape(n, g, o // g, oh, ow).transpose(1, 2, 0, 3, 4)
    return out.reshape(g, o // g, n * oh * ow)


def _matmul(xp, a, b):
    if a.shape[0] == 1:
        y = xp.dot(a[0], b[0])[None]
    else:
        y = xp.matmul(a, b)
    return y if y.dtype == a.dtype else y.astype(a.dtype)  # ml_dtypes' bfloat16 matmul gives float32


def _from_rows(xp, y, n, geo):
    """(G, Og, N*OH*OW) back to (N, O, OH, OW) (or (N, O, L) for 1-d)."""
    g, og = y.shape[:2]
    oh, ow = geo.out
    out = xp.empty((n, g, og, oh, ow), y.dtype)
    out[...] = y.reshape(g, og, n, oh, ow).transpose(2, 0, 1, 3, 4)
    return out.reshape((n, g * og, ow) if geo.nd == 1 else (n, g * og, oh, ow))


def forward(xp, x, w, bias, geo, relu=False):
    """y = conv(x, w) + bias, then max(y, 0) with `relu` (NaN kept, as NumPy's maximum)."""
    if WG.applies(geo, x.shape[0], x.shape[1], w.shape[0], x, w, *(() if bias is None else (bias,))):
        y = WG.forward(xp, x, w, bias, geo, relu)
        if y is not None:  # None: inf or NaN in x or w
            return y
    if CL.eager_applies(geo, x.shape[1], x, w):
        return CL.forward(xp, x, w, bias, geo, relu)
    return forward_cf(xp, x, w, bias, geo, relu)


def weight_grad(xp, x, gy, geo, w_shape):
    """The gradient of conv(x, w) in w for output gradient gy."""
    if WG.applies(geo, x.shape[0], w_shape[1], w_shape[0], x, gy):
        gw = WG.weight_grad(xp, x, gy, geo, w_shape)
        if gw is not None:  # None: inf or NaN in x or gy
            return gw
    if CL.applies(geo, x, gy):
        return CL.weight_grad(xp, x, gy, geo, w_shape)
    return weight_grad_cf(xp, x, gy, geo, w_shape)


def input_grad(xp, gy, w, geo, x_shape):
    """The gradient of conv(x, w) in x for output gradient gy."""
    if WG.applies(geo, x_shape[0], x_shape[1], w.shape[0], gy, w):
        gx = WG.input_grad(xp, gy, w, geo, x_shape)
        if gx is not None:  # None: inf or NaN in gy or w
            return gx
    if CL.eager_applies(geo, x_shape[1], gy, w):
        return CL.input_grad(xp, gy, w, geo, x_shape)
    return input_grad_cf(xp, gy, w, geo, x_shape)


def forward_cf(xp, x, w, bias, geo, relu=False):
    """`forward` by the channels-first kernels (any groups, rank and dtype)."""
    g = geo.groups
    y = _matmul(xp, w.reshape(g, w.shape[0] // g, -1), columns(xp, x, geo))
    if bias is not None:
        y += bias.reshape(g, -1, 1)
    if relu:
        xp.maximum(y, 0, out=y)
    return _from_rows(xp, y, x.shape[0], geo)


def weight_grad_cf(xp, x, gy, geo, w_shape):
    """`weight_grad` by the channels-first kernels: one GEMM per group, computed as (cols @ gy^T)^T,
    which OpenBLAS runs ~30x faster than gy @ cols^T for these shapes."""
    gw = _matmul(xp, columns(xp, x, geo), rows(xp, gy, geo).transpose(0, 2, 1))
    return xp.ascontiguousarray(gw.transpose(0, 2, 1)).reshape(w_shape)


def input_grad_cf(xp, gy, w, geo, x_shape):
    """`input_grad` by the channels-first kernels: one GEMM, then col2im (KH*KW strided adds into a
    channels-first buffer, transposed to (N, C, H, W) once at the end)."""
    g = geo.groups
    n = x_shape[0]
    (oh, ow), (kh, kw), (sh, sw), (dh, dw) = geo.out, geo.kernel, geo.stride, geo.dilation
    (t, b), (l, r) = geo.pads
    h, wd = geo.size
    cg = x_shape[1] // g
    wt = w.reshape(g, w.shape[0] // g, -1).transpose(0, 2, 1)
    dcols = _matmul(xp, wt, rows(xp, gy, geo)).reshape(g, cg, kh, kw, n, oh, ow)
    out = xp.zeros((g, cg, n, h + t + b, wd + l + r), gy.dtype)
    for i in range(kh):
        for j in range(kw):
            out[..., i * dh:i * dh + sh * (oh - 1) + 1:sh, j * dw:j * dw + sw * (ow - 1) + 1:sw] += dcols[:, :, i, j]
    x = xp.empty((n, g, cg, h, wd), gy.dtype)
    x[...] = out[..., t:t + h, l:l + wd].transpose(2, 0, 1, 3, 4)
    return x.reshape(x_shape)
