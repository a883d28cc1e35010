"""Keras's activation layers and simple elementwise layers: `ReLU`, `LeakyReLU`, `Softmax`, `ELU`,
`Rescaling`, and `SpatialDropout1D/2D` (whole channels dropped).

    >>> keras.layers.ReLU(max_value=6.0)(ember.tensor([-1.0, 3.0, 9.0]))
    tensor([0., 3., 6.])
    >>> keras.layers.Rescaling(1 / 255)(ember.full((1, 2), 255.0))
    tensor([[1., 1.]])
"""
from ember.backend import dtypes
from ember.errors import ArgumentError
from ember.nn import functional as F
from ember.ops.binary import where
from ember.ops.creation import ones
from ember.keras.layers.base import Layer
from ember.keras.layers.conv import check_channels_last, check_format

__all__ = ["ReLU", "LeakyReLU", "Softmax", "ELU", "Rescaling", "SpatialDropout1D", "SpatialDropout2D",
           "SpatialDropout3D"]


def _number(value, what, where, minimum=None):
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool) or (minimum is not None and value < minimum):
        bound = f" >= {minimum}" if minimum is not None else ""
        raise ArgumentError(f"{where}: {what} must be a number{bound}, got {value!r}")
    return float(value)


class ReLU(Layer):
    """`x` for x >= threshold, `negative_slope * (x - threshold)` below, capped at `max_value`."""

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # passes the input's mask on, as Keras
        self.max_value = _number(max_value, "max_value", "ReLU", 0)
        self.negative_slope = _number(negative_slope, "negative_slope", "ReLU", 0)
        self.threshold = _number(threshold, "threshold", "ReLU")

    def call(self, inputs):
        if self.negative_slope == 0 and self.threshold == 0:
            out = F.relu(inputs)
        else:
            out = where(inputs >= self.threshold, inputs, (inputs - self.threshold) * self.negative_slope)
        if self.max_value is not None:
            out = out.clamp(max=self.max_value)
        return out

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value, "negative_slope": self.negative_slope,
                "threshold": self.threshold}


class LeakyReLU(Layer):
    """`x` for x >= 0, `negative_slope * x` below (Keras's default slope 0.3)."""

    def __init__(self, negative_slope=0.3, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # passes the input's mask on, as Keras
        self.negative_slope = _number(negative_slope, "negative_slope", "LeakyReLU", 0)

    def call(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ELU(Layer):
    """`x` for x > 0, `alpha * (exp(x) - 1)` below."""

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # passes the input's mask on, as Keras
        self.alpha = _number(alpha, "alpha", "ELU")

    def call(self, inputs):
        return F.elu(inputs, self.alpha)

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(Layer):
    """Softmax along `axis` (the last by default); `call(inputs, mask)` gives masked-out (False)
    entries -1e9 first, as Keras."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # passes the input's mask on, as Keras
        if not isinstance(axis, int) or isinstance(axis, bool):
            raise ArgumentError(f"Softmax: axis must be an int, got {axis!r}")
        self.axis = axis

    def call(self, inputs, mask=None):
        if mask is not None:
            inputs = inputs - (1.0 - mask.to(dtypes.bool_).to(inputs.dtype)) * 1e9
        return F.softmax(inputs, dim=self.axis)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Rescaling(Layer):
    """`inputs * scale + offset`, e.g. `Rescaling(1 / 255)` for pixel values."""

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # passes the input's mask on, as Keras
        self.scale, self.offset = _number(scale, "scale", "Rescaling"), _number(offset, "offset", "Rescaling")

    def call(self, inputs):
        if not inputs.dtype.is_floating_point:
            inputs = inputs.to(dtypes.float32)
        return inputs * self.scale + self.offset

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


class _SpatialDropout(Layer):
    rank = 1

    def __init__(self, rate, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        check_format(data_format, type(self).__name__)
        self.seed = seed
        self.supports_masking = True  # passes the input's mask on, as Keras
        if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
            raise ArgumentError(f"{type(self).__name__}: rate must be in [0, 1), got {rate!r}")
        self.rate = float(rate)

    def call(self, inputs, training=None):
        check_channels_last(self, inputs, self.rank)
        if not training or self.rate == 0:
            return inputs
        shape = (inputs.shape[0],) + (1,) * self.rank + (inputs.shape[-1],)
        return inputs * F.dropout(ones(*shape, dtype=inputs.dtype, device=inputs.device), self.rate)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, steps, channels) in training, scaling the rest by 1 / (1 - rate)."""
    rank = 1


class SpatialDropout2D(_SpatialDropout):
    """Drops whole channels of (batch, height, width, channels) in training."""
    rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole channels of (batch, depth, height, width, channels) in training."""
    rank = 3
