"""Keras's core layers: `Dense`, `Activation`, `Dropout`, `Flatten`.

    >>> layer = keras.layers.Dense(3, activation="relu")
    >>> layer(ember.ones(2, 5)).shape, tuple(layer.kernel.shape)
    (ember.Size([2, 3]), (5, 3))
"""
from ember.errors import ArgumentError, ShapeError
from ember.io import model as io_model
from ember.nn import Module
from ember.nn import functional as F
from ember.ops.linalg import matmul
from ember.keras import activations
from ember.keras.layers._util import weight_config
from ember.keras.layers.base import REGISTERED, Layer

__all__ = ["Dense", "Activation", "Dropout", "Flatten", "Lambda", "ModuleWrapper", "Masking"]


class Dense(Layer):
    """`activation(inputs @ kernel + bias)`, with `kernel` of shape (input_dim, units) as in Keras.

    The kernel starts glorot-uniform and the bias at zeros (Keras's defaults, not PyTorch's).
    """

    def __init__(self, units, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # passes the input's mask on, as Keras
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
        self.supports_masking = True  # passes the input's mask on, as Keras
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """Zeroes a fraction `rate` of the inputs during training and scales the rest by 1 / (1 - rate)."""

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True  # passes the input's mask on, as Keras
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


class ModuleWrapper(Layer):
    """Any `ember.nn.Module` as a Keras layer, so it can be called on `keras.Input`s in a functional
    model (a `Sequential` takes modules directly): `ModuleWrapper(ember.nn.LSTM(8, 16, batch_first=True))`.
    Saved by the module's registered ember spec."""

    def __init__(self, module, **kwargs):
        if isinstance(module, dict):
            module = io_model.build(module)
        if not isinstance(module, Module):
            raise ArgumentError(f"ModuleWrapper: expected an ember.nn.Module, got {type(module).__name__}")
        super().__init__(**kwargs)
        self.module = module

    def call(self, *inputs):
        return self.module(*inputs)

    def get_config(self):
        return {**super().get_config(), "module": io_model.spec_of(self.module)}


class Lambda(Layer):
    """A function as a layer: `Lambda(lambda x: x ** 2)`. To be saved, the function must be registered
    with `@keras.saving.register_keras_serializable()` (files never hold code)."""

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        if isinstance(function, str):
            name, function = function, REGISTERED.get(function)
            if function is None:
                raise ArgumentError(f"Lambda: no function is registered as {name!r}; register it with "
                                    "@keras.saving.register_keras_serializable() before loading")
        if not callable(function):
            raise ArgumentError(f"Lambda: function must be callable, got {type(function).__name__}")
        super().__init__(**kwargs)
        self.function, self.arguments = function, dict(arguments or {})

    def call(self, inputs):
        return self.function(inputs, **self.arguments)

    def get_config(self):
        name = getattr(self.function, "_registered_name", None)
        if name is None:
            raise ArgumentError(f"Lambda {self.name!r}: its function {getattr(self.function, '__name__', '?')} "
                                "cannot be saved: files hold no code. Register it with "
                                "@keras.saving.register_keras_serializable(), or write a keras.layers.Layer subclass")
        return {**super().get_config(), "function": name, "arguments": self.arguments}


class Masking(Layer):
    """Marks as padding the steps whose features all equal `mask_value`: they are zeroed, and the
    layers after this one skip them (RNNs), ignore them (attention) or leave them out (pooling).

        >>> x = ember.tensor([[[1.0], [0.0], [2.0]]])
        >>> keras.layers.Masking()(x)._keras_mask
        tensor([[ True, False,  True]])
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)
        self.supports_masking = True

    def compute_mask(self, inputs, previous_mask=None):
        return (inputs != self.mask_value).any(-1)

    def call(self, inputs):
        keep = (inputs != self.mask_value).any(-1, keepdim=True)
        return inputs * keep.to(inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
