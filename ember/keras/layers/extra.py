"""Small Keras layers: `Identity`, `ActivityRegularization`, `GaussianNoise`, `GaussianDropout`,
`UnitNormalization`, `RMSNormalization`, `PReLU`.

    >>> keras.layers.UnitNormalization()(ember.tensor([[3.0, 4.0]]))
    tensor([[0.6000, 0.8000]])
"""
from ember.errors import ArgumentError
from ember.ops.binary import maximum, where
from ember.ops.creation import randn_like
from ember.keras import initializers
from ember.keras.layers._util import weight_config
from ember.keras.layers.base import Layer

__all__ = ["Identity", "ActivityRegularization", "GaussianNoise", "GaussianDropout", "UnitNormalization",
           "RMSNormalization", "PReLU"]


def _rate(rate, where_):
    if not isinstance(rate, (int, float)) or not 0 <= rate < 1:
        raise ArgumentError(f"{where_}: rate must be in [0, 1), got {rate!r}")
    return float(rate)


class Identity(Layer):
    """Returns its input unchanged (a placeholder layer)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True


class ActivityRegularization(Layer):
    """The identity, adding `l1 * sum(|x|) + l2 * sum(x ** 2)` (over the batch, divided by its size,
    as Keras) to the model's losses."""

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.l1, self.l2 = float(l1), float(l2)
        self.supports_masking = True

    def call(self, inputs):
        penalty = self.l1 * inputs.abs().sum() + self.l2 * (inputs * inputs).sum()
        self.add_loss(penalty / inputs.shape[0])
        return inputs

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}


class GaussianNoise(Layer):
    """Adds N(0, stddev^2) noise in training; the identity at inference."""

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.stddev, self.seed = float(stddev), seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        return inputs + randn_like(inputs) * self.stddev if training and self.stddev else inputs

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies by N(1, rate / (1 - rate)) noise in training; the identity at inference."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate, self.seed = _rate(rate, "GaussianDropout"), seed
        self.supports_masking = True

    def call(self, inputs, training=False):
        if not training or not self.rate:
            return inputs
        return inputs * (1 + randn_like(inputs) * (self.rate / (1 - self.rate)) ** 0.5)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over `axis` (default the last)."""

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True

    def call(self, inputs):
        axes = tuple(self.axis) if isinstance(self.axis, (list, tuple)) else (self.axis,)
        square_sum = (inputs * inputs).sum(axes, keepdim=True)
        return inputs * maximum(square_sum, square_sum.new_full((), 1e-12)).rsqrt()

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """`x / sqrt(mean(x ** 2, axis) + epsilon) * scale`, with a learned `scale` over the last axis."""

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis, self.epsilon = axis, float(epsilon)
        self.supports_masking = True

    def build(self, input_shape):
        self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")

    def call(self, inputs):
        return inputs * ((inputs * inputs).mean(self.axis, keepdim=True) + self.epsilon).rsqrt() * self.scale

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}


class PReLU(Layer):
    """`x` where positive, else `alpha * x` with a learned `alpha` per feature (shared over
    `shared_axes`)."""

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None, alpha_constraint=None, shared_axes=None,
                 **kwargs):
        super().__init__(**kwargs)
        if alpha_constraint is not None:
            raise ArgumentError("PReLU: alpha_constraint is not supported by ember")
        self.alpha_initializer, self.alpha_regularizer = alpha_initializer, alpha_regularizer
        self.shared_axes = [shared_axes] if isinstance(shared_axes, int) else shared_axes
        self.supports_masking = True

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            shape[axis - 1] = 1
        self.alpha = self.add_weight(tuple(shape), initializers.get(self.alpha_initializer), name="alpha",
                                     regularizer=self.alpha_regularizer)

    def call(self, inputs):
        return where(inputs >= 0, inputs, inputs * self.alpha)

    def get_config(self):
        return {**super().get_config(), "shared_axes": self.shared_axes,
                **weight_config(self, "alpha_initializer", "alpha_regularizer")}
