"""Keras's pooling, channels-last: `MaxPooling1D/2D`, `AveragePooling1D/2D` (windows; 'valid' or
TensorFlow's 'same' padding, where an average counts only the real elements of its window) and
`GlobalAveragePooling1D/2D`, `GlobalMaxPooling1D/2D` (over every step or pixel, `keepdims` optional).

    >>> keras.layers.AveragePooling2D(3, strides=2, padding="same")(ember.ones(1, 5, 5, 2)).shape
    ember.Size([1, 3, 3, 2])
    >>> keras.layers.GlobalAveragePooling1D()(ember.ones(2, 7, 3)).shape
    ember.Size([2, 3])
"""
import math

from ember.autograd import no_grad
from ember.nn import functional as F
from ember.ops.creation import ones
from ember.keras.layers.base import Layer
from ember.keras.layers.conv import (check_channels_last, check_format, check_padding, ntuple, pad_same,
                                     to_channels_first, to_channels_last)

__all__ = ["MaxPooling1D", "MaxPooling2D", "AveragePooling1D", "AveragePooling2D", "GlobalAveragePooling1D",
           "GlobalAveragePooling2D", "GlobalMaxPooling1D", "GlobalMaxPooling2D"]


class _Pooling(Layer):
    rank = 2

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        check_format(data_format, where)
        self.pool_size = ntuple(pool_size, self.rank, "pool_size", where)
        self.strides = self.pool_size if strides is None else ntuple(strides, self.rank, "strides", where)
        self.padding = check_padding(padding, where)

    def call(self, inputs):
        check_channels_last(self, inputs, self.rank)
        x = to_channels_first(inputs)
        if self.rank == 1:  # the 2-d kernels, on a height of one
            x = x.unsqueeze(2)
        size, strides = (1,) * (2 - self.rank) + self.pool_size, (1,) * (2 - self.rank) + self.strides
        out = self._pool(x, size, strides)
        if self.rank == 1:
            out = out.squeeze(2)
        return to_channels_last(out)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class _MaxPooling(_Pooling):
    def _pool(self, x, size, strides):
        if self.padding == "same":
            x = pad_same(x, size, strides, value=-math.inf)
        return F.max_pool2d(x, size, strides)


class _AveragePooling(_Pooling):
    def _pool(self, x, size, strides):
        if self.padding == "valid":
            return F.avg_pool2d(x, size, strides)
        # 'same': the window sums over the zero-padded input, divided by how many real elements it covers
        total = F.avg_pool2d(pad_same(x, size, strides), size, strides)
        with no_grad():
            real = ones(1, 1, *x.shape[2:], dtype=x.dtype, device=x.device)
            count = F.avg_pool2d(pad_same(real, size, strides), size, strides)
        return total / count


class MaxPooling1D(_MaxPooling):
    """Max over windows of `pool_size` steps of (batch, steps, channels) inputs."""
    rank = 1


class MaxPooling2D(_MaxPooling):
    """Max over (pool_size) windows of (batch, height, width, channels) inputs."""
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class AveragePooling1D(_AveragePooling):
    """Mean over windows of `pool_size` steps of (batch, steps, channels) inputs."""
    rank = 1


class AveragePooling2D(_AveragePooling):
    """Mean over (pool_size) windows of (batch, height, width, channels) inputs."""
    rank = 2

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)


class _GlobalPooling(Layer):
    rank = 2

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        check_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)

    def call(self, inputs, mask=None):
        check_channels_last(self, inputs, self.rank)
        if mask is not None and self.rank == 1 and isinstance(self, _GlobalAverage):
            m = mask.to(inputs.dtype).unsqueeze(-1)  # the mean over the unmasked steps only, as Keras
            return (inputs * m).sum(1, keepdim=self.keepdims) / m.sum(1, keepdim=self.keepdims)
        return self._reduce(inputs, tuple(range(1, self.rank + 1)))

    def compute_mask(self, inputs, previous_mask=None):
        return None  # the steps are gone: the mask ends here

    def get_config(self):
        return {**super().get_config(), "keepdims": self.keepdims}


class _GlobalAverage(_GlobalPooling):
    def _reduce(self, x, dims):
        return x.mean(dims, keepdim=self.keepdims)


class _GlobalMax(_GlobalPooling):
    def _reduce(self, x, dims):
        return x.amax(dims, keepdim=self.keepdims)


class GlobalAveragePooling1D(_GlobalAverage):
    """Mean over the steps of (batch, steps, channels): (batch, channels), or (batch, 1, channels) with keepdims."""
    rank = 1


class GlobalAveragePooling2D(_GlobalAverage):
    """Mean over height and width of (batch, height, width, channels): (batch, channels)."""
    rank = 2


class GlobalMaxPooling1D(_GlobalMax):
    """Max over the steps of (batch, steps, channels): (batch, channels)."""
    rank = 1


class GlobalMaxPooling2D(_GlobalMax):
    """Max over height and width of (batch, height, width, channels): (batch, channels)."""
    rank = 2
