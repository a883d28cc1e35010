"""Convolutions: conv1d, conv2d and their transposes, with PyTorch's signatures.

Three primitives share one geometry (ember/ops/_im2col.py): `Conv` (y = conv(x, w) + b),
`ConvInputGrad` (conv's adjoint in x, which is also the transposed convolution) and
`ConvWeightGrad` (conv's adjoint in w). The derivatives of each are the other two, so
gradients of every order are convolutions again.

Algorithm (measured with `python benchmarks/conv.py`, batch 64, 3x3 kernels, float32,
against torch on the same CPU): im2col into a (Cg*KH*KW, N*OH*OW) buffer laid out
along the output width, then one BLAS GEMM per group; the weight gradient is one GEMM
on the same columns; the input gradient one GEMM then col2im with KH*KW strided adds.
On a shared 2-core CPU: forward 1.7x torch's time at 64->64 32x32 (2.3x at 32->64 14x14),
forward+backward 1.2x (2.0x); the im2col copy costs about as much as the GEMM. The
benchmark's docstring has the table. 2-d convolutions with one group on the CPU run channels-last
instead (ember/ops/_im2col_cl.py; chosen with `python benchmarks/conv_algorithms.py`, which also
measured Winograd F(2x2,3x3) and shifted GEMMs slower here), eager ones with a layout copy at each end.

    >>> x, w = ember.randn(8, 3, 28, 28), ember.randn(16, 3, 3, 3)
    >>> ember.conv2d(x, w, padding=1).shape
    ember.Size([8, 16, 28, 28])
"""
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.autograd.checks import check_size
from ember.errors import ArgumentError, AutogradError, ShapeError
from ember.ops import _im2col as K
from ember.ops.registry import Sample, register

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]
METHODS = ""
INPLACE = ""
FUNCTIONAL = "conv1d conv2d conv_transpose1d conv_transpose2d"


# --- primitives ----------------------------------------------------------------

class Conv(Function):
    """y = conv(x, w) + b on batched inputs; `geo` holds stride, padding, dilation, groups. With
    `relu` (set only by the compiler's epilogue_relu_fusion, in graphs with no backward of it) the
    result is max(y, 0), clamped in place."""

    def forward(self, x, w, b=None, geo=None, relu=False):
        y = K.forward(self.xp, x, w, b, geo, relu)
        return y if y.dtype == x.dtype else y.astype(x.dtype)  # grouped bfloat16 kernels compute in float32

    def backward(self, g):
        if self.attrs.get("relu"):
            raise AutogradError("Conv: a convolution fused with its ReLU has no backward; the compiler "
                                "fuses only calls that no backward node replays")
        x, w, b = self.inputs
        geo = self.attrs["geo"]
        gx = ConvInputGrad.apply(g, w, geo=geo, x_shape=tuple(x.shape)) if x.requires_grad else None
        gw = ConvWeightGrad.apply(x, g, geo=geo, w_shape=tuple(w.shape)) if w.requires_grad else None
        # over the batch first, then space: 0.2-0.5x the time of one sum over (0, 2, 3) in either layout
        gb = g.sum(0).sum(list(range(1, g.ndim - 1))) if b is not None and b.requires_grad else None
        return gx, gw, gb


class ConvInputGrad(Function):
    """conv's adjoint in x: the gradient of conv(x, w) in x for output gradient gy."""

    def forward(self, gy, w, geo=None, x_shape=None):
        return K.input_grad(self.xp, gy, w, geo, x_shape)

    def backward(self, g):
        gy, w = self.inputs
        geo = self.attrs["geo"]
        d_gy = Conv.apply(g, w, None, geo=geo) if gy.requires_grad else None
        d_w = ConvWeightGrad.apply(g, gy, geo=geo, w_shape=tuple(w.shape)) if w.requires_grad else None
        return d_gy, d_w


class ConvWeightGrad(Function):
    """conv's adjoint in w: the gradient of conv(x, w) in w for output gradient gy."""
    internal = True  # reached only through the gradients of conv and conv_transpose, tested there

    def forward(self, x, gy, geo=None, w_shape=None):
        return K.weight_grad(self.xp, x, gy, geo, w_shape)

    def backward(self, g):
        x, gy = self.inputs
        geo = self.attrs["geo"]
        d_x = ConvInputGrad.apply(gy, g, geo=geo, x_shape=tuple(x.shape)) if x.requires_grad else None
        d_gy = Conv.apply(x, g, None, geo=geo) if gy.requires_grad else None
        return d_x, d_gy


# --- argument checks -------------------------------------------------------------

def _tensors(op, input, weight, bias):
    for name, t in (("input", input), ("weight", weight)):
        if not isinstance(t, Tensor):
            raise ArgumentError(f"{op}: {name} must be a tensor, got {type(t).__name__}")
    if bias is not None and not isinstance(bias, Tensor):
        raise ArgumentError(f"{op}: bias must be a tensor or None, got {type(bias).__name__}")
    K.check_pair(op, input, weight)
    if bias is not None and bias.dtype != input.dtype:
        raise ArgumentError(f"{op}: bias of dtype {bias.dtype} must have the input's dtype {input.dtype}")


def _check_bias(op, bias, channels):
    if bias is not None and tuple(bias.shape) != (channels,):
        raise ShapeError(f"{op}: bias of shape {tuple(bias.shape)} must have shape ({channels},), "
                         f"one value per output channel")


def _pads(op, padding, kernel, dilation, stride, nd):
    """(before, after) pairs per spatial dim from an int, a tuple, 'valid' or 'same'."""
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * nd
        if padding != "same":
            raise ArgumentError(f"{op}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
        if any(s != 1 for s in stride):
            raise ArgumentError(f"{op}: padding='same' is not supported for strided convolutions "
                                f"(stride={stride})")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in total)
    return tuple((p, p) for p in K.ints(op, "padding", padding, nd, 0))


# --- public ops ------------------------------------------------------------------

def _conv(op, nd, input, weight, bias, stride, padding, dilation, groups):
    _tensors(op, input, weight, bias)
    x, batched = K.batched(op, input, nd)
    stride = K.ints(op, "stride", stride, nd, 1)
    dilation = K.ints(op, "dilation", dilation, nd, 1)
    if weight.ndim != nd + 2:
        raise ShapeError(f"{op}: expected a {nd + 2}-d weight (out_channels, in_channels/groups, *kernel), "
                         f"got shape {tuple(weight.shape)}")
    pads = _pads(op, padding, tuple(weight.shape[2:]), dilation, stride, nd)
    geo = K.geometry(op, tuple(x.shape), tuple(weight.shape), stride, pads, dilation, groups, nd)
    _check_bias(op, bias, weight.shape[0])
    check_size(op, (x.shape[0], weight.shape[0]) + K.out_size(geo), x.dtype.itemsize, "output")
    y = Conv.apply(x, weight, bias, geo=geo)
    return y if batched else y.squeeze(0)


def _conv_transpose(op, nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    _tensors(op, input, weight, bias)
    x, batched = K.batched(op, input, nd)
    stride = K.ints(op, "stride", stride, nd, 1)
    dilation = K.ints(op, "dilation", dilation, nd, 1)
    padding = K.ints(op, "padding", padding, nd, 0)
    out_pad = K.ints(op, "output_padding", output_padding, nd, 0)
    if any(p >= s and p >= d for p, s, d in zip(out_pad, stride, dilation)):
        raise ArgumentError(f"{op}: output_padding={output_padding} must be smaller than either stride "
                            f"({stride}) or dilation ({dilation})")
    if weight.ndim != nd + 2:
        raise ShapeError(f"{op}: expected a {nd + 2}-d weight (in_channels, out_channels/groups, *kernel), "
                         f"got shape {tuple(weight.shape)}")
    if x.shape[1] != weight.shape[0]:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} has {x.shape[1]} channels (dim 1), but the "
                         f"weight of shape {tuple(weight.shape)} expects {weight.shape[0]}")
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + q + 1
                 for n, s, p, d, k, q in zip(x.shape[2:], stride, padding, dilation, weight.shape[2:], out_pad))
    if any(n < 1 for n in size):
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} with weight {tuple(weight.shape)}, "
                         f"stride {stride} and padding {padding} gives an empty output of size {size}")
    x_shape = (x.shape[0], weight.shape[1] * _groups(op, groups)) + size
    check_size(op, x_shape, x.dtype.itemsize, "output")
    geo = K.geometry(op, x_shape, tuple(weight.shape), stride, tuple((p, p) for p in padding), dilation,
                     groups, nd, out=tuple(x.shape[2:]))
    _check_bias(op, bias, x_shape[1])
    y = ConvInputGrad.apply(x, weight, geo=geo, x_shape=x_shape)
    if bias is not None:
        y = y + bias.reshape((-1,) + (1,) * nd)
    return y if batched else y.squeeze(0)


def _groups(op, groups):
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ArgumentError(f"{op}: groups must be a positive int, got {groups!r}")
    return groups


def _conv_samples(nd):
    """Spatial arguments are tuples in the 2-d samples: an int grown by 1000 (the fuzz test) is a legal
    call with a large output, while a grown tuple is an error or too large to allocate."""
    t = (lambda v: (v,) * 2) if nd == 2 else (lambda v: v)

    def samples(make):
        s, k3, k2 = (5,) * nd, (3,) * nd, (2,) * nd
        return [Sample((make(2, 2, *s), make(3, 2, *k3), make(3)), name="basic"),
                Sample((make(2, 2, *s), make(3, 2, *k2)), {"stride": t(2), "padding": t(1)}, "stride-pad"),
                Sample((make(1, 2, *s), make(2, 2, *k2), make(2)), {"padding": "same"}, "same-even"),
                Sample((make(1, 2, *s), make(2, 2, *k3)), {"padding": "valid", "dilation": t(2)}, "valid-dilated"),
                Sample((make(2, 4, *s), make(6, 2, *k3), make(6)), {"groups": 2, "padding": t(1)}, "groups"),
                Sample((make(2, 2, *s, noncontig=True), make(3, 2, *k3, noncontig=True)), name="noncontig"),
                Sample((make(2, *s), make(3, 2, *k3), make(3)), name="unbatched"),
                Sample((make(0, 2, *s), make(3, 2, *k3)), name="empty")] + \
            ([Sample((make(1, 2, 6, 5), make(2, 2, 3, 2)), {"stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)},
                     "rect"),
              Sample((make(1, 2, *s), make(2, 2, *k2)), {"padding": "same", "dilation": (2, 2)}, "same-dilated")]
             if nd == 2 else [])
    return samples


def _conv_transpose_samples(nd):
    t = (lambda v: (v,) * 2) if nd == 2 else (lambda v: (v,))
    dil = (lambda v: {"dilation": (v, v)}) if nd == 2 else (lambda v: {})  # 1-d dilation: tests/ops/test_conv.py

    def samples(make):
        s, k3, k2 = (4,) * nd, (3,) * nd, (2,) * nd
        return [Sample((make(2, 2, *s), make(2, 3, *k3), make(3)), name="basic"),
                Sample((make(1, 2, *s), make(2, 2, *k3)), {"stride": t(2), "padding": t(1), "output_padding": t(1)},
                       "stride-outpad"),
                Sample((make(1, 4, *s), make(4, 1, *k2), make(2)), {"groups": 2, **dil(2)}, "groups"),
                Sample((make(2, 2, *s, noncontig=True), make(2, 3, *k3)), name="noncontig"),
                Sample((make(2, *s), make(2, 3, *k3)), name="unbatched"),
                Sample((make(0, 2, *s), make(2, 3, *k3)), name="empty"),
                Sample((make(1, 2, *s), make(2, 2, *k3)), {"stride": t(2), **dil(3), "output_padding": t(nd)},
                       "outpad-dilation")]
    return samples


@register("conv1d", _conv_samples(1), ref="nn.functional.conv1d")
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation, as PyTorch) of (N, C, L) or (C, L) by (O, C/groups, K).

        >>> ember.conv1d(ember.randn(2, 3, 10), ember.randn(4, 3, 3)).shape
        ember.Size([2, 4, 8])
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


@register("conv2d", _conv_samples(2), Conv, ref="nn.functional.conv2d")
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution of (N, C, H, W) or (C, H, W) by (O, C/groups, KH, KW); `padding` is an
    int, a pair, 'valid' or 'same'.

        >>> ember.conv2d(ember.randn(2, 3, 8, 8), ember.randn(4, 3, 3, 3), stride=2, padding=1).shape
        ember.Size([2, 4, 4, 4])
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


@register("conv_transpose1d", _conv_transpose_samples(1), ref="nn.functional.conv_transpose1d")
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """1-d transposed convolution of (N, C, L) by (C, O/groups, K): the gradient of conv1d in its input.

        >>> ember.conv_transpose1d(ember.randn(2, 4, 8), ember.randn(4, 3, 3)).shape
        ember.Size([2, 3, 10])
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)


@register("conv_transpose2d", _conv_transpose_samples(2), ConvInputGrad, ref="nn.functional.conv_transpose2d")
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """2-d transposed convolution of (N, C, H, W) by (C, O/groups, KH, KW).

        >>> ember.conv_transpose2d(ember.randn(2, 4, 5, 5), ember.randn(4, 3, 3, 3), stride=2).shape
        ember.Size([2, 3, 11, 11])
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding, output_padding, groups,
                           dilation)
