"""Convolution layers: `Conv1d`, `Conv2d` and `ConvTranspose2d`, with PyTorch's parameters,
default initialization, padding modes and repr.

    >>> conv = ember.nn.Conv2d(3, 16, 3, padding=1)
    >>> conv(ember.randn(8, 3, 28, 28)).shape, conv.weight.shape
    (ember.Size([8, 16, 28, 28]), ember.Size([16, 3, 3, 3]))
"""
import math

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn import functional as F
from ember.nn import init
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops._im2col import ints
from ember.ops.creation import empty

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d"]

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What Conv1d, Conv2d and ConvTranspose2d share: arguments, parameters, init, repr."""
    nd = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", output_padding=0, device=None, dtype=None):
        super().__init__()
        name, nd = type(self).__name__, self.nd
        for arg, value in (("in_channels", in_channels), ("out_channels", out_channels), ("groups", groups)):
            if not isinstance(value, int) or isinstance(value, bool) or value < (1 if arg == "groups" else 0):
                raise ArgumentError(f"{name}: {arg} must be a {'positive' if arg == 'groups' else 'non-negative'} "
                                    f"int, got {value!r}")
        if in_channels % groups or out_channels % groups:
            raise ArgumentError(f"{name}: in_channels={in_channels} and out_channels={out_channels} must both be "
                                f"divisible by groups={groups}")
        if padding_mode not in PADDING_MODES:
            raise ArgumentError(f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ints(name, "kernel_size", kernel_size, nd, 1)
        self.stride = ints(name, "stride", stride, nd, 1)
        self.dilation = ints(name, "dilation", dilation, nd, 1)
        self.output_padding = ints(name, "output_padding", output_padding, nd, 0)
        self.padding = _padding(name, padding, self.stride, nd)
        self.padding_mode = padding_mode
        self.transposed = type(self).transposed
        self._reversed_padding_repeated_twice = _reversed_pads(self.padding, self.kernel_size, self.dilation)
        shape = (in_channels, out_channels // groups) if self.transposed else (out_channels, in_channels // groups)
        self.weight = Parameter(empty(*shape, *self.kernel_size, device=device, dtype=dtype))
        if bias:
            self.bias = Parameter(empty(out_channels, device=device, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _check_input(self, input):
        if not isinstance(input, Tensor):
            raise DTypeError(f"{self._describe()}: expected a Tensor input, got {type(input).__name__}")
        nd = self.nd
        if input.ndim not in (nd + 1, nd + 2):
            raise ShapeError(f"{self._describe()}: input of shape {tuple(input.shape)}: expected a {nd + 2}-d "
                             f"(N, C, {_spatial(nd)}) or {nd + 1}-d (C, {_spatial(nd)}) input")
        channels = input.shape[-nd - 1]
        if channels != self.in_channels:
            raise ShapeError(f"{self._describe()}: input of shape {tuple(input.shape)} has {channels} channels "
                             f"(dim {input.ndim - nd - 1}), expected in_channels={self.in_channels}")

    def _describe(self):
        return f"{self._get_name()}({self.extra_repr()})"

    def extra_repr(self):
        s = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if isinstance(self.padding, str) or self.padding != (0,) * self.nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


def _spatial(nd):
    return {1: "L", 2: "H, W", 3: "D, H, W"}[nd]


def _padding(name, padding, stride, nd):
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ArgumentError(f"{name}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
        if padding == "same" and any(s != 1 for s in stride):
            raise ArgumentError(f"{name}: padding='same' is not supported for strided convolutions "
                                f"(stride={stride})")
        return padding
    return ints(name, "padding", padding, nd, 0)


def _reversed_pads(padding, kernel_size, dilation):
    """The `pad` argument of F.pad for the non-zero padding modes: (left, right) pairs, last dim first."""
    if padding == "valid":
        return (0, 0) * len(kernel_size)
    pads = []
    for i in reversed(range(len(kernel_size))):
        if padding == "same":
            total = dilation[i] * (kernel_size[i] - 1)
            pads += [total // 2, total - total // 2]
        else:
            pads += [padding[i], padding[i]]
    return tuple(pads)


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, device, dtype)

    def forward(self, input):
        self._check_input(input)
        conv = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}[self.nd]
        if self.padding_mode != "zeros":
            input = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(input, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups)


class Conv1d(_Conv):
    """1-d convolution over (N, C, L) or (C, L): weight (out_channels, in_channels/groups, k).

        >>> ember.nn.Conv1d(2, 4, 3)(ember.randn(5, 2, 10)).shape
        ember.Size([5, 4, 8])
    """
    nd = 1


class Conv2d(_Conv):
    """2-d convolution over (N, C, H, W) or (C, H, W): weight (out_channels, in_channels/groups, kh, kw).

    `padding` is an int, a pair, 'valid' or 'same'; `padding_mode` is 'zeros', 'reflect',
    'replicate' or 'circular'. Parameters start as PyTorch's: weight kaiming_uniform_(a=sqrt(5)),
    bias U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    """
    nd = 2


class Conv3d(_Conv):
    """3-d convolution over (N, C, D, H, W) or (C, D, H, W): weight (out_channels, in_channels/groups, kd, kh, kw).

        >>> ember.nn.Conv3d(2, 4, 3, padding=1)(ember.randn(1, 2, 4, 5, 5)).shape
        ember.Size([1, 4, 4, 5, 5])
    """
    nd = 3


class _ConvTransposeNd(_ConvNd):
    """Transposed convolution (the gradient of the convolution in its input): weight
    (in_channels, out_channels/groups, *kernel_size)."""
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, output_padding=0, groups=1,
                 bias=True, dilation=1, padding_mode="zeros", device=None, dtype=None):
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ArgumentError(f"{name}: only padding_mode='zeros' is supported, got {padding_mode!r}")
        if isinstance(padding, str):
            raise ArgumentError(f"{name}: padding must be an int or a tuple, got {padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, device, dtype)

    def forward(self, input, output_size=None):
        self._check_input(input)
        output_padding = self._output_padding(input, output_size)
        conv = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}[self.nd]
        return conv(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                    self.dilation)

    def _output_padding(self, input, output_size):
        """The output_padding that gives `output_size` (the spatial dims), as PyTorch computes it."""
        if output_size is None:
            return self.output_padding
        nd = self.nd
        size = tuple(int(s) for s in output_size)[-nd:]
        extra = []
        for d in range(nd):
            least = ((input.shape[d - nd] - 1) * self.stride[d] - 2 * self.padding[d]
                     + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            if not least <= size[d] < least + self.stride[d]:
                raise ShapeError(f"{self._describe()}: requested output_size {tuple(output_size)} must be between "
                                 f"{least} and {least + self.stride[d] - 1} in dim {d - nd} for an input of shape "
                                 f"{tuple(input.shape)}")
            extra.append(size[d] - least)
        return tuple(extra)


class ConvTranspose1d(_ConvTransposeNd):
    """1-d transposed convolution over (N, C, L) or (C, L).

        >>> ember.nn.ConvTranspose1d(4, 2, 3, stride=2)(ember.randn(1, 4, 5)).shape
        ember.Size([1, 2, 11])
    """
    nd = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-d transposed convolution over (N, C, H, W) or (C, H, W): weight (in_channels, out_channels/groups, kh, kw).

        >>> ember.nn.ConvTranspose2d(4, 2, 3, stride=2)(ember.randn(1, 4, 5, 5)).shape
        ember.Size([1, 2, 11, 11])
    """
    nd = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-d transposed convolution over (N, C, D, H, W) or (C, D, H, W)."""
    nd = 3
