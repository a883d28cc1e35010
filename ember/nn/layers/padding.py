"""Padding layers: `ConstantPad{1,2,3}d`, `ZeroPad…`, `ReflectionPad…`, `ReplicationPad…`,
`CircularPad…`, each `F.pad` with one mode over the last 1, 2 or 3 dims, as in PyTorch.

    >>> ember.nn.ReflectionPad2d((1, 1, 2, 0))(ember.randn(1, 3, 4, 4)).shape
    ember.Size([1, 3, 6, 6])
"""
from ember.errors import ArgumentError
from ember.nn import functional as F
from ember.nn.layers.activation import _need_tensor
from ember.nn.module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    """`padding` is an int (the same on every side) or 2 * dims ints (left, right, top, bottom, ...)."""
    mode, dims = "constant", 1

    def __init__(self, padding, value=0.0):
        super().__init__()
        if isinstance(padding, int) and not isinstance(padding, bool):
            padding = (padding,) * (2 * self.dims)
        if not isinstance(padding, (tuple, list)) or len(padding) != 2 * self.dims or \
                not all(isinstance(p, int) and not isinstance(p, bool) for p in padding):
            raise ArgumentError(f"{type(self).__name__}: padding must be an int or {2 * self.dims} ints, "
                                f"got {padding!r}")
        self.padding, self.value = tuple(padding), value

    def forward(self, input):
        _need_tensor(self, input)
        if self.mode == "constant":
            return F.pad(input, self.padding, "constant", self.value)
        return F.pad(input, self.padding, self.mode)

    def extra_repr(self):
        return f"{self.padding}" + (f", value={self.value}" if self.mode == "constant" else "")


class _ConstantPad(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding, value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class _ZeroPad(_PadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class _ModePad(_PadNd):
    def __init__(self, padding):
        super().__init__(padding)


class ConstantPad1d(_ConstantPad):
    """Pad the last dim with `value`."""
    mode, dims = "constant", 1


class ConstantPad2d(_ConstantPad):
    """Pad the last 2 dims with `value`."""
    mode, dims = "constant", 2


class ConstantPad3d(_ConstantPad):
    """Pad the last 3 dims with `value`."""
    mode, dims = "constant", 3


class ZeroPad1d(_ZeroPad):
    """Pad the last dim with zeros."""
    mode, dims = "constant", 1


class ZeroPad2d(_ZeroPad):
    """Pad the last 2 dims with zeros."""
    mode, dims = "constant", 2


class ZeroPad3d(_ZeroPad):
    """Pad the last 3 dims with zeros."""
    mode, dims = "constant", 3


class ReflectionPad1d(_ModePad):
    """Pad the last dim by reflection at the edges."""
    mode, dims = "reflect", 1


class ReflectionPad2d(_ModePad):
    """Pad the last 2 dims by reflection at the edges."""
    mode, dims = "reflect", 2


class ReflectionPad3d(_ModePad):
    """Pad the last 3 dims by reflection at the edges."""
    mode, dims = "reflect", 3


class ReplicationPad1d(_ModePad):
    """Pad the last dim by repeating the edge values."""
    mode, dims = "replicate", 1


class ReplicationPad2d(_ModePad):
    """Pad the last 2 dims by repeating the edge values."""
    mode, dims = "replicate", 2


class ReplicationPad3d(_ModePad):
    """Pad the last 3 dims by repeating the edge values."""
    mode, dims = "replicate", 3


class CircularPad1d(_ModePad):
    """Pad the last dim by wrapping around."""
    mode, dims = "circular", 1


class CircularPad2d(_ModePad):
    """Pad the last 2 dims by wrapping around."""
    mode, dims = "circular", 2


class CircularPad3d(_ModePad):
    """Pad the last 3 dims by wrapping around."""
    mode, dims = "circular", 3
