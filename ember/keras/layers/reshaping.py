"""Keras's reshaping layers (the batch dimension is never touched): `Reshape`, `Permute`,
`RepeatVector`, `ZeroPadding1D/2D`, `UpSampling1D/2D` (nearest), `Cropping1D/2D`.

    >>> keras.layers.Reshape((3, -1))(ember.ones(2, 12)).shape
    ember.Size([2, 3, 4])
    >>> keras.layers.Permute((2, 1))(ember.ones(2, 3, 4)).shape
    ember.Size([2, 4, 3])
"""
import math

from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.keras.layers.base import Layer
from ember.keras.layers.conv import check_channels_last, check_format
from ember.keras.layers._util import positive_int

__all__ = ["Reshape", "Permute", "RepeatVector", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "UpSampling1D",
           "UpSampling2D", "UpSampling3D", "Cropping3D",
           "Cropping1D", "Cropping2D"]


class Reshape(Layer):
    """Reshapes each sample to `target_shape` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        target = tuple(target_shape) if not isinstance(target_shape, int) else (target_shape,)
        if not all(isinstance(d, int) and (d > 0 or d == -1) for d in target) or target.count(-1) > 1:
            raise ArgumentError(f"Reshape: target_shape must hold positive ints and at most one -1, got "
                                f"{target_shape!r}")
        self.target_shape = target

    def call(self, inputs):
        size, known = math.prod(inputs.shape[1:]), math.prod(d for d in self.target_shape if d != -1)
        if (-1 in self.target_shape and (known == 0 or size % known)) or (-1 not in self.target_shape
                                                                          and size != known):
            raise ShapeError(f"Reshape {self.name!r}: input of shape {tuple(inputs.shape)} has {size} elements per "
                             f"sample, which do not fit target_shape {self.target_shape}")
        return inputs.reshape(inputs.shape[0], *self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch dims: `dims` is a permutation of 1..rank-1 (1-indexed, as Keras)."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ArgumentError(f"Permute: dims must be a permutation of 1..{len(dims)}, got {dims!r}")
        self.dims = dims

    def call(self, inputs):
        if inputs.ndim != len(self.dims) + 1:
            raise ShapeError(f"Permute {self.name!r} (dims={self.dims}): input of shape {tuple(inputs.shape)}: "
                             f"expected {len(self.dims) + 1} dims")
        return inputs.permute(0, *self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = positive_int(n, "n", "RepeatVector")

    def call(self, inputs):
        if inputs.ndim != 2:
            raise ShapeError(f"RepeatVector {self.name!r}: input of shape {tuple(inputs.shape)}: expected "
                             "(batch, features)")
        return inputs.unsqueeze(1).expand(inputs.shape[0], self.n, inputs.shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}


def _pairs(value, rank, what, where, allow_zero=True):
    """Keras's padding/cropping argument: an int, `rank` ints, or `rank` (before, after) pairs."""
    if isinstance(value, int):
        value = (value,) * rank
    value = tuple(value)
    if rank == 1 and len(value) == 2 and all(isinstance(v, int) for v in value):
        value = (value,)
    out = tuple((v, v) if isinstance(v, int) else tuple(v) for v in value)
    if len(out) != rank or any(len(p) != 2 or not all(isinstance(v, int) and v >= 0 for v in p) for p in out):
        raise ArgumentError(f"{where}: {what} must be an int, {rank} ints or {rank} (before, after) pairs of "
                            f"non-negative ints, got {value!r}")
    return out


class _Spatial(Layer):
    rank = 2

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_format(data_format, type(self).__name__)


class _ZeroPadding(_Spatial):
    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding", type(self).__name__)

    def call(self, inputs):
        check_channels_last(self, inputs, self.rank)
        flat = (0, 0) + tuple(p for pair in reversed(self.padding) for p in pair)  # channels, then last dim first
        return F.pad(inputs, flat)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}


class ZeroPadding1D(_ZeroPadding):
    """Zeros before and after the steps of (batch, steps, channels)."""
    rank = 1


class ZeroPadding2D(_ZeroPadding):
    """Zero rows and columns around (batch, height, width, channels): `padding` an int, (h, w) or
    ((top, bottom), (left, right))."""
    rank = 2


class _Cropping(_Spatial):
    def __init__(self, cropping=1, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", type(self).__name__)

    def call(self, inputs):
        check_channels_last(self, inputs, self.rank)
        index = [slice(None)]
        for d, (before, after) in enumerate(self.cropping, 1):
            if before + after >= inputs.shape[d]:
                raise ShapeError(f"{type(self).__name__} {self.name!r}: cropping {self.cropping} leaves nothing of "
                                 f"input of shape {tuple(inputs.shape)}")
            index.append(slice(before, inputs.shape[d] - after))
        return inputs[tuple(index)]

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping}


class Cropping1D(_Cropping):
    """Drops steps at the start and end of (batch, steps, channels)."""
    rank = 1


class Cropping2D(_Cropping):
    """Drops rows and columns at the borders of (batch, height, width, channels)."""
    rank = 2


class _UpSampling(_Spatial):
    def __init__(self, size=2, data_format=None, interpolation="nearest", **kwargs):
        super().__init__(data_format, **kwargs)
        where = type(self).__name__
        size = (size,) * self.rank if isinstance(size, int) else tuple(size)
        if len(size) != self.rank:
            raise ArgumentError(f"{where}: size must be an int or {self.rank} ints, got {size!r}")
        self.size = tuple(positive_int(s, "size", where) for s in size)
        if interpolation != "nearest":
            raise ArgumentError(f"{where}: interpolation={interpolation!r} is not supported; use 'nearest'")

    def call(self, inputs):
        check_channels_last(self, inputs, self.rank)
        out = inputs
        for d, s in enumerate(self.size, 1):
            if s > 1:  # each element repeated s times along dim d: a broadcast, then a merge of two dims
                shape = tuple(out.shape)
                out = out.unsqueeze(d + 1).expand(*shape[:d + 1], s, *shape[d + 1:])
                out = out.reshape(*shape[:d], shape[d] * s, *shape[d + 1:])
        return out

    def get_config(self):
        return {**super().get_config(), "size": self.size, "interpolation": "nearest"}


class UpSampling1D(_UpSampling):
    """Repeats each step `size` times: (batch, steps * size, channels)."""
    rank = 1

    def __init__(self, size=2, **kwargs):
        super().__init__(size, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["interpolation"]
        return {**config, "size": self.size[0]}


class UpSampling2D(_UpSampling):
    """Repeats rows and columns (nearest neighbour): (batch, height * sh, width * sw, channels)."""
    rank = 2


class ZeroPadding3D(_ZeroPadding):
    """Zeros around (batch, depth, height, width, channels): `padding` an int, 3 ints or 3 (before, after) pairs."""
    rank = 3


class Cropping3D(_Cropping):
    """Drops borders of (batch, depth, height, width, channels)."""
    rank = 3


class UpSampling3D(_UpSampling):
    """Repeats each voxel (nearest neighbour) along depth, height and width."""
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["interpolation"]
        return config
