"""Keras's 3-d and adaptive pooling, channels-last: `MaxPooling3D`, `AveragePooling3D`,
`GlobalAveragePooling3D`, `GlobalMaxPooling3D`, and `AdaptiveAveragePooling1D/2D/3D`,
`AdaptiveMaxPooling1D/2D/3D` (a fixed `output_size` whatever the input's, PyTorch's bins).

    >>> keras.layers.MaxPooling3D(2)(ember.ones(1, 4, 4, 4, 3)).shape
    ember.Size([1, 2, 2, 2, 3])
    >>> keras.layers.AdaptiveAveragePooling2D((2, 3))(ember.ones(1, 7, 9, 3)).shape
    ember.Size([1, 2, 3, 3])
"""
from ember.keras.layers.base import Layer
from ember.keras.layers.conv import check_channels_last, check_format, ntuple
from ember.keras.layers.pooling import _GlobalAverage, _GlobalMax, _Pooling
from ember.keras.ops_nn import adaptive_average_pool, adaptive_max_pool, average_pool, max_pool

__all__ = ["MaxPooling3D", "AveragePooling3D", "GlobalAveragePooling3D", "GlobalMaxPooling3D",
           "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
           "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D"]


class MaxPooling3D(_Pooling):
    """Max over (pool_size) windows of (batch, depth, height, width, channels) inputs."""
    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def call(self, inputs):
        check_channels_last(self, inputs, 3)
        return max_pool(inputs, self.pool_size, self.strides, self.padding)


class AveragePooling3D(_Pooling):
    """Mean over (pool_size) windows of (batch, depth, height, width, channels) inputs."""
    rank = 3

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)

    def call(self, inputs):
        check_channels_last(self, inputs, 3)
        return average_pool(inputs, self.pool_size, self.strides, self.padding)


class GlobalAveragePooling3D(_GlobalAverage):
    """Mean over depth, height and width of (batch, depth, height, width, channels)."""
    rank = 3


class GlobalMaxPooling3D(_GlobalMax):
    """Max over depth, height and width of (batch, depth, height, width, channels)."""
    rank = 3


class _Adaptive(Layer):
    rank = 2

    def __init__(self, output_size, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_format(data_format, type(self).__name__)
        self.output_size = ntuple(output_size, self.rank, "output_size", type(self).__name__)

    def call(self, inputs):
        check_channels_last(self, inputs, self.rank)
        return self.pool(inputs, self.output_size)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size}


class _AdaptiveAverage(_Adaptive):
    pool = staticmethod(adaptive_average_pool)


class _AdaptiveMax(_Adaptive):
    pool = staticmethod(adaptive_max_pool)


class AdaptiveAveragePooling1D(_AdaptiveAverage):
    """Means over `output_size` bins of the steps of (batch, steps, channels)."""
    rank = 1


class AdaptiveAveragePooling2D(_AdaptiveAverage):
    """Means over an `output_size` grid of bins of (batch, height, width, channels)."""
    rank = 2


class AdaptiveAveragePooling3D(_AdaptiveAverage):
    """Means over an `output_size` grid of bins of (batch, depth, height, width, channels)."""
    rank = 3


class AdaptiveMaxPooling1D(_AdaptiveMax):
    """Maxima over `output_size` bins of the steps of (batch, steps, channels)."""
    rank = 1


class AdaptiveMaxPooling2D(_AdaptiveMax):
    """Maxima over an `output_size` grid of bins of (batch, height, width, channels)."""
    rank = 2


class AdaptiveMaxPooling3D(_AdaptiveMax):
    """Maxima over an `output_size` grid of bins of (batch, depth, height, width, channels)."""
    rank = 3
