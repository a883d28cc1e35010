"""Recurrent cells (`RNNCell`, `LSTMCell`, `GRUCell`): one time step, with PyTorch's parameter
names, shapes and default initialization, and the step math that `RNN`, `LSTM` and `GRU`
repeat over a sequence.

    >>> cell = ember.nn.LSTMCell(10, 20)
    >>> h, c = cell(ember.randn(3, 10))
    >>> h.shape, c.shape
    (ember.Size([3, 20]), ember.Size([3, 20]))
"""
import math

from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn import init
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.ops.creation import empty, zeros
from ember.ops.linalg import addmm, matmul
from ember.ops.unary import relu, sigmoid, tanh

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


# --- the step math (shared with the sequence layers in rnn.py) -------------------------
# `gx` is the input's projection x @ W_ih^T + b_ih (computed for all steps at once by the
# sequence layers), `w_hh_t` is W_hh^T (a view, made once per sequence).

def rnn_step(gx, h, w_hh_t, nonlinearity):
    """h' = act(gx + h W_hh^T); `gx` already holds both biases."""
    pre = addmm(gx, h, w_hh_t)
    return tanh(pre) if nonlinearity == "tanh" else relu(pre)


def lstm_step(gx, h, c, w_hh_t):
    """(h', c') of an LSTM step; `gx` already holds both biases. Gates in PyTorch's order i, f, g, o."""
    gates = addmm(gx, h, w_hh_t)
    i, f, g, o = gates.chunk(4, 1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    return sigmoid(o) * tanh(c), c


def gru_step(gx_rz, gx_n, h, w_hh_t, b_hh):
    """h' of a GRU step: r, z = sigmoid(gx + gh), n = tanh(gx_n + r * gh_n), h' = n + z * (h - n)."""
    gh = matmul(h, w_hh_t)
    if b_hh is not None:
        gh = gh + b_hh
    gh_rz, gh_n = gh.split([gx_rz.shape[-1], gx_n.shape[-1]], 1)
    r, z = sigmoid(gx_rz + gh_rz).chunk(2, 1)
    n = tanh(gx_n + r * gh_n)
    return n + z * (h - n)


# --- cells ---------------------------------------------------------------------------

class RNNCellBase(Module):
    """Parameters and checks shared by the cells: `weight_ih` (chunks * hidden, input),
    `weight_hh` (chunks * hidden, hidden), `bias_ih`, `bias_hh`, all initialized
    uniform(-1/sqrt(hidden_size), 1/sqrt(hidden_size)) as in PyTorch."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ArgumentError(f"{type(self).__name__}: {name} must be a positive int, got {v!r}")
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, **kw))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _name(self):
        return f"{type(self).__name__}({self.input_size}, {self.hidden_size})"

    def _check_input(self, input):
        """`input` as a batch (B, input_size); whether it came unbatched."""
        if not isinstance(input, Tensor):
            raise DTypeError(f"{self._name()}: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ShapeError(f"{self._name()}: input of shape {tuple(input.shape)}: expected (batch, "
                             f"{self.input_size}) or ({self.input_size},)")
        if not dtypes.dtype_of(input._data).is_floating_point:
            raise DTypeError(f"{self._name()}: input must be floating point, got {input.dtype}")
        return (input.unsqueeze(0), True) if input.ndim == 1 else (input, False)

    def _check_state(self, hx, input, unbatched, what="hx"):
        """The state `hx` for a batch `input`, zeros when None."""
        shape = (input.shape[0], self.hidden_size)
        if hx is None:
            return zeros(*shape, dtype=input.dtype, device=input.device)
        if not isinstance(hx, Tensor):
            raise DTypeError(f"{self._name()}: {what} must be a Tensor, got {type(hx).__name__}")
        expected = shape[1:] if unbatched else shape
        if tuple(hx.shape) != expected:
            raise ShapeError(f"{self._name()}: {what} of shape {tuple(hx.shape)} for an input of shape "
                             f"{tuple(input.shape[1:] if unbatched else input.shape)}: expected {expected}")
        return hx.unsqueeze(0) if unbatched else hx

    def _input_projection(self, input):
        gx = matmul(input, self.weight_ih.mT)
        return gx if self.bias_ih is None else gx + self.bias_ih


class RNNCell(RNNCellBase):
    """An Elman cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

        >>> ember.nn.RNNCell(4, 8, nonlinearity="relu")(ember.randn(2, 4)).shape
        ember.Size([2, 8])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ArgumentError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, unbatched = self._check_input(input)
        h = self._check_state(hx, x, unbatched)
        gx = self._input_projection(x)
        if self.bias_hh is not None:
            gx = gx + self.bias_hh
        h = rnn_step(gx, h, self.weight_hh.mT, self.nonlinearity)
        return h.squeeze(0) if unbatched else h


class LSTMCell(RNNCellBase):
    """A long short-term memory cell; `hx` is a pair (h, c), zeros when None; returns (h', c').

        >>> h, c = ember.nn.LSTMCell(4, 8)(ember.randn(2, 4))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, unbatched = self._check_input(input)
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise ArgumentError(f"{self._name()}: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
        h = self._check_state(hx[0], x, unbatched, "h_0")
        c = self._check_state(hx[1], x, unbatched, "c_0")
        gx = self._input_projection(x)
        if self.bias_hh is not None:
            gx = gx + self.bias_hh
        h, c = lstm_step(gx, h, c, self.weight_hh.mT)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """A gated recurrent unit cell, with PyTorch's gate order r, z, n.

        >>> ember.nn.GRUCell(4, 8)(ember.randn(2, 4)).shape
        ember.Size([2, 8])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, unbatched = self._check_input(input)
        h = self._check_state(hx, x, unbatched)
        gx_rz, gx_n = self._input_projection(x).split([2 * self.hidden_size, self.hidden_size], 1)
        h = gru_step(gx_rz, gx_n, h, self.weight_hh.mT, self.bias_hh)
        return h.squeeze(0) if unbatched else h
