"""Reductions over runs of a tensor: `segment_reduce` (sums, means, extremes or products of consecutive
segments given by their lengths or offsets) and `hash_tensor` (the xor of the elements' 64-bit patterns).

    >>> import ember
    >>> ember.segment_reduce(ember.tensor([1.0, 2.0, 3.0, 4.0, 5.0]), "sum", lengths=ember.tensor([2, 0, 3]))
    tensor([ 3.,  0., 12.])
"""
import math

import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import creation, join
from ember.ops._args import need_tensor
from ember.ops._dims import _axes
from ember.ops._util import _wrap

__all__ = ["segment_reduce", "hash_tensor"]
METHODS = "hash_tensor"
INPLACE = ""

# reduce name -> (the reduction of a non-empty segment along `axis`, its value on an empty one, with `initial`)
_REDUCTIONS = {
    "sum": (lambda x, axis: x.sum(axis), 0.0, lambda r, init, n: r + init),
    "mean": (lambda x, axis: x.mean(axis), math.nan, lambda r, init, n: r + init / n),  # PyTorch's: (sum + init) / n
    "max": (lambda x, axis: x.amax(axis), -math.inf, lambda r, init, n: r.clamp(min=init)),
    "min": (lambda x, axis: x.amin(axis), math.inf, lambda r, init, n: r.clamp(max=init)),
    "prod": (lambda x, axis: x.prod(axis), 1.0, lambda r, init, n: r * init),
}
_ALIASES = {"amax": "max", "amin": "min"}


def _lengths(op, data, lengths, offsets, axis):
    if lengths is None and offsets is None:
        raise ArgumentError(f"{op}: either lengths or offsets must be given")
    given = lengths if lengths is not None else offsets
    need_tensor(op, "lengths" if lengths is not None else "offsets", given)
    if given.is_floating_point() or given.dtype is dtypes.bool_:
        raise DTypeError(f"{op}: lengths/offsets must be an integer tensor, got {given.dtype}")
    a = given.numpy().astype(np.int64)
    if lengths is None:
        a = np.diff(a, axis=-1)
    if a.ndim != axis + 1 or a.shape[:-1] != tuple(data.shape[:axis]):
        raise ShapeError(f"{op}: lengths of shape {a.shape} must have axis + 1 = {axis + 1} dims, the leading ones "
                         f"equal to data's {tuple(data.shape[:axis])}")
    if (a < 0).any() or (a.sum(-1) != data.shape[axis]).any():
        raise ShapeError(f"{op}: every row of lengths must be non-negative and sum to data.shape[{axis}] = "
                         f"{data.shape[axis]}, got {a.tolist()}")
    return a


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0, unsafe=False, initial=None):
    """Reduce consecutive segments of `data` along `axis` ('sum', 'mean', 'max', 'min', 'prod'); segment k
    of row i spans lengths[i, k] elements (or offsets[i, k]..offsets[i, k + 1]). An empty segment gives
    `initial` if set, else the reduction's identity (NaN for 'mean'); `initial` also joins every segment.
    Differentiable in `data`."""
    op = "segment_reduce"
    need_tensor(op, "data", data)
    name = _ALIASES.get(reduce, reduce) if isinstance(reduce, str) else None
    if name not in _REDUCTIONS:
        raise ArgumentError(f"{op}: reduce must be one of {sorted(_REDUCTIONS)}, got {reduce!r}")
    if indices is not None:
        raise ArgumentError(f"{op}: indices-based reduction is not supported (as in PyTorch); give lengths or offsets")
    if not data.is_floating_point():
        raise DTypeError(f"{op}: data must be a floating point tensor, got {data.dtype}")
    if isinstance(axis, bool) or not isinstance(axis, int) or not -data.ndim <= axis < max(data.ndim, 1):
        raise ArgumentError(f"{op}: axis must be an int in [{-data.ndim}, {data.ndim}), got {axis!r}")
    axis %= max(data.ndim, 1)
    counts = _lengths(op, data, lengths, offsets, axis)
    fn, empty, with_initial = _REDUCTIONS[name]
    rows = []
    for lead in np.ndindex(*counts.shape[:-1]):
        row, start = data[lead] if lead else data, 0
        parts = []
        for n in counts[lead]:
            n = int(n)
            if n:
                part = fn(row.narrow(0, start, n), 0)
                part = part if initial is None else with_initial(part, initial, n)
            else:
                shape = tuple(row.shape[1:])
                part = creation.full(shape, empty if initial is None else initial, dtype=data.dtype, device=data.device)
            parts.append(part)
            start += n
        rows.append(join.stack(parts, 0) if parts else
                    creation.zeros((0,) + tuple(row.shape[1:]), dtype=data.dtype, device=data.device))
    out = join.stack(rows, 0) if counts.ndim > 1 else rows[0]
    return out.reshape(tuple(counts.shape) + tuple(data.shape[axis + 1:]))


def hash_tensor(input, dim=None, *, keepdim=False, mode=0):
    """The xor of the elements' bit patterns after widening to float64 (floats) or int64 (integers, bools),
    as uint64, over `dim` (all dims when None). Not differentiable."""
    op = "hash_tensor"
    need_tensor(op, "input", input)
    if mode != 0:
        raise ArgumentError(f"{op}: unknown mode {mode!r}; mode 0 (xor reduction) is the only one")
    if dim is None and input.numel() == 0:
        raise ArgumentError(f"{op}: an empty input needs the reduction dim given with dim=")
    dims = _axes(dim, input.ndim, op)
    a = input.detach().numpy()
    wide = a.astype(np.float64) if input.is_floating_point() else a.astype(np.int64)
    bits = wide.view(np.uint64)
    out = np.bitwise_xor.reduce(bits, axis=dims, keepdims=keepdim) if dims else bits.copy()
    out = np.asarray(out, dtype=np.uint64)
    return _wrap(out if input.device.type == "cpu" else input._device.xp.asarray(out), input._device)
