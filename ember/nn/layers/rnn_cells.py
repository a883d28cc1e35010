"""Recurrent cells (`RNNCell`, `LSTMCell`, `GRUCell`): one time step, with PyTorch's parameter
names, shapes and default initialization; the math is `ember.ops.recurrent`'s `lstm_cell`,
`gru_cell`, `rnn_tanh_cell` and `rnn_relu_cell` (as in PyTorch: `torch.lstm_cell`...).

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
from ember.ops import recurrent
from ember.ops.creation import empty, zeros

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


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

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh


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
        cell = recurrent.rnn_tanh_cell if self.nonlinearity == "tanh" else recurrent.rnn_relu_cell
        h = cell(x, h, *self._weights())
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
        h, c = recurrent.lstm_cell(x, (h, c), *self._weights())
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
        h = recurrent.gru_cell(x, h, *self._weights())
        return h.squeeze(0) if unbatched else h
