"""Keras's recurrent cells and the generic `RNN` layer: `SimpleRNNCell`, `LSTMCell`, `GRUCell` (one
step of the matching layer, with its weights and math), `StackedRNNCells` (cells in depth), and
`RNN(cell)`, which runs any cell (these, or a user's cell with `state_size` and
`call(inputs, states) -> (output, new_states)`) over (batch, timesteps, features).

    >>> rnn = keras.layers.RNN(keras.layers.LSTMCell(4), return_sequences=True)
    >>> rnn(ember.randn(2, 5, 3)).shape
    ember.Size([2, 5, 4])
"""
from ember.backend import dtypes
from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.binary import where
from ember.ops.creation import zeros
from ember.ops.join import stack
from ember.ops.linalg import matmul
from ember.keras.layers.base import Layer
from ember.keras.layers.recurrent import GRU, LSTM, SimpleRNN
from ember.keras.layers._util import deserialize_layer, serialize_layer

__all__ = ["SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells", "RNN"]

_LAYER_ONLY = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll")


class _Cell:
    """One step of a recurrent layer: the layer's weights, built from (batch, features), and its
    `_step` applied once: `cell(inputs, states) -> (output, new_states)`."""

    def build(self, input_shape):
        if len(input_shape) != 2 or input_shape[-1] is None:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: input of shape {tuple(input_shape)}: expected "
                             "(batch, features)")
        super().build((input_shape[0], 1, input_shape[-1]))

    def call(self, inputs, states, training=False):
        listed = isinstance(states, (list, tuple))
        states = list(states) if listed else [states]
        x = inputs if inputs.dtype.is_floating_point else inputs.float()
        if training and self.dropout:
            x = F.dropout(x, self.dropout)
        g = matmul(x, self.kernel)
        if self.use_bias:
            g = g + self._input_bias()
        new = self._step()(g, states)
        return new[0], (new if listed else new[0])

    @property
    def state_size(self):
        return self.units if self.n_states == 1 else [self.units] * self.n_states

    @property
    def output_size(self):
        return self.units

    def get_config(self):
        config = super().get_config()
        for key in _LAYER_ONLY:
            config.pop(key, None)
        return config


class SimpleRNNCell(_Cell, SimpleRNN):
    """One step of `SimpleRNN`: `h = activation(x @ kernel + h @ recurrent_kernel + bias)`."""

    def __init__(self, units, activation="tanh", use_bias=True, kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros", kernel_regularizer=None,
                 recurrent_regularizer=None, bias_regularizer=None, dropout=0.0, recurrent_dropout=0.0, seed=None,
                 **kwargs):
        super().__init__(units, activation, use_bias, kernel_initializer, recurrent_initializer, bias_initializer,
                         kernel_regularizer, recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout,
                         **kwargs)


class LSTMCell(_Cell, LSTM):
    """One step of `LSTM`: states [h, c]; returns (h, [h, c])."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 unit_forget_bias=True, kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None,
                 dropout=0.0, recurrent_dropout=0.0, seed=None, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, unit_forget_bias, kernel_regularizer,
                         recurrent_regularizer, bias_regularizer, dropout, recurrent_dropout, **kwargs)


class GRUCell(_Cell, GRU):
    """One step of `GRU` (with `reset_after`, the default, bias (2, 3 * units))."""

    def __init__(self, units, activation="tanh", recurrent_activation="sigmoid", use_bias=True,
                 kernel_initializer="glorot_uniform", recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, recurrent_regularizer=None, bias_regularizer=None, dropout=0.0,
                 recurrent_dropout=0.0, reset_after=True, seed=None, **kwargs):
        super().__init__(units, activation, recurrent_activation, use_bias, kernel_initializer,
                         recurrent_initializer, bias_initializer, kernel_regularizer, recurrent_regularizer,
                         bias_regularizer, dropout, recurrent_dropout, reset_after=reset_after, **kwargs)


def _as_list(states):
    return list(states) if isinstance(states, (list, tuple)) else [states]


class StackedRNNCells(Layer):
    """Cells run one after the other at each step; states are one entry per cell."""

    def __init__(self, cells, **kwargs):
        super().__init__(**kwargs)
        self.cells = [deserialize_layer(c, "StackedRNNCells") if isinstance(c, dict) else c for c in cells]
        for i, cell in enumerate(self.cells):
            self.add_module(f"cell_{i}", cell)

    @property
    def state_size(self):
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        last = self.cells[-1]
        return getattr(last, "output_size", _as_list(last.state_size)[0])

    def call(self, inputs, states, training=False):
        new_states = []
        for cell, state in zip(self.cells, states):
            inputs, state = cell(inputs, _as_list(state), training=training) if isinstance(cell, Layer) else \
                cell(inputs, _as_list(state))
            new_states.append(state)
        return inputs, new_states

    def get_config(self):
        return {**super().get_config(), "cells": [serialize_layer(c) for c in self.cells]}


def _zeros_for(size, batch, dtype):
    if isinstance(size, (list, tuple)):
        return [_zeros_for(s, batch, dtype) for s in size]
    return zeros(batch, int(size), dtype=dtype)


def _flat(states):
    if isinstance(states, (list, tuple)):
        return [leaf for s in states for leaf in _flat(s)]
    return [states]


def _select(mask, new, old):
    if isinstance(new, (list, tuple)):
        return [_select(mask, n, o) for n, o in zip(new, old)]
    return where(mask, new, old)


class RNN(Layer):
    """Runs `cell` over the timesteps of (batch, timesteps, features): the last output, or all of them
    (`return_sequences`), plus the final states (`return_state`). A list of cells is stacked."""

    def __init__(self, cell, return_sequences=False, return_state=False, go_backwards=False, stateful=False,
                 unroll=False, zero_output_for_mask=False, **kwargs):
        super().__init__(**kwargs)
        if stateful:
            raise ArgumentError("RNN: stateful=True is not supported; pass initial_state= instead")
        if isinstance(cell, (list, tuple)):
            cell = StackedRNNCells(cell)
        elif isinstance(cell, dict):
            cell = deserialize_layer(cell, "RNN")
        if not hasattr(cell, "state_size") or not callable(cell):
            raise ArgumentError(f"RNN: cell must have a state_size and be callable as cell(inputs, states), got "
                                f"{type(cell).__name__}")
        self.cell = cell
        self.return_sequences, self.return_state = bool(return_sequences), bool(return_state)
        self.go_backwards, self.unroll, self.zero_output_for_mask = bool(go_backwards), unroll, zero_output_for_mask
        self.supports_masking = True

    def call(self, inputs, initial_state=None, mask=None, training=None):
        x = inputs if inputs.dtype.is_floating_point else inputs.float()
        if x.ndim < 3:
            raise ShapeError(f"RNN {self.name!r}: input of shape {tuple(x.shape)}: expected (batch, timesteps, ...)")
        size = self.cell.state_size
        states = _zeros_for(size, x.shape[0], x.dtype) if initial_state is None else (
            list(initial_state) if isinstance(size, (list, tuple)) else _as_list(initial_state))
        if not isinstance(size, (list, tuple)):
            states = _as_list(states)
        steps = range(x.shape[1] - 1, -1, -1) if self.go_backwards else range(x.shape[1])
        outs, prev = [], None
        for t in steps:
            out, new = self._step(x[:, t], states, training)
            if mask is not None:
                m = mask[:, t].to(dtypes.bool_).unsqueeze(-1)
                new = _select(m, new, states)
                prev = zeros(*out.shape, dtype=out.dtype) if prev is None else prev  # Keras starts from zeros
                out = where(m, out, zeros(*out.shape, dtype=out.dtype) if self.zero_output_for_mask else prev)
                prev = out
            states = new
            outs.append(out)
        output = stack(outs, 1) if self.return_sequences else outs[-1]
        if not self.return_state:
            return output
        if isinstance(self.cell, StackedRNNCells):  # one entry per cell, as Keras: a list for LSTM, else the tensor
            return [output] + [state[0] if isinstance(state, list) and len(state) == 1 else state for state in states]
        return [output] + _flat(states)

    def _step(self, x, states, training):
        if isinstance(self.cell, Layer):
            out, new = self.cell(x, states, training=training)
        else:
            out, new = self.cell(x, states)
        return out, (_as_list(new) if not isinstance(self.cell.state_size, (list, tuple)) else list(new))

    def compute_mask(self, inputs, previous_mask=None):
        mask = previous_mask if self.return_sequences else None
        if not self.return_state:
            return mask
        size = self.cell.state_size
        return [mask] + [None] * (len(size) if isinstance(self.cell, StackedRNNCells) else len(_flat(size)))

    def get_config(self):
        return {**super().get_config(), "cell": serialize_layer(self.cell), "return_sequences": self.return_sequences,
                "return_state": self.return_state, "go_backwards": self.go_backwards, "unroll": self.unroll,
                "zero_output_for_mask": self.zero_output_for_mask}
