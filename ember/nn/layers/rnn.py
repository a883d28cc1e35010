"""Recurrent layers over whole sequences: `RNN`, `LSTM`, `GRU` (and the cells of rnn_cells.py),
with PyTorch's arguments, parameter names (`weight_ih_l0`, `bias_hh_l1_reverse`, ...), shapes,
default initialization and return values.

The math is in ember.ops.recurrent (`lstm`, `gru`, `rnn_tanh`, `rnn_relu`, as `torch.lstm`...): per
layer and direction one GEMM projects every time step's input, then one primitive runs the
recurrence and, in backward, backpropagation through time on arrays.

    >>> lstm = ember.nn.LSTM(10, 20, num_layers=2, batch_first=True)
    >>> out, (h_n, c_n) = lstm(ember.randn(3, 5, 10))
    >>> out.shape, h_n.shape
    (ember.Size([3, 5, 20]), ember.Size([2, 3, 20]))
"""
import math
import numbers
import warnings

from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.nn import init
from ember.nn.layers.rnn_cells import GRUCell, LSTMCell, RNNCell, RNNCellBase
from ember.nn.module import Module
from ember.nn.parameter import Parameter
from ember.nn.utils.rnn import PackedSequence, run_packed
from ember.ops import recurrent
from ember.ops.creation import empty, zeros

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _check_args(name, hidden_size, num_layers, dropout, proj_size, mode):
    if not isinstance(hidden_size, int) or isinstance(hidden_size, bool) or hidden_size <= 0:
        raise ArgumentError(f"{name}: hidden_size must be a positive int, got {hidden_size!r}")
    if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers <= 0:
        raise ArgumentError(f"{name}: num_layers must be a positive int, got {num_layers!r}")
    if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
        raise ArgumentError(f"{name}: dropout must be a number in [0, 1] (the probability of zeroing an "
                            f"element), got {dropout!r}")
    if dropout > 0 and num_layers == 1:
        warnings.warn(f"{name}: dropout={dropout} applies between layers only, so with num_layers=1 it "
                      f"does nothing", UserWarning, stacklevel=3)
    if not isinstance(proj_size, int) or proj_size < 0:
        raise ArgumentError(f"{name}: proj_size must be a non-negative int, got {proj_size!r}")
    if proj_size and mode != "LSTM":
        raise ArgumentError(f"{name}: proj_size is supported only by LSTM")
    if proj_size >= hidden_size:
        raise ArgumentError(f"{name}: proj_size={proj_size} must be smaller than hidden_size={hidden_size}")


class RNNBase(Module):
    """What `RNN`, `LSTM` and `GRU` share: parameters per layer and direction, input and state
    checks, and the loop over layers and directions."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if not isinstance(input_size, int) or isinstance(input_size, bool) or input_size <= 0:
            raise ArgumentError(f"{name}: input_size must be a positive int, got {input_size!r}")
        _check_args(name, hidden_size, num_layers, dropout, proj_size, mode)
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        gate_size = _GATES[mode] * hidden_size
        real_hidden = proj_size or hidden_size
        kw = {"device": device, "dtype": dtype}
        names = []
        for layer in range(num_layers):
            for suffix in ("", "_reverse")[:1 + bool(bidirectional)]:
                layer_input = input_size if layer == 0 else real_hidden * (2 if bidirectional else 1)
                shapes = [("weight_ih", (gate_size, layer_input)), ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for kind, shape in shapes:
                    names.append(f"{kind}_l{layer}{suffix}")
                    setattr(self, names[-1], Parameter(empty(*shape, **kw)))
        self._flat_weights_names = names
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        """The parameters grouped per layer and direction, as in PyTorch."""
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional else 1))
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self):
        """Does nothing (PyTorch packs weights for cuDNN here)."""

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # --- checks ----------------------------------------------------------------------
    def _name(self):
        return f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"

    def _check_input(self, input):
        """`input` with a batch dim (added at dim 0 with batch_first, else 1, when it came unbatched),
        whether it came unbatched, and the batch size."""
        if not isinstance(input, Tensor):
            raise DTypeError(f"{self._name()}: input must be a Tensor or a PackedSequence, got "
                             f"{type(input).__name__}")
        layout = "(batch, seq_len, " if self.batch_first else "(seq_len, batch, "
        seq_dim = 1 if self.batch_first and input.ndim == 3 else 0
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size or input.shape[seq_dim] == 0:
            raise ShapeError(f"{self._name()}: input of shape {tuple(input.shape)}: expected {layout}"
                             f"{self.input_size}) or unbatched (seq_len, {self.input_size}) with seq_len > 0")
        if not dtypes.dtype_of(input._data).is_floating_point:
            raise DTypeError(f"{self._name()}: input must be floating point, got {input.dtype}")
        bdim = 0 if self.batch_first else 1
        if input.ndim == 2:
            return input.unsqueeze(bdim), True, 1
        return input, False, input.shape[bdim]

    def _check_state(self, hx, x, unbatched, batch, size, what):
        """A state (num_layers * directions, batch, size), zeros when None."""
        n = self.num_layers * (2 if self.bidirectional else 1)
        if hx is None:
            return zeros(n, batch, size, dtype=x.dtype, device=x.device)
        if not isinstance(hx, Tensor):
            raise DTypeError(f"{self._name()}: {what} must be a Tensor, got {type(hx).__name__}")
        expected = (n, size) if unbatched else (n, batch, size)
        if tuple(hx.shape) != expected:
            raise ShapeError(f"{self._name()}: {what} of shape {tuple(hx.shape)}: expected {expected} "
                             f"(num_layers * num_directions, {'' if unbatched else 'batch, '}{size})")
        if hx.dtype != x.dtype:
            raise DTypeError(f"{self._name()}: {what} has dtype {hx.dtype} but the input has {x.dtype}")
        return hx.unsqueeze(1) if unbatched else hx

    def _call(self, op, x, hx):
        """The whole network in one call of the functional op (ember.ops.recurrent)."""
        return op(x, hx, self._flat_weights, self.bias, self.num_layers, self.dropout, self.training,
                  self.bidirectional, self.batch_first)

    def _finish(self, out, states, unbatched):
        if unbatched:
            return out.squeeze(0 if self.batch_first else 1), tuple(s.squeeze(1) for s in states)
        return out, tuple(states)


class RNN(RNNBase):
    """A multi-layer Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).
    Returns (output, h_n).

        >>> out, h_n = ember.nn.RNN(4, 8, num_layers=2)(ember.randn(5, 3, 4))
        >>> out.shape, h_n.shape
        (ember.Size([5, 3, 8]), ember.Size([2, 3, 8]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ArgumentError(f"RNN: unknown nonlinearity {nonlinearity!r}; use 'tanh' or 'relu'")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size, hidden_size,
                         num_layers, bias, batch_first, dropout, bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return run_packed(self, input, hx)
        x, unbatched, batch = self._check_input(input)
        h0 = self._check_state(hx, x, unbatched, batch, self.hidden_size, "hx")
        op = {"RNN_TANH": recurrent.rnn_tanh, "RNN_RELU": recurrent.rnn_relu, "GRU": recurrent.gru}[self.mode]
        out, h_n = self._call(op, x, h0)
        out, (h_n,) = self._finish(out, (h_n,), unbatched)
        return out, h_n


class GRU(RNNBase):
    """A multi-layer gated recurrent unit RNN, with PyTorch's gate order r, z, n.
    Returns (output, h_n).

        >>> out, h_n = ember.nn.GRU(4, 8, bidirectional=True)(ember.randn(5, 3, 4))
        >>> out.shape, h_n.shape
        (ember.Size([5, 3, 16]), ember.Size([2, 3, 8]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)

    forward = RNN.forward


class LSTM(RNNBase):
    """A multi-layer long short-term memory RNN (gate order i, f, g, o; with `proj_size > 0`, h is
    projected by `weight_hr_l{k}`). `hx` is a pair (h_0, c_0). Returns (output, (h_n, c_n)).

        >>> out, (h_n, c_n) = ember.nn.LSTM(4, 8, proj_size=3)(ember.randn(5, 3, 4))
        >>> out.shape, h_n.shape, c_n.shape
        (ember.Size([5, 3, 3]), ember.Size([1, 3, 3]), ember.Size([1, 3, 8]))
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return run_packed(self, input, hx)
        x, unbatched, batch = self._check_input(input)
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise ArgumentError(f"{self._name()}: hx must be a pair (h_0, c_0), got {type(hx).__name__}")
        h0 = self._check_state(hx[0], x, unbatched, batch, self.proj_size or self.hidden_size, "h_0")
        c0 = self._check_state(hx[1], x, unbatched, batch, self.hidden_size, "c_0")
        out, *states = self._call(recurrent.lstm, x, (h0, c0))
        return self._finish(out, states, unbatched)
