"""Keras's core layers: `Dense`, `Activation`, `Dropout`, `Flatten`.

    >>> layer = keras.layers.Dense(3, activation="relu")
    >>> layer(ember.ones(2, 5)).shape, tuple(layer.kernel.shape)
    (ember.Size([2, 3]), (5, 3))
"""
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.linalg import matmul
from ember.keras import activations
from ember.keras.layers._util import weight_config
from ember.keras.layers.base import Layer

__all__ = ["Dense", "Activation", "Dropout", "Flatten"]


class Dense(Layer):
    """`activation(inputs @ kernel + bias)`, with `kernel` of shape (input_dim, units) as in Keras.

    The kernel starts glorot-uniform and the bias at zeros (Keras's defaults, not PyTorch's).
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ArgumentError(f"Dense: units must be a positive int, got {units!r}")
        self.units, self.use_bias = units, bool(use_bias)
        self.activation = activations.get(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer

    def build(self, input_shape):
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ShapeError(f"Dense {self.name!r}: input of shape {input_shape} needs a known last dimension "
                             "(the features)")
        self.input_dim = input_shape[-1]
        self.kernel = self.add_weight((self.input_dim, self.units), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.units,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)

    def call(self, inputs):
        if inputs.shape[-1] != self.input_dim:
            raise ShapeError(f"Dense {self.name!r} (units={self.units}) was built for inputs with last "
                             f"dimension {self.input_dim}, got input of shape {tuple(inputs.shape)}")
        out = matmul(inputs, self.kernel)
        if self.use_bias:
            out = out + self.bias
        return self.activation(out)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "use_bias": self.use_bias,
                **weight_config(self, "activation", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                "bias_regularizer")}

    def extra_repr(self):
        return f"units={self.units}, activation={activations.serialize(self.activation)}"


class Activation(Layer):
    """Applies an activation by name or callable: `Activation("relu")`."""

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs during training and scales the rest by 1 / (1 - rate)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= rate < 1:
            raise ArgumentError(f"Dropout: rate must be in [0, 1), got {rate!r}")
        if noise_shape is not None:
            raise ArgumentError("Dropout: noise_shape is not supported; leave it None")
        self.rate = float(rate)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        return F.dropout(inputs, self.rate, training=True)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate}


class Flatten(Layer):
    """Reshapes (batch, d1, d2, ...) to (batch, d1 * d2 * ...), in channels-last order."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ArgumentError(f"Flatten: data_format={data_format!r} is not supported; use 'channels_last'")

    def call(self, inputs):
        return inputs.reshape(inputs.shape[0], -1)
