"""Keras's convolutions, channels-last: `Conv1D` over (batch, steps, channels), `Conv2D` and
`Conv2DTranspose` over (batch, height, width, channels).

Kernels have Keras's layouts: (k, in, filters), (kh, kw, in, filters) and, transposed,
(kh, kw, filters, in); the math runs through `ember.nn.functional` on channels-first views,
with TensorFlow's 'same' padding (the odd pixel after).

    >>> conv = keras.layers.Conv2D(4, 3, padding="same")
    >>> conv(ember.ones(2, 8, 8, 1)).shape, tuple(conv.kernel.shape)
    (ember.Size([2, 8, 8, 4]), (3, 3, 1, 4))
    >>> keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same")(ember.ones(1, 4, 4, 3)).shape
    ember.Size([1, 8, 8, 2])
"""
import math

from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.keras import activations
from ember.keras.layers.base import Layer
from ember.keras.layers._util import positive_int, weight_config

__all__ = ["Conv1D", "Conv2D", "Conv2DTranspose"]


SPATIAL_DIMS = {1: "steps", 2: "height, width", 3: "depth, height, width"}
CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def ntuple(value, n, what, where):
    """An int or `n` positive ints, as an n-tuple."""
    out = (value,) * n if isinstance(value, int) and not isinstance(value, bool) else tuple(value)
    if len(out) != n or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in out):
        raise ArgumentError(f"{where}: {what} must be a positive int or {n} of them, got {value!r}")
    return out


def pair(value, what, where):
    """An int or a pair of positive ints, as a pair."""
    return ntuple(value, 2, what, where)


def check_padding(padding, where, allowed=("valid", "same")):
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ArgumentError(f"{where}: padding must be one of {', '.join(map(repr, allowed))}, got {padding!r}")
    return padding.lower()


def check_format(data_format, where):
    if data_format not in (None, "channels_last"):
        raise ArgumentError(f"{where}: data_format={data_format!r} is not supported; use 'channels_last'")


def same_pads(size, kernel, stride, dilation=1):
    """TensorFlow's 'same' padding of one dimension: (before, after), the odd one after."""
    out = math.ceil(size / stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def pad_same(x, kernel, strides, dilation=None, value=0.0):
    """Pad channels-first `x` (N, C, *spatial) as TensorFlow's 'same' does."""
    dilation = dilation or (1,) * len(kernel)
    pads = [same_pads(n, k, s, d) for n, k, s, d in zip(x.shape[2:], kernel, strides, dilation)]
    if not any(before or after for before, after in pads):
        return x
    flat = [p for before_after in reversed(pads) for p in before_after]  # F.pad: last dim first
    return F.pad(x, tuple(flat), value=value)


def check_channels_last(layer, inputs, rank, channels=None):
    """A ShapeError naming the layer unless `inputs` is (batch, *rank spatial dims, channels)."""
    if inputs.ndim != rank + 2 or (channels is not None and inputs.shape[-1] != channels):
        dims = SPATIAL_DIMS[rank]
        want = f"(batch, {dims}, {channels if channels is not None else 'channels'})"
        raise ShapeError(f"{type(layer).__name__} {layer.name!r}: input of shape {tuple(inputs.shape)}: "
                         f"expected {want} (channels last)")


def check_nhwc(layer, inputs, channels=None):
    check_channels_last(layer, inputs, 2, channels)


def to_channels_first(x):
    return x.permute(0, x.ndim - 1, *range(1, x.ndim - 1))


def to_channels_last(x):
    return x.permute(0, *range(2, x.ndim), 1)


class _Conv(Layer):
    rank, paddings = 2, ("valid", "same")

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        where, n = type(self).__name__, self.rank
        check_format(data_format, where)
        self.filters = positive_int(filters, "filters", where)
        self.groups = positive_int(groups, "groups", where)
        self.use_bias = bool(use_bias)
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", where)
        self.strides = ntuple(strides, n, "strides", where)
        self.dilation_rate = ntuple(dilation_rate, n, "dilation_rate", where)
        self.padding = check_padding(padding, where, self.paddings)
        self.activation = activations.get(activation)
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer

    def _kernel_shape(self, in_channels):
        return self.kernel_size + (in_channels // self.groups, self.filters)

    def build(self, input_shape):
        where = f"{type(self).__name__} {self.name!r}"
        if len(input_shape) != self.rank + 2 or input_shape[-1] is None:
            dims = SPATIAL_DIMS[self.rank]
            raise ShapeError(f"{where}: input of shape {tuple(input_shape)}: expected (batch, {dims}, channels) "
                             "(channels last) with known channels")
        self.in_channels = input_shape[-1]
        if self.in_channels % self.groups or self.filters % self.groups:
            raise ArgumentError(f"{where}: groups={self.groups} must divide the input channels "
                                f"({self.in_channels}) and filters ({self.filters})")
        self.kernel = self.add_weight(self._kernel_shape(self.in_channels), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((self.filters,), self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)

    def _pad(self, x):
        """(x, the padding the convolution applies itself). TensorFlow's 'same' is the convolution's own
        'same' at stride 1, and equal pads on each side where a stride leaves them equal: the kernel then
        pads while laying out its columns, with no pad op copying x (and its gradient) on the way."""
        if self.padding == "same":
            if all(s == 1 for s in self.strides):
                return x, "same"
            pads = [same_pads(n, k, s, d)
                    for n, k, s, d in zip(x.shape[2:], self.kernel_size, self.strides, self.dilation_rate)]
            if all(before == after for before, after in pads):
                return x, tuple(before for before, _ in pads)
            return pad_same(x, self.kernel_size, self.strides, self.dilation_rate), 0
        if self.padding == "causal":
            return F.pad(x, ((self.kernel_size[0] - 1) * self.dilation_rate[0], 0)), 0
        return x, 0

    def call(self, inputs):
        check_channels_last(self, inputs, self.rank, self.in_channels)
        x, padding = self._pad(to_channels_first(inputs))
        weight = self.kernel.permute(self.rank + 1, self.rank, *range(self.rank))  # (out, in, *kernel)
        out = CONV[self.rank](x, weight, self.bias if self.use_bias else None, self.strides, padding,
                              self.dilation_rate, self.groups)
        return self.activation(to_channels_last(out))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "dilation_rate": self.dilation_rate,
                "groups": self.groups, "use_bias": self.use_bias,
                **weight_config(self, "activation", "kernel_initializer", "bias_initializer", "kernel_regularizer",
                                "bias_regularizer")}

    def extra_repr(self):
        return (f"filters={self.filters}, kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}")


class Conv1D(_Conv):
    """1-d convolution over (batch, steps, channels) inputs, Keras's `Conv1D`; padding 'valid',
    'same' or 'causal' (left-padded so step t sees only steps <= t)."""
    rank, paddings = 1, ("valid", "same", "causal")


class Conv2D(_Conv):
    """2-d convolution over (batch, height, width, channels) inputs, Keras's `Conv2D`."""
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", data_format=None,
                 dilation_rate=(1, 1), groups=1, activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, groups, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)


def transpose_length(size, kernel, padding, output_padding, stride, dilation):
    """Keras's output length of a transposed convolution along one dim."""
    kernel = (kernel - 1) * dilation + 1
    if output_padding is None:
        return size * stride + max(kernel - stride, 0) if padding == "valid" else size * stride
    pad = kernel // 2 if padding == "same" else 0
    return (size - 1) * stride + kernel - 2 * pad + output_padding


class Conv2DTranspose(_Conv):
    """The transpose (gradient) of `Conv2D`, Keras's `Conv2DTranspose`: kernel (kh, kw, filters, in),
    output size `size * stride` with 'same' padding, `size * stride + max(k - stride, 0)` with 'valid',
    or set by `output_padding`."""
    rank = 2

    def __init__(self, filters, kernel_size, strides=(1, 1), padding="valid", output_padding=None, data_format=None,
                 dilation_rate=(1, 1), activation=None, use_bias=True, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(filters, kernel_size, strides, padding, data_format, dilation_rate, 1, activation,
                         use_bias, kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer, **kwargs)
        self.output_padding = None
        if output_padding is not None:
            pads = (output_padding,) * 2 if isinstance(output_padding, int) else tuple(output_padding)
            if len(pads) != 2 or any(not isinstance(p, int) or p < 0 or p >= s for p, s in zip(pads, self.strides)):
                raise ArgumentError(f"Conv2DTranspose: output_padding must be one or two ints in [0, strides), "
                                    f"got {output_padding!r} with strides {self.strides}")
            self.output_padding = pads

    def _kernel_shape(self, in_channels):
        return self.kernel_size + (self.filters, in_channels)

    def call(self, inputs):
        check_channels_last(self, inputs, 2, self.in_channels)
        x = to_channels_first(inputs)
        weight = self.kernel.permute(3, 2, 0, 1)  # (kh, kw, out, in) -> (in, out, kh, kw)
        full = F.conv_transpose2d(x, weight, None, self.strides, 0, 0, 1, self.dilation_rate)
        crops = []
        for i in range(2):
            size, full_size = x.shape[2 + i], full.shape[2 + i]
            out = transpose_length(size, self.kernel_size[i], self.padding,
                                   None if self.output_padding is None else self.output_padding[i],
                                   self.strides[i], self.dilation_rate[i])
            before = 0
            if self.padding == "same":  # TensorFlow's pads of the convolution this is the gradient of
                k = (self.kernel_size[i] - 1) * self.dilation_rate[i] + 1
                before = max((size - 1) * self.strides[i] + k - out, 0) // 2
            crops.append((before, out, max(before + out - full_size, 0)))
        (top, h, pad_h), (left, w, pad_w) = crops
        if pad_h or pad_w:
            full = F.pad(full, (0, pad_w, 0, pad_h))
        out = full[:, :, top:top + h, left:left + w]
        if self.use_bias:
            out = out + self.bias.reshape(1, -1, 1, 1)
        return self.activation(to_channels_last(out))

    def get_config(self):
        config = super().get_config()
        del config["groups"]
        return {**config, "output_padding": self.output_padding}
