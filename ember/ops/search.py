"""Indexed writes, searching and sets with PyTorch's names (composites): `index_copy`, `index_fill`,
`masked_scatter`, `repeat_interleave`, `searchsorted`, `bucketize`, `isin`, `unique`, `unique_consecutive`.

    >>> import ember
    >>> ember.isin(ember.tensor([1, 2, 3]), ember.tensor([2, 5]))
    tensor([False,  True, False])
"""
import numpy as np

from ember.autograd.checks import check_size, normalize_dim
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DimError, DTypeError, IndexOutOfRangeError, ShapeError
from ember.ops import binary
from ember.ops._args import need_int, need_number, need_tensor, same_dtype
from ember.ops._util import const, int_in_range
from ember.ops.creation import zeros
from ember.ops.join import stack
from ember.ops.mask import masked_fill

__all__ = ["index_copy", "index_fill", "masked_scatter", "repeat_interleave", "searchsorted", "bucketize", "isin",
           "unique", "unique_consecutive"]
METHODS = "index_copy index_fill masked_scatter repeat_interleave unique unique_consecutive"
INPLACE = "index_copy index_fill masked_scatter"


def index_copy(input, dim, index, source):
    """`input` with the slices at `index` along `dim` replaced by `source`'s."""
    need_tensor("index_copy", "source", source)
    dim = normalize_dim(dim, input.ndim, "index_copy")
    _index_vector("index_copy", index, input.shape[dim] if input.ndim else 1, negative=False)
    return index_fill(input, dim, index, 0).index_add(dim, index, source)


def index_fill(input, dim, index, value):
    """`input` with the slices at `index` along `dim` set to `value`."""
    dim = normalize_dim(dim, input.ndim, "index_fill")
    if isinstance(value, Tensor) and value.ndim:
        raise ShapeError(f"index_fill: value must be a number or a 0-d tensor, got shape {tuple(value.shape)}")
    if not isinstance(value, Tensor):
        need_number("index_fill", "value", value)
    mask = np.zeros(input.shape[dim] if input.ndim else 1, bool)
    mask[_index_vector("index_fill", index, len(mask), negative=True)] = True
    mask = const(mask.reshape([-1 if i == dim else 1 for i in range(input.ndim)]), input)
    return masked_fill(input, mask, value)  # in input's dtype, as PyTorch (where() would promote)


def _index_vector(op, index, n, negative):
    """An int64 tensor of 0 or 1 dims with values in [-n, n) ([0, n) without `negative`), as a NumPy array."""
    if not isinstance(index, Tensor) or index.dtype.name != "int64" or index.ndim > 1:
        got = f"{index.dtype} of shape {tuple(index.shape)}" if isinstance(index, Tensor) else type(index).__name__
        raise DTypeError(f"{op}: index must be an int64 tensor of 0 or 1 dims, got {got}")
    a = index.detach().numpy().reshape(-1)
    bad = a[(a >= n) | (a < (-n if negative else 0))]
    if bad.size:
        raise IndexOutOfRangeError(f"{op}: index {int(bad[0])} is out of range for a dim of size {n}")
    return a


def masked_scatter(input, mask, source):
    """`input` with the positions where `mask` holds filled, in order, from `source`'s elements."""
    need_tensor("masked_scatter", "mask", mask)
    need_tensor("masked_scatter", "source", source)
    if mask.dtype.name != "bool":  # PyTorch takes bool masks only
        raise DTypeError(f"masked_scatter: mask must be a bool tensor, got {mask.dtype}")
    same_dtype("masked_scatter", input=input, source=source)
    m = mask.expand(input.shape) if tuple(mask.shape) != tuple(input.shape) else mask
    count = int(m.sum())
    if source.numel() < count:
        raise ShapeError(f"masked_scatter: source has {source.numel()} elements, the mask selects {count}")
    order = np.cumsum(m.detach().numpy().ravel()) - 1
    picked = source.reshape(-1)[const(np.where(m.detach().numpy().ravel(), order, 0), source).long()]
    return binary.where(m, picked.reshape(input.shape), input)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each element (or slice along `dim`) repeated `repeats` times; `repeat_interleave(counts)` on
    an integer tensor alone gives `[0]*counts[0] + [1]*counts[1] + ...`."""
    if output_size is not None:
        output_size = need_int("repeat_interleave", "output_size", output_size)
    if repeats is None:
        if input.ndim != 1:
            raise ShapeError(f"repeat_interleave: counts alone must be 1-d, got shape {tuple(input.shape)}")
        counts = _repeats(input)
        return const(np.repeat(np.arange(len(counts)), counts), input).to(input.dtype)  # the counts' dtype, as PyTorch
    flat = dim is None
    x = input.reshape(-1) if flat else input
    d = 0 if flat else normalize_dim(need_int("repeat_interleave", "dim", dim, low=None), input.ndim,
                                     "repeat_interleave")
    reps = _repeats(repeats) if isinstance(repeats, Tensor) else need_int("repeat_interleave", "repeats", repeats)
    n = x.shape[d] if x.ndim else 1
    if np.ndim(reps) and len(reps) not in (1, n):
        raise ShapeError(f"repeat_interleave: {len(reps)} repeats for a dim of size {n}")
    total = int(np.sum(reps)) * (1 if np.ndim(reps) else n)
    check_size("repeat_interleave", (total,) + tuple(x.shape[:d]) + tuple(x.shape[d + 1:]), x.dtype.itemsize, "output")
    index = np.repeat(np.arange(n), reps)
    if output_size is not None and len(index) != output_size:
        raise ShapeError(f"repeat_interleave: output_size {output_size} does not match {len(index)}")
    return x.index_select(d, const(index, x).long())


def _repeats(t):
    """Counts of repeat_interleave given as a tensor: integers, 1-d (or 0-d), none negative, as PyTorch."""
    if t.dtype.kind not in "iu" or t.ndim > 1:
        raise DTypeError(f"repeat_interleave: repeats must be an integer tensor of 0 or 1 dims, "
                         f"got {t.dtype} of shape {tuple(t.shape)}")
    a = t.detach().numpy().reshape(-1)
    if (a < 0).any():
        raise ArgumentError("repeat_interleave: repeats must be non-negative")
    return a


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None, sorter=None):
    """The indices at which `input`'s values would be inserted into the last dim of `sorted_sequence`."""
    if side is not None:
        if side not in ("left", "right"):
            raise ArgumentError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        right = side == "right"
    if not isinstance(input, Tensor):
        need_number("searchsorted", "input", input)
    if sorter is not None:
        need_tensor("searchsorted", "sorter", sorter)
    if sorted_sequence.ndim == 0:
        raise ShapeError("searchsorted: sorted_sequence must have at least 1 dim, got a 0-d tensor")
    seq = sorted_sequence.detach().numpy()
    if sorter is not None:
        seq = np.take_along_axis(seq, sorter.detach().numpy(), -1)
    values = input.detach().numpy() if isinstance(input, Tensor) else np.asarray(input)
    if isinstance(input, Tensor) and input.dtype is not sorted_sequence.dtype:
        common = dtypes.promote_types(input.dtype, sorted_sequence.dtype).np  # PyTorch compares in the common dtype
        seq, values = seq.astype(common), values.astype(common)
    which = "right" if right else "left"
    if seq.ndim == 1:
        out = np.searchsorted(seq, values, which)
    else:
        if seq.shape[:-1] != values.shape[:-1]:
            raise ShapeError(f"searchsorted: the leading dims of sorted_sequence {seq.shape} and input "
                             f"{values.shape} must match")
        if values.size == 0 or seq.size == 0:  # nothing to search, or nowhere: index 0
            return const(np.zeros(values.shape, np.int32 if out_int32 else np.int64), sorted_sequence)
        flat_s, flat_v = seq.reshape(-1, seq.shape[-1]), values.reshape(-1, values.shape[-1])
        rows = [np.searchsorted(s, v, which) for s, v in zip(flat_s, flat_v)]
        out = (np.stack(rows) if rows else np.zeros(0, np.int64)).reshape(values.shape)
    like = sorted_sequence
    return const(np.asarray(out).astype(np.int32 if out_int32 else np.int64), like)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value for the 1-d sorted `boundaries` (PyTorch's `right` convention)."""
    if need_tensor("bucketize", "boundaries", boundaries).ndim != 1:
        raise ShapeError(f"bucketize: boundaries must be 1-d, got shape {tuple(boundaries.shape)}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """Whether each element is among `test_elements` (either may be a number, not both)."""
    for name, v in (("elements", elements), ("test_elements", test_elements)):
        if not isinstance(v, Tensor):
            need_number("isin", name, v)
            if isinstance(v, bool):
                raise DTypeError(f"isin: bool {name} are not supported (as in PyTorch)")
    if not isinstance(elements, Tensor) and not isinstance(test_elements, Tensor):
        raise DTypeError("isin: elements and test_elements are both numbers; one must be a tensor")
    if any(isinstance(v, Tensor) and v.dtype.name == "bool" for v in (elements, test_elements)):
        raise DTypeError("isin: bool tensors are not supported (as in PyTorch)")
    e = elements.detach().numpy() if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements.detach().numpy() if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    # NumPy does not promote bfloat16 with other dtypes: compared in float32, which holds it exactly
    e, t = (a.astype(np.float32) if a.dtype == dtypes.bfloat16.np else a for a in (e, t))
    like = elements if isinstance(elements, Tensor) else test_elements
    int_in_range("isin", e if isinstance(elements, Tensor) else elements, t if isinstance(test_elements, Tensor)
                 else test_elements)
    return const(np.isin(e, t, invert=invert).astype(bool, copy=False), like)  # bool even when empty


def _zero_sized_off(input, d, op):
    """PyTorch refuses an empty input whose empty dims are not `dim`: the slices compared have no elements."""
    if input.numel() == 0 and input.shape[d] != 0:
        raise ShapeError(f"{op}: the input of shape {tuple(input.shape)} has zero-sized dims other than dim {d}")


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), with the inverse indices and counts on request."""
    a = input.detach().numpy()
    kept = a.dtype
    if input.dtype is dtypes.bfloat16:  # NumPy's sort of bfloat16 misplaces values around a NaN; float32 is exact
        a = a.astype(np.float32)
    if dim is None:
        values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a.shape)
    else:
        if input.ndim == 0:
            raise DimError(f"unique: dim={dim} given for a 0-d tensor, which has no dims")
        d = normalize_dim(dim, input.ndim, "unique")
        _zero_sized_off(input, d, "unique")
        values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        inverse = inverse.reshape(-1)
    out = [const(values.astype(kept), input)]
    if return_inverse:
        out.append(const(inverse.astype(np.int64), input))
    if return_counts:
        out.append(const(counts.astype(np.int64), input))
    return out[0] if len(out) == 1 else tuple(out)


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """Each run of equal consecutive values (or slices along `dim`) collapsed to one."""
    a = input.detach().numpy()
    if dim is not None and input.ndim == 0:
        raise DimError(f"unique_consecutive: dim={dim} given for a 0-d tensor, which has no dims")
    d = 0 if dim is None else normalize_dim(dim, input.ndim, "unique_consecutive")
    if dim is not None:
        _zero_sized_off(input, d, "unique_consecutive")
    x = a.reshape(-1) if dim is None else np.moveaxis(a, d, 0)
    if len(x) == 0:
        starts = np.zeros(0, bool)
    else:
        change = np.any((x[1:] != x[:-1]).reshape(len(x) - 1, int(np.prod(x.shape[1:]))), axis=1)
        starts = np.concatenate([[True], change])
    values = x[starts]
    values = values if dim is None else np.moveaxis(values, 0, d)
    out = [const(np.ascontiguousarray(values), input)]
    groups = np.cumsum(starts) - 1
    if return_inverse:
        out.append(const(groups.reshape(a.shape) if dim is None else groups, input).long())
    if return_counts:
        out.append(const(np.bincount(groups, minlength=int(starts.sum())).astype(np.int64), input))
    return out[0] if len(out) == 1 else tuple(out)
