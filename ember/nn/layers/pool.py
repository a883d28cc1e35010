"""Pooling layers: `MaxPool1d/2d`, `AvgPool1d/2d`, `AdaptiveAvgPool1d/2d`, with PyTorch's
arguments and repr. They hold no parameters; the math is in ember.nn.functional.

    >>> ember.nn.MaxPool2d(2)(ember.randn(8, 16, 28, 28)).shape
    ember.Size([8, 16, 14, 14])
"""
from ember.autograd.tensor import Tensor
from ember.errors import DTypeError, ShapeError
from ember.nn import functional as F
from ember.nn.module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d", "AdaptiveAvgPool1d",
           "AdaptiveAvgPool2d", "AdaptiveAvgPool3d"]


def _check(layer, input, nd):
    if not isinstance(input, Tensor):
        raise DTypeError(f"{layer._get_name()}({layer.extra_repr()}): expected a Tensor input, "
                         f"got {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        dims = {1: "L", 2: "H, W", 3: "D, H, W"}[nd]
        raise ShapeError(f"{layer._get_name()}({layer.extra_repr()}): input of shape {tuple(input.shape)}: "
                         f"expected a {nd + 2}-d (N, C, {dims}) or {nd + 1}-d (C, {dims}) input")


class _MaxPoolNd(Module):
    nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False, ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input):
        _check(self, input, self.nd)
        pool = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}[self.nd]
        return pool(input, self.kernel_size, self.stride, self.padding, self.dilation, ceil_mode=self.ceil_mode,
                    return_indices=self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over windows of (N, C, L) or (C, L); `return_indices=True` also gives indices into L."""
    nd = 1


class MaxPool2d(_MaxPoolNd):
    """Max over windows of (N, C, H, W) or (C, H, W); `return_indices=True` also gives flat indices
    into H*W (what `max_unpool2d` takes in PyTorch).

        >>> ember.nn.MaxPool2d(3, stride=2, padding=1)(ember.randn(1, 2, 8, 8)).shape
        ember.Size([1, 2, 4, 4])
    """
    nd = 2


class MaxPool3d(_MaxPoolNd):
    """Max over windows of (N, C, D, H, W) or (C, D, H, W); indices are flat into D*H*W."""
    nd = 3


class AvgPool1d(Module):
    """Mean over windows of (N, C, L) or (C, L).

        >>> ember.nn.AvgPool1d(2)(ember.randn(4, 3, 10)).shape
        ember.Size([4, 3, 5])
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
        super().__init__()
        single = lambda v: tuple(v) if isinstance(v, (tuple, list)) else (v,)  # noqa: E731  (as PyTorch stores them)
        self.kernel_size = single(kernel_size)
        self.stride = single(stride if stride is not None else kernel_size)
        self.padding = single(padding)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, input):
        _check(self, input, 1)
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over windows of (N, C, H, W) or (C, H, W); `divisor_override` replaces the window size.

        >>> ember.nn.AvgPool2d(2)(ember.randn(4, 3, 10, 10)).shape
        ember.Size([4, 3, 5, 5])
    """
    nd = 2

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
                 divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input):
        _check(self, input, self.nd)
        pool = F.avg_pool2d if self.nd == 2 else F.avg_pool3d
        return pool(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool3d(AvgPool2d):
    """Mean over windows of (N, C, D, H, W) or (C, D, H, W); `divisor_override` replaces the window size."""
    nd = 3


class _AdaptiveAvgPoolNd(Module):
    nd = 1

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        _check(self, input, self.nd)
        pool = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}[self.nd]
        return pool(input, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPoolNd):
    """Average (N, C, L) or (C, L) into `output_size` bins.

        >>> ember.nn.AdaptiveAvgPool1d(4)(ember.randn(2, 3, 10)).shape
        ember.Size([2, 3, 4])
    """
    nd = 1


class AdaptiveAvgPool2d(_AdaptiveAvgPoolNd):
    """Average (N, C, H, W) or (C, H, W) into `output_size` bins (an int, or a pair where None keeps
    that size); `AdaptiveAvgPool2d(1)` is global average pooling.

        >>> ember.nn.AdaptiveAvgPool2d((1, 1))(ember.randn(2, 3, 7, 7)).shape
        ember.Size([2, 3, 1, 1])
    """
    nd = 2


class AdaptiveAvgPool3d(_AdaptiveAvgPoolNd):
    """Average (N, C, D, H, W) or (C, D, H, W) into `output_size` bins (None keeps a size)."""
    nd = 3
