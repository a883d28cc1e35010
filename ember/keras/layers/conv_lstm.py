"""Keras's convolutional LSTMs, channels-last: `ConvLSTM1D` over (batch, time, steps, channels),
`ConvLSTM2D` over (batch, time, height, width, channels), `ConvLSTM3D` over (batch, time, depth,
height, width, channels).

An LSTM whose input and recurrent transformations are convolutions. Weights have Keras's layouts:
`kernel` (*kernel_size, channels, 4 * filters), `recurrent_kernel` (*kernel_size, filters,
4 * filters), `bias` (4 * filters,), gates i, f, c, o; `unit_forget_bias` starts the forget gate's
bias at 1. The input convolution uses `strides`, `padding` and `dilation_rate`; the recurrent one
is stride 1 with 'same' padding. The input convolution of every timestep runs as one batched call.
In training, `dropout` and `recurrent_dropout` multiply the input and the previous output by Keras's
masks: one per gate, scaled by 1 / (1 - rate), drawn once per call and kept over the timesteps.

    >>> layer = keras.layers.ConvLSTM2D(4, 3, padding="same", return_sequences=True)
    >>> layer(ember.ones(2, 5, 8, 8, 1)).shape, tuple(layer.kernel.shape)
    (ember.Size([2, 5, 8, 8, 4]), (3, 3, 1, 16))
"""
from ember.autograd import Tensor, no_grad
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.creation import ones_like, zeros
from ember.ops.join import cat, stack
from ember.keras import activations, initializers
from ember.keras.layers.base import Layer
from ember.keras.layers.conv import CONV, SPATIAL_DIMS, check_format, check_padding, ntuple, pad_same, \
    to_channels_first, to_channels_last
from ember.keras.layers._util import positive_int, weight_config

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]

# Keras arguments ember does not implement here, with the values that mean "off".
_OFF = {"kernel_constraint": None, "recurrent_constraint": None, "bias_constraint": None, "stateful": False,
        "activity_regularizer": None}


class _ConvLSTM(Layer):
    rank = 2

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None, dilation_rate=1,
                 activation="tanh", recurrent_activation="sigmoid", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", unit_forget_bias=True,
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, dropout=0.0,
                 recurrent_dropout=0.0, seed=None, return_sequences=False, return_state=False, go_backwards=False,
                 **kwargs):
        where, n = type(self).__name__, self.rank
        for key in [k for k in kwargs if k in _OFF]:
            value = kwargs.pop(key)
            if value != _OFF[key]:
                raise ArgumentError(f"{where}: {key}={value!r} is not supported by ember")
        super().__init__(**kwargs)
        check_format(data_format, where)
        self.filters = positive_int(filters, "filters", where)
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", where)
        self.strides = ntuple(strides, n, "strides", where)
        self.dilation_rate = ntuple(dilation_rate, n, "dilation_rate", where)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ArgumentError(f"{where}: strides > 1 cannot be combined with dilation_rate > 1; got "
                                f"strides={self.strides}, dilation_rate={self.dilation_rate}")
        self.padding = check_padding(padding, where)
        for what, rate in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate < 1:
                raise ArgumentError(f"{where}: {what} must be a number in [0, 1), got {rate!r}")
        if seed is not None:
            raise ArgumentError(f"{where}: seed={seed!r} is not supported; dropout draws from ember's generator "
                                "(seed it with ember.manual_seed)")
        self.dropout, self.recurrent_dropout = float(dropout), float(recurrent_dropout)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = bool(use_bias), bool(unit_forget_bias)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.kernel_initializer, self.recurrent_initializer = kernel_initializer, recurrent_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer, self.recurrent_regularizer = kernel_regularizer, recurrent_regularizer
        self.bias_regularizer = bias_regularizer

    def build(self, input_shape):
        if len(input_shape) != self.rank + 3 or None in tuple(input_shape[2:]):
            raise ShapeError(f"{type(self).__name__} {self.name!r}: input of shape {tuple(input_shape)}: expected "
                             f"(batch, time, {SPATIAL_DIMS[self.rank]}, channels) with known spatial sizes and "
                             "channels (channels last)")
        self.spatial_dims, self.input_dim = tuple(input_shape[2:-1]), input_shape[-1]
        k = 4 * self.filters
        self.kernel = self.add_weight(self.kernel_size + (self.input_dim, k), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight(self.kernel_size + (self.filters, k), self.recurrent_initializer,
                                                name="recurrent_kernel", regularizer=self.recurrent_regularizer)
        if self.use_bias:
            self.bias = self.add_weight((k,), self._bias_initializer(), name="bias",
                                        regularizer=self.bias_regularizer)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, filters = initializers.get(self.bias_initializer), self.filters

        def forget_ones(tensor):
            base(tensor)
            with no_grad():
                tensor[filters:2 * filters] = 1.0
            return tensor
        return forget_ones

    def _conv_weight(self, kernel):
        return kernel.permute(self.rank + 1, self.rank, *range(self.rank))  # (out, in, *kernel)

    def _state_shape(self, batch):
        sizes = []
        for size, k, s, d in zip(self.spatial_dims, self.kernel_size, self.strides, self.dilation_rate):
            span = (k - 1) * d + 1
            sizes.append(-(-size // s) if self.padding == "same" else (size - span) // s + 1)
        return (batch, self.filters, *sizes)

    def _initial_states(self, batch, initial_state, like):
        if initial_state is None:
            return [zeros(*self._state_shape(batch), dtype=like.dtype, device=like.device) for _ in range(2)]
        states = list(initial_state) if not isinstance(initial_state, Tensor) else [initial_state]
        want = self._state_shape(batch)
        want_last = (want[0], *want[2:], want[1])
        if len(states) != 2 or any(tuple(s.shape) != want_last for s in states):
            raise ShapeError(f"{type(self).__name__} {self.name!r}: initial_state must be [h, c], each of shape "
                             f"{want_last}; got {[tuple(s.shape) for s in states]}")
        return [to_channels_first(s) for s in states]

    def _gate_masks(self, rate, like, training):
        """Keras's dropout masks: one per gate (i, f, c, o), scaled by 1 / (1 - rate), the same at every step."""
        if not (training and rate):
            return None
        return [F.dropout(ones_like(like), rate, training=True) for _ in range(4)]

    def _input_gates(self, inputs, masks):
        """The input convolution of every step: (batch, time, 4 * filters, *spatial), channels first."""
        batch, steps = inputs.shape[0], inputs.shape[1]
        x = to_channels_first(inputs.reshape(batch * steps, *inputs.shape[2:]))
        conv, weight = CONV[self.rank], self._conv_weight(self.kernel)
        bias = self.bias if self.use_bias else None

        def convolve(x, weight, bias):
            if self.padding == "same":
                x = pad_same(x, self.kernel_size, self.strides, self.dilation_rate)
            return conv(x, weight, bias, stride=self.strides, dilation=self.dilation_rate)
        if masks is None:
            out = convolve(x, weight, bias)
        else:
            x, f = x.reshape(batch, steps, *x.shape[1:]), self.filters
            out = cat([convolve((x * m.unsqueeze(1)).flatten(0, 1), weight[g * f:(g + 1) * f],
                                None if bias is None else bias[g * f:(g + 1) * f]) for g, m in enumerate(masks)], 1)
        return out.reshape(batch, steps, *out.shape[1:])

    def _recurrent_gates(self, h, weight, masks):
        conv, same = CONV[self.rank], (1,) * self.rank
        if masks is None:
            return conv(pad_same(h, self.kernel_size, same), weight)
        f = self.filters
        return cat([conv(pad_same(h * m, self.kernel_size, same), weight[g * f:(g + 1) * f])
                    for g, m in enumerate(masks)], 1)

    def call(self, inputs, initial_state=None, training=None):
        if inputs.ndim != self.rank + 3 or tuple(inputs.shape[2:]) != self.spatial_dims + (self.input_dim,):
            raise ShapeError(f"{type(self).__name__} {self.name!r}: input of shape {tuple(inputs.shape)}: expected "
                             f"(batch, time, *{self.spatial_dims}, {self.input_dim})")
        batch, steps = inputs.shape[0], inputs.shape[1]
        if steps == 0:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: the input has no timesteps")
        in_masks = self._gate_masks(self.dropout, to_channels_first(inputs[:, 0]), training)
        gates_in = self._input_gates(inputs, in_masks)
        h, c = self._initial_states(batch, initial_state, inputs)
        recurrent_weight = self._conv_weight(self.recurrent_kernel)
        h_masks = self._gate_masks(self.recurrent_dropout, h, training)
        f, act, rec = self.filters, self.activation, self.recurrent_activation
        outputs = []
        for t in (range(steps - 1, -1, -1) if self.go_backwards else range(steps)):
            z = gates_in[:, t] + self._recurrent_gates(h, recurrent_weight, h_masks)
            i, fg, g, o = z[:, :f], z[:, f:2 * f], z[:, 2 * f:3 * f], z[:, 3 * f:]
            c = rec(fg) * c + rec(i) * act(g)
            h = rec(o) * act(c)
            outputs.append(h)
        out = to_channels_last(stack(outputs, 1).flatten(0, 1)).reshape(batch, steps, *to_channels_last(h).shape[1:]) \
            if self.return_sequences else to_channels_last(h)
        if self.return_state:
            return [out, to_channels_last(h), to_channels_last(c)]
        return out

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "strides": self.strides, "padding": self.padding, "data_format": "channels_last",
                "dilation_rate": self.dilation_rate, "use_bias": self.use_bias, "dropout": self.dropout,
                "recurrent_dropout": self.recurrent_dropout,
                "unit_forget_bias": self.unit_forget_bias, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards,
                **weight_config(self, "activation", "recurrent_activation", "kernel_initializer",
                                "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                                "recurrent_regularizer", "bias_regularizer")}


class ConvLSTM1D(_ConvLSTM):
    """1-D convolutional LSTM over (batch, time, steps, channels)."""
    rank = 1


class ConvLSTM2D(_ConvLSTM):
    """2-D convolutional LSTM over (batch, time, height, width, channels)."""
    rank = 2


class ConvLSTM3D(_ConvLSTM):
    """3-D convolutional LSTM over (batch, time, depth, height, width, channels)."""
    rank = 3
