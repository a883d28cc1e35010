"""`embedding_bag`: sums, means or maxima of bags of embeddings, without materializing the bags'
embeddings one by one (a composite of `embedding` and one matmul with a constant bag matrix).

    >>> import ember.nn.functional as F
    >>> w = ember.arange(8.0).reshape(4, 2)
    >>> F.embedding_bag(ember.tensor([0, 1, 3]), w, ember.tensor([0, 2]), mode="sum")
    tensor([[2., 4.],
            [6., 7.]])
"""
import numpy as np

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import binary
from ember.ops._util import const
from ember.ops.dense import embedding

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = "embedding_bag"
MODES = ("sum", "mean", "max")


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Reduce bags of rows of `weight`: a 2-d `input` (B, N) holds one bag per row; a 1-d `input` holds
    bags that start at `offsets`. `mode` is 'sum', 'mean' or 'max'; `per_sample_weights` (mode 'sum')
    scales each looked-up row; entries equal to `padding_idx` are left out; empty bags give zeros."""
    op = "embedding_bag"
    if mode not in MODES:
        raise ArgumentError(f"{op}: mode must be one of {MODES}, got {mode!r}")
    if scale_grad_by_freq and mode == "max":
        raise ArgumentError(f"{op}: scale_grad_by_freq is not supported with mode='max'")
    if not isinstance(input, Tensor) or input.is_floating_point():
        raise DTypeError(f"{op}: input must be an integer tensor of indices, got "
                         f"{getattr(input, 'dtype', type(input).__name__)}")
    flat, bags, n_bags = _bags(op, input, offsets, include_last_offset)
    if per_sample_weights is not None:
        if mode != "sum":
            raise ArgumentError(f"{op}: per_sample_weights is only supported with mode='sum', got mode={mode!r}")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ShapeError(f"{op}: per_sample_weights of shape {tuple(per_sample_weights.shape)} must have the "
                             f"input's shape {tuple(input.shape)}")
    rows = embedding(flat, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)  # (T, D)
    ids = flat.numpy()
    keep = np.ones(ids.shape, bool) if padding_idx is None else ids != _normalize(padding_idx, weight.shape[0])
    member = np.zeros((n_bags, ids.size), rows.dtype.np)
    member[bags[keep], np.nonzero(keep)[0]] = 1.0
    if mode == "max":
        masked = binary.where(const(member[:, :, None] > 0, rows), rows.unsqueeze(0), float("-inf"))
        out = masked.amax(1) if ids.size else rows.new_zeros(n_bags, weight.shape[1])
        return binary.where(const(member.sum(1, keepdims=True) > 0, rows), out, 0.0)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.reshape(-1).unsqueeze(1)
    out = const(member, rows) @ rows
    if mode == "mean":
        out = out / const(np.maximum(member.sum(1, keepdims=True), 1), rows)
    return out


def _normalize(padding_idx, n):
    return padding_idx + n if padding_idx < 0 else padding_idx


def _bags(op, input, offsets, include_last_offset):
    """(the indices as 1-d, the bag of each index as a NumPy array, the number of bags)."""
    if input.ndim == 2:
        if offsets is not None:
            raise ArgumentError(f"{op}: offsets must be None for a 2-d input (each row is a bag)")
        b, n = input.shape
        return input.reshape(-1), np.repeat(np.arange(b), n), b
    if input.ndim != 1:
        raise ShapeError(f"{op}: input must be 1-d (with offsets) or 2-d, got shape {tuple(input.shape)}")
    if offsets is None or not isinstance(offsets, Tensor) or offsets.ndim != 1 or offsets.is_floating_point():
        raise ArgumentError(f"{op}: a 1-d input needs offsets, a 1-d integer tensor of bag starts")
    starts = offsets.numpy().astype(np.int64)
    total = input.shape[0]
    if include_last_offset:
        if starts.size == 0 or starts[-1] != total:
            raise ArgumentError(f"{op}: with include_last_offset the last offset must be the input's size {total}")
        starts = starts[:-1]
    if starts.size and (starts[0] != 0 or np.any(np.diff(starts) < 0) or starts[-1] > total):
        raise ArgumentError(f"{op}: offsets must start at 0, not decrease and not exceed the input's size {total}")
    bags = np.searchsorted(starts, np.arange(total), side="right") - 1
    return input, bags, starts.size
