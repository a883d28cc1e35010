"""Keras's recurrent layers over (batch, timesteps, features): `SimpleRNN`, `LSTM`, `GRU`.

Weights have Keras's layouts and gate orders: `kernel` (features, k * units), `recurrent_kernel`
(units, k * units), `bias` (k * units,) with LSTM gates i, f, c, o and GRU gates z, r, h (GRU's
bias is (2, 3 * units) with `reset_after=True`, the default: input and recurrent biases).

With the default activations (tanh, recurrent sigmoid) the math is PyTorch's, so the whole
sequence runs in ember's fused recurrence ops (`ember.ops.recurrent.lstm`, `gru`, `rnn_tanh`),
the Keras weights mapped onto them (transposed; GRU's gates reordered to r, z, n). Other
activations and GRU with `reset_after=False` run a per-step loop of ember ops.

    >>> lstm = keras.layers.LSTM(8, return_sequences=True, return_state=True)
    >>> out, h, c = lstm(ember.randn(2, 5, 3))
    >>> out.shape, h.shape, tuple(lstm.kernel.shape), tuple(lstm.recurrent_kernel.shape)
    (ember.Size([2, 5, 8]), ember.Size([2, 8]), (3, 32), (8, 32))
"""
from ember.autograd import Tensor, no_grad
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops import recurrent
from ember.backend import dtypes
from ember.ops.creation import ones, zeros, zeros_like
from ember.ops.binary import where
from ember.ops.join import cat, stack
from ember.ops.linalg import matmul
from ember.keras import activations, initializers
from ember.keras.layers.base import Layer
from ember.keras.layers._util import positive_int, weight_config

__all__ = ["SimpleRNN", "LSTM", "GRU"]


class _RNN(Layer):
    gates, n_states = 1, 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, **kwargs):
        super().__init__(**kwargs)
        where = type(self).__name__
        self.units = positive_int(units, "units", where)
        if not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ArgumentError(f"{where}: dropout must be a number in [0, 1), got {dropout!r}")
        if recurrent_dropout:
            raise ArgumentError(f"{where}: recurrent_dropout is not supported; leave it 0 (dropout= on the inputs "
                                "is supported)")
        if stateful:
            raise ArgumentError(f"{where}: stateful=True is not supported; pass initial_state= instead")
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.dropout, self.unroll = bool(use_bias), float(dropout), bool(unroll)
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.zero_output_for_mask = False  # Bidirectional sets it (zeros at masked steps, as Keras)
        self.kernel_initializer, self.recurrent_initializer = kernel_initializer, recurrent_initializer
        self.bias_initializer = bias_initializer
        self.kernel_regularizer, self.recurrent_regularizer = kernel_regularizer, recurrent_regularizer
        self.bias_regularizer = bias_regularizer

    # -- building ---------------------------------------------------------------------------
    def _bias_shape(self):
        return (self.gates * self.units,)

    def _bias_initializer(self):
        return self.bias_initializer

    def build(self, input_shape):
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: input of shape {tuple(input_shape)}: expected "
                             "(batch, timesteps, features) with known features")
        self.input_dim, k = input_shape[-1], self.gates * self.units
        self.kernel = self.add_weight((self.input_dim, k), self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight((self.units, k), self.recurrent_initializer, name="recurrent_kernel",
                                                regularizer=self.recurrent_regularizer)
        if self.use_bias:
            self.bias = self.add_weight(self._bias_shape(), self._bias_initializer(), name="bias",
                                        regularizer=self.bias_regularizer)

    # -- calling ----------------------------------------------------------------------------
    def _initial_states(self, inputs, initial_state):
        batch = inputs.shape[0]
        if initial_state is None:
            return [zeros(batch, self.units, dtype=inputs.dtype, device=inputs.device)] * self.n_states
        states = [initial_state] if isinstance(initial_state, Tensor) else list(initial_state)
        if len(states) != self.n_states or any(tuple(s.shape) != (batch, self.units) for s in states):
            raise ShapeError(f"{type(self).__name__} {self.name!r}: initial_state must be {self.n_states} tensor(s) "
                             f"of shape ({batch}, {self.units}), got "
                             f"{[tuple(getattr(s, 'shape', ())) for s in states]}")
        return states

    def call(self, inputs, initial_state=None, mask=None, training=None):
        where = f"{type(self).__name__} {self.name!r}"
        if not inputs.dtype.is_floating_point:  # as Keras: bool or int sequences are read as float32
            inputs = inputs.float()
        if inputs.ndim != 3 or inputs.shape[-1] != self.input_dim:
            raise ShapeError(f"{where}: input of shape {tuple(inputs.shape)}: expected (batch, timesteps, "
                             f"{self.input_dim})")
        if inputs.shape[1] == 0:
            raise ShapeError(f"{where}: input of shape {tuple(inputs.shape)} has no timesteps")
        states = self._initial_states(inputs, initial_state)
        x = inputs.flip(1) if self.go_backwards else inputs
        if training and self.dropout:  # one mask per sequence, shared by every step, as Keras
            x = x * F.dropout(ones(x.shape[0], 1, x.shape[2], dtype=x.dtype, device=x.device), self.dropout)
        if mask is not None:
            mask = mask.to(dtypes.bool_)
            out, states = self._masked_loop(x, states, mask.flip(1) if self.go_backwards else mask)
        else:
            out, states = self._run(x, states)
        output = out if self.return_sequences else states[0]
        return [output] + list(states) if self.return_state else output

    def _loop(self, x, states, step):
        """The general path: the input projection in one GEMM, then `step` per timestep."""
        gx = matmul(x, self.kernel)
        if self.use_bias:
            gx = gx + self._input_bias()
        outs = []
        for g in gx.unbind(1):
            states = step(g, states)
            outs.append(states[0])
        return stack(outs, 1), states

    def _masked_loop(self, x, states, mask):
        """Keras's masked recurrence: at a masked step the states are carried over unchanged and the
        output repeats the previous one (zeros with `zero_output_for_mask`, as inside Bidirectional)."""
        if tuple(mask.shape) != tuple(x.shape[:2]):
            raise ShapeError(f"{type(self).__name__} {self.name!r}: mask of shape {tuple(mask.shape)} does not fit "
                             f"input of shape {tuple(x.shape)}; expected (batch, timesteps)")
        gx = matmul(x, self.kernel)
        if self.use_bias:
            gx = gx + self._input_bias()
        step, outs = self._step(), []
        prev = zeros(x.shape[0], self.units, dtype=x.dtype, device=x.device)
        for g, m in zip(gx.unbind(1), mask.unbind(1)):
            m = m.unsqueeze(-1)
            new = step(g, states)
            states = [where(m, n, s) for n, s in zip(new, states)]
            prev = where(m, new[0], prev)
            outs.append(where(m, new[0], zeros_like(prev)) if self.zero_output_for_mask else prev)
        return stack(outs, 1), states

    def compute_mask(self, inputs, previous_mask=None):
        mask = previous_mask if self.return_sequences else None
        return [mask] + [None] * self.n_states if self.return_state else mask

    def _input_bias(self):
        return self.bias

    def _fused(self, op, x, states, w_ih, w_hh, b_ih=None, b_hh=None):
        """The fused whole-sequence op, with torch's (gates, in) weights; batch first."""
        params = [w_ih, w_hh]
        if b_ih is not None:
            params += [b_ih, b_hh if b_hh is not None else zeros(b_ih.shape[0], dtype=x.dtype,  # the compute
                                                                 device=b_ih.device)]            # dtype
        hx = tuple(s.unsqueeze(0) for s in states) if len(states) == 2 else states[0].unsqueeze(0)
        out, *finals = op(x, hx, params, b_ih is not None, 1, 0.0, False, False, True)
        return out, [f.squeeze(0) for f in finals]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "use_bias": self.use_bias, "dropout": self.dropout,
                "recurrent_dropout": 0.0, "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "unroll": self.unroll,
                **weight_config(self, "activation", "kernel_initializer", "recurrent_initializer",
                                "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
                                "bias_regularizer")}


class SimpleRNN(_RNN):
    """`h_t = activation(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias)`, Keras's `SimpleRNN`."""
    gates, n_states = 1, 1

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0,
                 return_sequences=False, return_state=False, go_backwards=False, stateful=False, unroll=False,
                 **kwargs):
        super().__init__(units, activation, "sigmoid", use_bias, kernel_initializer, recurrent_initializer,
                         bias_initializer, kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout,
                         recurrent_dropout, return_sequences, return_state, go_backwards, stateful, unroll, **kwargs)

    def _run(self, x, states):
        op = {activations.tanh: recurrent.rnn_tanh, activations.relu: recurrent.rnn_relu}.get(self.activation)
        if op is not None:
            return self._fused(op, x, states, self.kernel.T, self.recurrent_kernel.T,
                               self.bias if self.use_bias else None)
        return self._loop(x, states, self._step())

    def _step(self):
        def step(g, states):
            return [self.activation(g + matmul(states[0], self.recurrent_kernel))]
        return step


class LSTM(_RNN):
    """Long short-term memory, Keras's `LSTM`: gates i, f, c, o; `unit_forget_bias` starts the
    forget gate's bias at 1. With `return_state`, returns [output, h, c]."""
    gates, n_states = 4, 2

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards,
                         stateful, unroll, **kwargs)
        self.unit_forget_bias = bool(unit_forget_bias)

    def _bias_initializer(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        base, units = initializers.get(self.bias_initializer), self.units

        def forget_ones(tensor):
            base(tensor)
            with no_grad():
                tensor[units:2 * units] = 1.0
            return tensor
        return forget_ones

    def _run(self, x, states):
        if self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid:
            # Keras's gate order i, f, c, o is PyTorch's i, f, g, o
            return self._fused(recurrent.lstm, x, states, self.kernel.T, self.recurrent_kernel.T,
                               self.bias if self.use_bias else None)
        return self._loop(x, states, self._step())

    def _step(self):
        act, ract = self.activation, self.recurrent_activation

        def step(g, states):
            h, c = states
            i, f, cc, o = (g + matmul(h, self.recurrent_kernel)).chunk(4, 1)
            c = ract(f) * c + ract(i) * act(cc)
            return [ract(o) * act(c), c]
        return step

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias,
                **weight_config(self, "recurrent_activation")}


def _zrh_to_rzn(w, units, dim):
    """Keras's GRU gate blocks z, r, h along `dim`, reordered to PyTorch's r, z, n."""
    z, r, h = w.split([units] * 3, dim)
    return cat([r, z, h], dim)


class GRU(_RNN):
    """Gated recurrent unit, Keras's `GRU`: gates z, r, h, `h_t = z * h_{t-1} + (1 - z) * hh`.
    With `reset_after=True` (the default) the reset gate applies after the recurrent product and
    `bias` is (2, 3 * units): the input and the recurrent biases."""
    gates, n_states = 3, 1

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, dropout=0.0,
                 recurrent_dropout=0.0, return_sequences=False, return_state=False, go_backwards=False,
                 stateful=False, unroll=False, reset_after=True, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, dropout, recurrent_dropout, return_sequences, return_state, go_backwards,
                         stateful, unroll, **kwargs)
        self.reset_after = bool(reset_after)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self):
        return self.bias[0] if self.reset_after else self.bias

    def _run(self, x, states):
        u = self.units
        if self.reset_after and self.activation is activations.tanh \
                and self.recurrent_activation is activations.sigmoid:
            w_ih = _zrh_to_rzn(self.kernel, u, 1).T
            w_hh = _zrh_to_rzn(self.recurrent_kernel, u, 1).T
            b = _zrh_to_rzn(self.bias, u, 1) if self.use_bias else None
            return self._fused(recurrent.gru, x, states, w_ih, w_hh, *((b[0], b[1]) if b is not None else ()))
        return self._loop(x, states, self._step())

    def _step(self):
        u = self.units
        act, ract, rk = self.activation, self.recurrent_activation, self.recurrent_kernel

        def step(g, states):
            h = states[0]
            gz, gr, gh = g.split([u] * 3, 1)
            if self.reset_after:
                rec = matmul(h, rk)
                if self.use_bias:
                    rec = rec + self.bias[1]
                rz, rr, rh = rec.split([u] * 3, 1)
                z, r = ract(gz + rz), ract(gr + rr)
                hh = act(gh + r * rh)
            else:
                rk_zr, rk_h = rk.split([2 * u, u], 1)
                rz, rr = matmul(h, rk_zr).split([u, u], 1)
                z, r = ract(gz + rz), ract(gr + rr)
                hh = act(gh + matmul(r * h, rk_h))
            return [z * h + (1 - z) * hh]
        return step

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after,
                **weight_config(self, "recurrent_activation")}
