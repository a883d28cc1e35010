"""Padded and packed sequences, as PyTorch's `torch.nn.utils.rnn`: `pad_sequence`, `pack_padded_sequence`,
`pad_packed_sequence`, `pack_sequence`, `unpack_sequence`, `unpad_sequence` and `PackedSequence`, which
`nn.RNN`, `nn.LSTM` and `nn.GRU` accept in place of a padded tensor.

A PackedSequence holds the valid steps of a batch of sequences sorted by length (longest first), time
step by time step: `data` is (sum of lengths, *), `batch_sizes[t]` the number of sequences longer than
t. Every function here is built from `index_select`, `cat` and `reshape`, so gradients flow through it.

    >>> import ember
    >>> from ember.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
    >>> x = ember.arange(6.0).reshape(3, 2, 1)          # (T=3, B=2, 1)
    >>> packed = pack_padded_sequence(x, [3, 1])
    >>> packed.batch_sizes
    tensor([2, 1, 1])
    >>> pad_packed_sequence(packed)[1]
    tensor([3, 1])
"""
from collections import namedtuple

import numpy as np

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops.creation import full, tensor
from ember.ops.gather import index_select
from ember.ops.join import cat, stack

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence", "pack_sequence",
           "unpack_sequence", "unpad_sequence", "invert_permutation"]

_Fields = namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])


class PackedSequence(_Fields):
    """The steps of a batch of variable-length sequences, packed (see the module docstring). Build it
    with `pack_padded_sequence` or `pack_sequence`, never by hand.

        >>> p = ember.nn.utils.rnn.pack_sequence([ember.ones(2, 4), ember.ones(1, 4)])
        >>> p.data.shape, p.batch_sizes
        (ember.Size([3, 4]), tensor([2, 1]))
    """

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        """The same packing with `data` moved/cast by `Tensor.to` (batch_sizes stay on the CPU)."""
        return self._with_data(self.data.to(*args, **kwargs))

    def cpu(self):
        return self._with_data(self.data.cpu())

    def cuda(self, *args, **kwargs):
        return self._with_data(self.data.cuda(*args, **kwargs))

    def float(self):
        return self._with_data(self.data.float())

    def double(self):
        return self._with_data(self.data.double())

    def half(self):
        return self._with_data(self.data.half())

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False


def invert_permutation(permutation):
    """The permutation that undoes `permutation` (None stays None)."""
    if permutation is None:
        return None
    p = np.asarray(permutation.detach().numpy() if isinstance(permutation, Tensor) else permutation, np.int64)
    inverse = np.empty_like(p)
    inverse[p] = np.arange(p.size)
    return tensor(inverse)


def _as_lengths(lengths, op):
    if isinstance(lengths, Tensor):
        if lengths.ndim != 1:
            raise ShapeError(f"{op}: lengths must be 1-D, got shape {tuple(lengths.shape)}")
        return np.asarray(lengths.detach().cpu().numpy()).astype(np.int64)
    try:
        return np.asarray([int(n) for n in lengths], np.int64)
    except TypeError:
        raise DTypeError(f"{op}: lengths must be a 1-D tensor or a list of ints, got {type(lengths).__name__}") \
            from None


def _check_tensor(x, op, what="input"):
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: {what} must be a Tensor, got {type(x).__name__}")


def _positions(batch_sizes, batch):
    """Flat time-major positions t * batch + b of the packed steps, in `data` order."""
    return np.concatenate([t * batch + np.arange(n) for t, n in enumerate(batch_sizes)]).astype(np.int64)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) ((B, T, *) with batch_first) of sequences of the given lengths.
    With `enforce_sorted=False` the batch may come in any order; it is sorted by length here and
    `unsorted_indices` restores it.
    """
    op = "pack_padded_sequence"
    _check_tensor(input, op)
    n = _as_lengths(lengths, op)
    if input.ndim < 2:
        raise ShapeError(f"{op}: input must have at least 2 dims (time and batch), got {tuple(input.shape)}")
    x = input.transpose(0, 1) if batch_first else input
    T, B = x.shape[0], x.shape[1]
    if n.size != B:
        raise ShapeError(f"{op}: {n.size} lengths for a batch of {B} (input of shape {tuple(input.shape)}, "
                         f"batch_first={batch_first})")
    if B and (n.min() <= 0 or n.max() > T):
        raise ArgumentError(f"{op}: lengths {n.tolist()} must lie in [1, {T}] (the padded length)")
    sorted_indices = None
    if enforce_sorted:
        if np.any(np.diff(n) > 0):
            raise ArgumentError(f"{op}: lengths {n.tolist()} must be sorted in decreasing order when "
                                f"enforce_sorted=True; pass enforce_sorted=False to pack them in any order")
    else:
        order = np.argsort(-n, kind="stable")
        sorted_indices = tensor(order.astype(np.int64))
        n = n[order]
        x = index_select(x, 1, tensor(order, device=x.device))
    batch_sizes = np.array([(n > t).sum() for t in range(int(n.max()) if B else 0)], np.int64)
    flat = x.reshape(T * B, *x.shape[2:])
    data = index_select(flat, 0, tensor(_positions(batch_sizes, B), device=x.device))
    return PackedSequence(data, tensor(batch_sizes), sorted_indices)


def _lengths(batch_sizes):
    """The sorted (decreasing) lengths of the sequences of a packing."""
    b = batch_sizes.numpy() if isinstance(batch_sizes, Tensor) else np.asarray(batch_sizes)
    return np.array([(b > i).sum() for i in range(int(b[0]))], np.int64) if b.size else np.zeros(0, np.int64)


def padded_sorted(sequence, padding_value=0.0, total_length=None):
    """(T, B, *) padded steps of a packing, in its sorted batch order."""
    data, batch_sizes = sequence.data, sequence.batch_sizes.numpy()
    T, B = len(batch_sizes), int(batch_sizes[0])
    T = T if total_length is None else total_length
    where = np.full(T * B, data.shape[0], np.int64)  # every step not in `data` reads the padding row
    where[_positions(batch_sizes, B)] = np.arange(data.shape[0])
    pad = full((1, *data.shape[1:]), padding_value, dtype=data.dtype, device=data.device)
    rows = index_select(cat([data, pad]), 0, tensor(where, device=data.device))
    return rows.reshape(T, B, *data.shape[1:])


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undo `pack_padded_sequence`: (padded, lengths), padded (T, B, *) ((B, T, *) with batch_first),
    in the order the batch had before packing; `total_length` pads to that many steps.
    """
    op = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise DTypeError(f"{op}: expected a PackedSequence, got {type(sequence).__name__}")
    steps = len(sequence.batch_sizes)
    if total_length is not None and total_length < steps:
        raise ArgumentError(f"{op}: total_length={total_length} is less than the longest sequence's length "
                            f"{steps}")
    padded = padded_sorted(sequence, padding_value, total_length)
    lengths = _lengths(sequence.batch_sizes)
    if sequence.unsorted_indices is not None:
        order = sequence.unsorted_indices.numpy()
        padded = index_select(padded, 1, tensor(order, device=padded.device))
        lengths = lengths[order]
    return (padded.transpose(0, 1) if batch_first else padded), tensor(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack tensors of shapes (L_i, *) into one (max L, B, *) ((B, max L, *) with batch_first),
    padding each with `padding_value` on `padding_side` ('right' or 'left').

        >>> ember.nn.utils.rnn.pad_sequence([ember.ones(2), ember.ones(1)], batch_first=True)
        tensor([[1., 1.],
                [1., 0.]])
    """
    op = "pad_sequence"
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if padding_side not in ("left", "right"):
        raise ArgumentError(f"{op}: padding_side must be 'left' or 'right', got {padding_side!r}")
    if not sequences:
        raise ArgumentError(f"{op}: received an empty list of sequences")
    for i, s in enumerate(sequences):
        _check_tensor(s, op, f"sequences[{i}]")
        if s.ndim < 1 or tuple(s.shape[1:]) != tuple(sequences[0].shape[1:]):
            raise ShapeError(f"{op}: sequences[{i}] has shape {tuple(s.shape)}; every sequence must be (L, "
                             f"{', '.join(map(str, sequences[0].shape[1:]))}) with the same trailing dims")
    longest = max(s.shape[0] for s in sequences)
    dtype = sequences[0].dtype  # torch copies every sequence into a tensor of the first one's dtype
    padded = []
    for s in sequences:
        s = s.to(dtype)
        pad = full((longest - s.shape[0], *s.shape[1:]), padding_value, dtype=dtype, device=s.device)
        padded.append(cat([s, pad] if padding_side == "right" else [pad, s]))
    return stack(padded, 1 - bool(batch_first))


def pack_sequence(sequences, enforce_sorted=True):
    """Pack a list of tensors (L_i, *): `pack_padded_sequence(pad_sequence(sequences), lengths)`."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch, each cut to its length."""
    _check_tensor(padded_sequences, "unpad_sequence", "padded_sequences")
    n = _as_lengths(lengths, "unpad_sequence")
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    return [x[i, :int(k)] for i, k in enumerate(n)]


def unpack_sequence(packed_sequences):
    """The list of sequences of a PackedSequence, in the order they were packed in."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)


def _select_state(hx, index):
    if hx is None or index is None:
        return hx
    if isinstance(hx, (tuple, list)):
        return type(hx)(_select_state(h, index) for h in hx)
    _check_tensor(hx, "RNN", "hx")
    return index_select(hx, 1, tensor(index.numpy(), device=hx.device))


def _state_part(hx, start, stop):
    if hx is None:
        return None
    if isinstance(hx, (tuple, list)):
        return tuple(h[:, start:stop] for h in hx)
    return hx[:, start:stop]


def _join_states(parts):
    if isinstance(parts[0], (tuple, list)):
        return tuple(cat([p[i] for p in parts], 1) for i in range(len(parts[0])))
    return cat(parts, 1)


def run_packed(module, packed, hx):
    """`module` (an RNN, LSTM or GRU) on a PackedSequence, as PyTorch: every sequence runs for its own
    length only (the reverse direction starts at its last valid step), h_n is each sequence's state at
    its last step, and the output is packed like the input. Sequences of one length run together as one
    padded batch of the module itself; `hx` and h_n are in the batch's original order.
    """
    if packed.data.ndim != 2:
        raise ShapeError(f"{module._name()}: a PackedSequence's data must be (steps, {module.input_size}), "
                         f"got {tuple(packed.data.shape)}")
    padded = padded_sorted(packed)
    lengths, B = _lengths(packed.batch_sizes), padded.shape[1]
    hx = _select_state(hx, packed.sorted_indices)
    outs, states, start = [], [], 0
    while start < B:
        stop = start + int((lengths[start:] == lengths[start]).sum())
        steps = int(lengths[start])
        x = padded[:steps, start:stop]
        out, h = module(x.transpose(0, 1) if module.batch_first else x, _state_part(hx, start, stop))
        out = out.transpose(0, 1) if module.batch_first else out
        if steps < padded.shape[0]:
            out = cat([out, out.new_zeros((padded.shape[0] - steps, *out.shape[1:]))])
        outs.append(out)
        states.append(h)
        start = stop
    out = cat(outs, 1)
    data = index_select(out.reshape(-1, out.shape[-1]), 0,
                        tensor(_positions(packed.batch_sizes.numpy(), B), device=out.device))
    return packed._with_data(data), _select_state(_join_states(states), packed.unsorted_indices)
