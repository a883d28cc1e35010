"""3-d convolutions and the time-batch-channel layout, built from the 2-d convolution primitive:
`conv3d` runs one batched `conv2d` per kernel depth (the output depths folded into the batch) and sums
them; `conv_transpose3d` is `conv3d`'s adjoint in its input, taken by autograd (so it differentiates
again); `conv_tbc` is `conv1d` on a (time, batch, channel) input.

    >>> x, w = ember.randn(2, 3, 5, 6, 6), ember.randn(4, 3, 3, 3, 3)
    >>> ember.nn.functional.conv3d(x, w, padding=1).shape
    ember.Size([2, 4, 5, 6, 6])
"""
from ember.autograd.engine import grad as autograd_grad
from ember.autograd.grad_mode import enable_grad
from ember.errors import ArgumentError, ShapeError
from ember.ops import _im2col as K
from ember.ops.arrange import pad as pad_op
from ember.ops.conv import _check_bias, _groups, _pads, _tensors, conv1d, conv2d
from ember.ops.creation import zeros

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = "conv3d conv_transpose3d conv_tbc"


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of (N, C, D, H, W) or (C, D, H, W) with weight (O, C/groups, KD, KH, KW)."""
    op = "conv3d"
    _tensors(op, input, weight, bias)
    x, batched = K.batched(op, input, 3)
    if weight.ndim != 5:
        raise ShapeError(f"{op}: expected a 5-d weight (out_channels, in_channels/groups, kd, kh, kw), got shape "
                         f"{tuple(weight.shape)}")
    g = _groups(op, groups)
    if x.shape[1] != weight.shape[1] * g:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} has {x.shape[1]} channels, but the weight of "
                         f"shape {tuple(weight.shape)} with groups={g} expects {weight.shape[1] * g}")
    stride, dilation = K.ints(op, "stride", stride, 3, 1), K.ints(op, "dilation", dilation, 3, 1)
    pads = _pads(op, padding, tuple(weight.shape[2:]), dilation, stride, 3)
    _check_bias(op, bias, weight.shape[0])
    flat = tuple(p for pair in reversed(pads) for p in pair)
    x = pad_op(x, flat) if any(flat) else x
    n, c, d = x.shape[:3]
    kd = weight.shape[2]
    od = (d - dilation[0] * (kd - 1) - 1) // stride[0] + 1
    if od < 1:
        raise ShapeError(f"{op}: the kernel depth {kd} (dilation {dilation[0]}) exceeds the padded input depth {d}")
    y = None
    for k in range(kd):
        start = k * dilation[0]
        planes = x[:, :, start:start + stride[0] * (od - 1) + 1:stride[0]]           # (N, C, OD, H, W)
        planes = planes.movedim(2, 1).reshape((n * od, c) + tuple(x.shape[3:]))
        part = conv2d(planes, weight[:, :, k], None, stride[1:], 0, dilation[1:], g)
        y = part if y is None else y + part
    y = y.reshape((n, od) + tuple(y.shape[1:])).movedim(1, 2)
    if bias is not None:
        y = y + bias.reshape(-1, 1, 1, 1)
    return y if batched else y.squeeze(0)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    """3-d transposed convolution of (N, C, D, H, W) or (C, D, H, W) with weight (C, O/groups, KD, KH, KW)."""
    op = "conv_transpose3d"
    _tensors(op, input, weight, bias)
    x, batched = K.batched(op, input, 3)
    stride, dilation = K.ints(op, "stride", stride, 3, 1), K.ints(op, "dilation", dilation, 3, 1)
    padding, out_pad = K.ints(op, "padding", padding, 3, 0), K.ints(op, "output_padding", output_padding, 3, 0)
    if any(p >= s and p >= d for p, s, d in zip(out_pad, stride, dilation)):
        raise ArgumentError(f"{op}: output_padding={output_padding} must be smaller than either stride "
                            f"({stride}) or dilation ({dilation})")
    if weight.ndim != 5 or x.shape[1] != weight.shape[0]:
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} needs a 5-d weight (in_channels={x.shape[1]}, "
                         f"out_channels/groups, kd, kh, kw), got {tuple(weight.shape)}")
    g = _groups(op, groups)
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + q + 1
                 for n, s, p, d, k, q in zip(x.shape[2:], stride, padding, dilation, weight.shape[2:], out_pad))
    if any(s < 1 for s in size):
        raise ShapeError(f"{op}: input of shape {tuple(input.shape)} gives an empty output of size {size}")
    _check_bias(op, bias, weight.shape[1] * g)
    with enable_grad():
        probe = zeros((x.shape[0], weight.shape[1] * g) + size, dtype=x.dtype, device=x.device, requires_grad=True)
        image = conv3d(probe, weight, None, stride, padding, dilation, g)
        y, = autograd_grad(image, probe, grad_outputs=x, create_graph=True)
    if bias is not None:
        y = y + bias.reshape(-1, 1, 1, 1)
    return y if batched else y.squeeze(0)


def conv_tbc(input, weight, bias, pad=0):
    """1-d convolution of a (time, batch, channels) input with weight (kernel, in, out) and bias (out,)."""
    op = "conv_tbc"
    _tensors(op, input, weight, bias)
    if input.ndim != 3 or weight.ndim != 3 or input.shape[2] != weight.shape[1]:
        raise ShapeError(f"{op}: expected input (T, B, C) and weight (K, C, O), got {tuple(input.shape)} and "
                         f"{tuple(weight.shape)}")
    y = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return y.permute(2, 0, 1)
