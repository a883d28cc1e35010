"""Keras's 2-d convolution and pooling, channels-last: inputs are (batch, height, width, channels).

The kernel has Keras's layout (kh, kw, in_channels, filters); the math runs through
`ember.nn.functional.conv2d` / `max_pool2d` on a channels-first view.

    >>> conv = keras.layers.Conv2D(4, 3, padding="same")
    >>> conv(ember.ones(2, 8, 8, 1)).shape, tuple(conv.kernel.shape)
    (ember.Size([2, 8, 8, 4]), (3, 3, 1, 4))
"""
import math

from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.keras import activations
from ember.keras.layers.base import Layer

__all__ = ["Conv2D", "MaxPooling2D", "AveragePooling2D"]


def pair(value, what, where):
    """An int or a pair of positive ints, as a pair."""
    pair_ = (value, value) if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if len(pair_) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in pair_):
        raise ArgumentError(f"{where}: {what} must be a positive int or a pair of them, got {value!r}")
    return pair_


def check_padding(padding, where):
    if not isinstance(padding, str) or padding.lower() not in ("valid", "same"):
        raise ArgumentError(f"{where}: padding must be 'valid' or 'same', got {padding!r}")
    return padding.lower()


def check_format(data_format, where):
    if data_format not in (None, "channels_last"):
        raise ArgumentError(f"{where}: data_format={data_format!r} is not supported; use 'channels_last'")


def same_pads(size, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding of one dimension: (before, after), the odd one after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def pad_same(x, kernel, strides, dilation=(1, 1), value=0.0):
    """Pad (N, C, H, W) `x` as TensorFlow's 'same' does."""
    (top, bottom), (left, right) = (same_pads(x.shape[2], kernel[0], strides[0], dilation[0]),
                                    same_pads(x.shape[3], kernel[1], strides[1], dilation[1]))
    if top == bottom == left == right == 0:
        return x
    return F.pad(x, (left, right, top, bottom), value=value)


def check_nhwc(layer, inputs, channels=None):
    if inputs.ndim != 4 or (channels is not None and inputs.shape[-1] != channels):
        want = f"(batch, height, width, {channels})" if channels is not None else "(batch, height, width, channels)"
        raise ShapeError(f"{type(layer).__name__} {layer.name!r}: input of shape {tuple(inputs.shape)}: "
                         f"expected {want} (channels last)")


class Conv2D(Layer):
    """2-d convolution over (batch, height, width, channels) inputs, Keras's `Conv2D`."""

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None, dilation_rate=(1, 1),
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or isinstance(filters, bool) or filters <= 0:
            raise ArgumentError(f"Conv2D: filters must be a positive int, got {filters!r}")
        check_format(data_format, "Conv2D")
        self.filters, self.groups, self.use_bias = filters, groups, bool(use_bias)
        self.kernel_size = pair(kernel_size, "kernel_size", "Conv2D")
        self.strides = pair(strides, "strides", "Conv2D")
        self.dilation_rate = pair(dilation_rate, "dilation_rate", "Conv2D")
        self.padding = check_padding(padding, "Conv2D")
        self.activation = activations.get(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ShapeError(f"Conv2D {self.name!r}: input of shape {input_shape}: expected (batch, height, width, "
                             "channels) with known channels")
        self.in_channels = input_shape[-1]
        if self.in_channels % self.groups or self.filters % self.groups:
            raise ArgumentError(f"Conv2D {self.name!r}: groups={self.groups} must divide the input channels "
                                f"({self.in_channels}) and filters ({self.filters})")
        shape = self.kernel_size + (self.in_channels // self.groups, self.filters)
        self.kernel = self.add_weight(shape, self.kernel_initializer, name="kernel")
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias")

    def call(self, inputs):
        check_nhwc(self, inputs, self.in_channels)
        x = inputs.permute(0, 3, 1, 2)
        if self.padding == "same":
            x = pad_same(x, self.kernel_size, self.strides, self.dilation_rate)
        weight = self.kernel.permute(3, 2, 0, 1)  # (kh, kw, in, out) -> (out, in, kh, kw)
        out = F.conv2d(x, weight, self.bias if self.use_bias else None, self.strides, 0, self.dilation_rate, self.groups)
        return self.activation(out.permute(0, 2, 3, 1))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "dilation_rate": self.dilation_rate,
                "groups": self.groups, "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias}

    def extra_repr(self):
        return (f"filters={self.filters}, kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}")


class _Pooling2D(Layer):
    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        check_format(data_format, where)
        self.pool_size = pair(pool_size, "pool_size", where)
        self.strides = self.pool_size if strides is None else pair(strides, "strides", where)
        self.padding = check_padding(padding, where)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "strides": self.strides,
                "padding": self.padding}


class MaxPooling2D(_Pooling2D):
    """Max over (pool_size) windows of (batch, height, width, channels) inputs."""

    def call(self, inputs):
        check_nhwc(self, inputs)
        x = inputs.permute(0, 3, 1, 2)
        if self.padding == "same":
            x = pad_same(x, self.pool_size, self.strides, value=-math.inf)
        return F.max_pool2d(x, self.pool_size, self.strides).permute(0, 2, 3, 1)


class AveragePooling2D(_Pooling2D):
    """Mean over (pool_size) windows of (batch, height, width, channels) inputs ('valid' padding)."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, padding, data_format, **kwargs)
        if self.padding != "valid":
            raise ArgumentError("AveragePooling2D: only padding='valid' is supported")

    def call(self, inputs):
        check_nhwc(self, inputs)
        return F.avg_pool2d(inputs.permute(0, 3, 1, 2), self.pool_size, self.strides).permute(0, 2, 3, 1)
