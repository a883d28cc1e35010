"""Keras's other convolutions, channels-last: `Conv3D`, the transposed `Conv1DTranspose` and
`Conv3DTranspose`, the depthwise (`DepthwiseConv1D/2D`: each channel by its own
`depth_multiplier` filters) and the separable (`SeparableConv1D/2D`: depthwise, then 1x1).

Kernels have Keras's layouts: (*k, in, filters), transposed (*k, filters, in), depthwise
(*k, in, depth_multiplier), pointwise (1..., in * depth_multiplier, filters).

    >>> keras.layers.SeparableConv2D(8, 3, padding="same")(ember.ones(2, 5, 5, 3)).shape
    ember.Size([2, 5, 5, 8])
    >>> keras.layers.Conv1DTranspose(4, 3, strides=2)(ember.ones(1, 6, 2)).shape
    ember.Size([1, 13, 4])
"""
from ember.errors import ArgumentError, ShapeError
from ember.keras import activations
from ember.keras.layers._util import positive_int, weight_config
from ember.keras.layers.base import Layer
from ember.keras.layers.conv import SPATIAL_DIMS, _Conv, check_channels_last, check_format, check_padding, ntuple
from ember.keras.ops_nn import conv, conv_transpose, depthwise_conv

__all__ = ["Conv3D", "Conv1DTranspose", "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
           "SeparableConv2D"]


class Conv3D(_Conv):
    """3-d convolution over (batch, depth, height, width, channels) inputs, Keras's `Conv3D`."""
    rank = 3


class _ConvTranspose(_Conv):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            pads = ntuple(output_padding, self.rank, "output_padding", type(self).__name__) \
                if output_padding else (0,) * self.rank
            if any(p >= s for p, s in zip(pads, self.strides)):
                raise ArgumentError(f"{type(self).__name__}: output_padding {pads} must be below strides "
                                    f"{self.strides}")
            self.output_padding = pads

    def _kernel_shape(self, in_channels):
        return self.kernel_size + (self.filters, in_channels)

    def call(self, inputs):
        check_channels_last(self, inputs, self.rank, self.in_channels)
        out = conv_transpose(inputs, self.kernel, self.strides, self.padding, self.output_padding,
                             dilation_rate=self.dilation_rate)
        return self.activation(out + self.bias if self.use_bias else out)

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        return {**config, "output_padding": self.output_padding}


class Conv1DTranspose(_ConvTranspose):
    """The transpose of `Conv1D` over (batch, steps, channels)."""
    rank = 1


class Conv3DTranspose(_ConvTranspose):
    """The transpose of `Conv3D` over (batch, depth, height, width, channels)."""
    rank = 3


class _DepthwiseBase(Layer):
    """Shared by the depthwise and separable layers: arguments, the depthwise kernel, the bias."""
    rank = 2

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1, data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        where, n = type(self).__name__, self.rank
        check_format(data_format, where)
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", where)
        self.strides = ntuple(strides, n, "strides", where)
        self.dilation_rate = ntuple(dilation_rate, n, "dilation_rate", where)
        self.padding = check_padding(padding, where)
        self.depth_multiplier = positive_int(depth_multiplier, "depth_multiplier", where)
        self.activation, self.use_bias = activations.get(activation), bool(use_bias)
        self.depthwise_initializer, self.bias_initializer = depthwise_initializer, bias_initializer
        self.depthwise_regularizer, self.bias_regularizer = depthwise_regularizer, bias_regularizer

    def _check_build(self, input_shape):
        if len(input_shape) != self.rank + 2 or input_shape[-1] is None:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: input of shape {tuple(input_shape)}: expected "
                             f"(batch, {SPATIAL_DIMS[self.rank]}, channels) (channels last) with known channels")
        self.in_channels = input_shape[-1]

    def _depthwise(self, inputs):
        check_channels_last(self, inputs, self.rank, self.in_channels)
        return depthwise_conv(inputs, self.depthwise_kernel if hasattr(self, "pointwise_kernel") else self.kernel,
                              self.strides, self.padding, dilation_rate=self.dilation_rate)

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "depth_multiplier": self.depth_multiplier,
                "dilation_rate": self.dilation_rate, "use_bias": self.use_bias,
                **weight_config(self, "activation", "depthwise_initializer", "bias_initializer",
                                "depthwise_regularizer", "bias_regularizer")}


class _Depthwise(_DepthwiseBase):
    def build(self, input_shape):
        self._check_build(input_shape)
        self.kernel = self.add_weight(self.kernel_size + (self.in_channels, self.depth_multiplier),
                                      self.depthwise_initializer, name="kernel",
                                      regularizer=self.depthwise_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.in_channels * self.depth_multiplier,), self.bias_initializer,
                                        name="bias", regularizer=self.bias_regularizer)

    def call(self, inputs):
        out = self._depthwise(inputs)
        return self.activation(out + self.bias if self.use_bias else out)


class DepthwiseConv1D(_Depthwise):
    """Each channel of (batch, steps, channels) convolved by its own `depth_multiplier` filters."""
    rank = 1


class DepthwiseConv2D(_Depthwise):
    """Each channel of (batch, height, width, channels) convolved by its own `depth_multiplier` filters."""
    rank = 2


class _Separable(_DepthwiseBase):
    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 depth_multiplier=1, activation=None, use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(kernel_size, strides, padding, depth_multiplier, data_format, dilation_rate, activation,
                         use_bias, depthwise_initializer, bias_initializer, depthwise_regularizer, bias_regularizer,
                         **kwargs)
        self.filters = positive_int(filters, "filters", type(self).__name__)
        self.pointwise_initializer, self.pointwise_regularizer = pointwise_initializer, pointwise_regularizer

    def build(self, input_shape):
        self._check_build(input_shape)
        self.depthwise_kernel = self.add_weight(self.kernel_size + (self.in_channels, self.depth_multiplier),
                                                self.depthwise_initializer, name="depthwise_kernel",
                                                regularizer=self.depthwise_regularizer)
        self.pointwise_kernel = self.add_weight((1,) * self.rank + (self.in_channels * self.depth_multiplier,
                                                                    self.filters),
                                                self.pointwise_initializer, name="pointwise_kernel",
                                                regularizer=self.pointwise_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)

    def call(self, inputs):
        out = conv(self._depthwise(inputs), self.pointwise_kernel)
        return self.activation(out + self.bias if self.use_bias else out)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters,
                **weight_config(self, "pointwise_initializer", "pointwise_regularizer")}


class SeparableConv1D(_Separable):
    """A depthwise convolution of (batch, steps, channels), then a pointwise (1-wide) one to `filters`."""
    rank = 1


class SeparableConv2D(_Separable):
    """A depthwise convolution of (batch, height, width, channels), then a 1x1 one to `filters`."""
    rank = 2
