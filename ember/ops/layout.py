"""Arranging and searching tensors with PyTorch's names (composites): `atleast_1d/2d/3d`, `column_stack`,
`row_stack`, `tensor_split`, `hsplit`/`vsplit`/`dsplit`, `split_with_sizes`, `fliplr`/`flipud`, `rot90`,
`ravel`, `select`, `index_copy`, `index_fill`, `masked_scatter`, `repeat_interleave`, `searchsorted`,
`bucketize`, `isin`, `unique`, `unique_consecutive`, `meshgrid`, `cartesian_prod`, `combinations`,
`block_diag`, `diag`, `diagflat`, `tril_indices`, `triu_indices`, `vander`, `clamp_min`, `clamp_max`, `sgn`.

    >>> import ember
    >>> ember.repeat_interleave(ember.tensor([1, 2]), 2)
    tensor([1, 1, 2, 2])
"""
import itertools
import math
from collections import namedtuple

import numpy as np

from ember.autograd.checks import check_size, normalize_dim
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DimError, DTypeError, IndexOutOfRangeError, ShapeError
from ember.ops import binary, unary
from ember.ops._args import need_dims, need_int, need_ints, need_number, need_tensor, same_dtype, sections
from ember.ops._util import const, int_in_range
from ember.ops.arrange import flip
from ember.ops.creation import zeros
from ember.ops.join import _at_least, cat, hstack, stack, vstack
from ember.ops.mask import masked_fill
from ember.ops.registry import Sample, register

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "column_stack", "row_stack", "tensor_split", "hsplit", "vsplit",
           "dsplit", "split_with_sizes", "fliplr", "flipud", "rot90", "ravel", "select", "index_copy", "index_fill",
           "masked_scatter", "repeat_interleave", "searchsorted", "bucketize", "isin", "unique", "unique_consecutive",
           "meshgrid", "cartesian_prod", "combinations", "block_diag", "diag", "diagflat", "tril_indices",
           "triu_indices", "vander", "clamp_min", "clamp_max", "sgn"]
METHODS = ("tensor_split hsplit vsplit dsplit split_with_sizes fliplr flipud rot90 ravel select index_copy index_fill "
           "masked_scatter repeat_interleave unique unique_consecutive diag diagflat clamp_min clamp_max sgn")
INPLACE = "index_copy index_fill masked_scatter clamp_min clamp_max sgn"


def _tensors(op, tensors):
    ts = list(tensors[0]) if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)) else list(tensors)
    if not all(isinstance(t, Tensor) for t in ts):
        raise DTypeError(f"{op}: expected tensors")
    return ts


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a tuple for several)."""
    ts = _tensors("atleast_1d", tensors)
    out = tuple(_at_least(t, 1) for t in ts)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims (a 1-d tensor becomes a row)."""
    ts = _tensors("atleast_2d", tensors)
    out = tuple(_at_least(t, 2) for t in ts)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims, as NumPy's atleast_3d."""
    ts = _tensors("atleast_3d", tensors)
    out = tuple(_at_least(t, 3) for t in ts)
    return out[0] if len(tensors) == 1 and isinstance(tensors[0], Tensor) else out


@register("column_stack", lambda make: [Sample(([make(3), make(3, 2)],), name="mixed")])
def column_stack(tensors):
    """1-d and 0-d tensors as columns, joined along dim 1."""
    ts = _tensors("column_stack", (tensors,))
    return hstack([t.reshape(-1, 1) if t.ndim <= 1 else t for t in ts])


row_stack = vstack


_VIEW_BYTES = 1024  # about what one tensor view costs in memory (the Tensor, its array header)


def tensor_split(input, indices_or_sections, dim=0):
    """Views of `input` along `dim`: into n nearly equal parts, or split before each listed index."""
    need_dims("tensor_split", input)
    return _split_at(input, sections("tensor_split", indices_or_sections, tensor=True), dim)


def _split_at(input, spec, dim):
    dim = normalize_dim(dim, input.ndim, "tensor_split")
    n = input.shape[dim]
    if isinstance(spec, int):
        check_size("tensor_split", (spec,), _VIEW_BYTES, "sections")  # one view per section, made in a loop
        sizes = [n // spec + (1 if i < n % spec else 0) for i in range(spec)]
        bounds = list(itertools.accumulate([0] + sizes))
        return tuple(input.narrow(dim, a, b - a) for a, b in zip(bounds[:-1], bounds[1:]))
    bounds = [0] + spec + [None]
    pieces = [range(n)[a:b] for a, b in zip(bounds[:-1], bounds[1:])]  # each a Python slice, as PyTorch
    return tuple(input.narrow(dim, min(r.start, n), len(r)) for r in pieces)


def _directional_split(op, input, spec, dim, min_ndim):
    spec = sections(op, spec)
    if input.ndim < min_ndim:
        raise ShapeError(f"{op}: expected a tensor of at least {min_ndim} dims, got {tuple(input.shape)}")
    if isinstance(spec, int) and input.shape[dim] % spec:
        raise ArgumentError(f"{op}: dim {dim} of size {input.shape[dim]} is not divisible by {spec}")
    return _split_at(input, spec, dim)


def hsplit(input, indices_or_sections):
    """Split along dim 1 (dim 0 for 1-d tensors)."""
    return _directional_split("hsplit", input, indices_or_sections, 0 if input.ndim == 1 else 1, 1)


def vsplit(input, indices_or_sections):
    """Split along dim 0 (at least 2-d)."""
    return _directional_split("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """Split along dim 2 (at least 3-d)."""
    return _directional_split("dsplit", input, indices_or_sections, 2, 3)


def split_with_sizes(input, split_sizes, dim=0):
    """Views of the listed sizes along `dim` (they must add up to the dim's size)."""
    split_sizes = need_ints("split_with_sizes", "split_sizes", split_sizes)
    dim = normalize_dim(dim, input.ndim, "split_with_sizes")
    if sum(split_sizes) != input.shape[dim]:
        raise ShapeError(f"split_with_sizes: sizes {list(split_sizes)} do not add up to {input.shape[dim]}")
    return input.split(list(split_sizes), dim)


@register("fliplr", lambda make: [Sample((make(3, 4),), name="2d")])
def fliplr(input):
    """Reverse dim 1."""
    _need_rank("fliplr", input, 2)
    return flip(input, (1,))


@register("flipud", lambda make: [Sample((make(3, 4),), name="2d")])
def flipud(input):
    """Reverse dim 0."""
    _need_rank("flipud", input, 1)
    return flip(input, (0,))


def _need_rank(op, input, n):
    if input.ndim < n:
        raise ShapeError(f"{op}: expected a tensor of at least {n} dims, got shape {tuple(input.shape)}")


@register("rot90", lambda make: [Sample((make(3, 4),), name="once"), Sample((make(3, 4), 2), name="twice"),
                                 Sample((make(2, 3, 4), -1, (1, 2)), name="dims")])
def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees `k` times in the plane of `dims`, from the first towards the second."""
    k, dims = need_int("rot90", "k", k, low=None), need_ints("rot90", "dims", dims)
    if len(dims) != 2:
        raise ArgumentError(f"rot90: dims must name 2 dims, got {dims}")
    _need_rank("rot90", input, 2)
    a, b = (normalize_dim(d, input.ndim, "rot90") for d in dims)
    if a == b:
        raise ArgumentError(f"rot90: dims must differ, got {dims}")
    k %= 4
    if k == 1:
        return flip(input, (b,)).transpose(a, b)
    if k == 2:
        return flip(input, (a, b))
    if k == 3:
        return flip(input, (a,)).transpose(a, b)
    return input


def ravel(input):
    """All elements as a 1-d tensor."""
    return input.reshape(-1)


def select(input, dim, index):
    """The slice at `index` along `dim` (that dim removed): a view."""
    index = need_int("select", "index", index, low=None)
    need_dims("select", input)
    dim = normalize_dim(dim, input.ndim, "select")
    if isinstance(index, Tensor) and index.numel() == 1:  # a one-element tensor is an int, as in PyTorch
        index = index.item()
    return input[(slice(None),) * dim + (index,)]


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


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values (sorted), with the inverse indices and counts on request."""
    a = input.detach().numpy()
    if dim is None:
        values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(a.shape)
    else:
        if input.ndim == 0:
            raise DimError(f"unique: dim={dim} given for a 0-d tensor, which has no dims")
        d = normalize_dim(dim, input.ndim, "unique")
        values, inverse, counts = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        inverse = inverse.reshape(-1)
    out = [const(values, input)]
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


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-d tensors; `indexing` is 'ij' (matrix) or 'xy' (Cartesian)."""
    ts = _tensors("meshgrid", tensors)
    if not ts:
        raise ArgumentError("meshgrid: expected at least one tensor")
    if indexing not in ("ij", "xy"):
        raise ArgumentError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if any(t.ndim > 1 for t in ts):
        raise ShapeError("meshgrid: expected 0-d or 1-d tensors")
    ts = [t.reshape(-1) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    order = [1, 0] + list(range(2, len(ts))) if swap else list(range(len(ts)))
    shape = [ts[i].shape[0] for i in order]
    out = []
    for i, t in enumerate(ts):
        axis = order.index(i)
        view = [1] * len(ts)
        view[axis] = -1
        out.append(t.reshape(view).expand(shape))
    return tuple(out)


def cartesian_prod(*tensors):
    """All combinations of the 1-d tensors' elements, as rows (a 1-d tensor for one input)."""
    ts = _tensors("cartesian_prod", tensors)
    if len(ts) == 1:
        return ts[0]
    return stack([g.reshape(-1) for g in meshgrid(*ts, indexing="ij")], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-r combinations of a 1-d tensor's elements, as rows."""
    if input.ndim != 1:
        raise ShapeError(f"combinations: expected a 1-d tensor, got shape {tuple(input.shape)}")
    r = need_int("combinations", "r", r)
    if r == 0:  # PyTorch's empty result
        return input.new_zeros((0,))
    n = input.shape[0]
    count = math.comb(n + r - 1, r) if with_replacement else math.comb(n, r)
    check_size("combinations", (count, r), 8, "index table")  # before enumerating them one by one
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    rows = np.array(list(pick(range(input.shape[0]), r)), np.int64).reshape(-1, r)
    if rows.size == 0:
        return input.new_zeros((0, r) if r > 0 else (0,))
    return input[const(rows, input).long()]


def block_diag(*tensors):
    """The tensors (0-, 1- or 2-d) as blocks on the diagonal of one matrix."""
    ts = [t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors("block_diag", tensors)]
    if not ts:  # PyTorch returns one empty row
        return zeros(1, 0)
    rows, cols = sum(t.shape[0] for t in ts), sum(t.shape[1] for t in ts)
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = dtypes.promote_types(dt, t.dtype)
    padded, c = [], 0
    for t in ts:
        t = t.to(dt) if t.dtype is not dt else t
        padded.append(_pad_columns(t, c, cols - c - t.shape[1]))
        c += t.shape[1]
    return cat(padded, 0) if padded else zeros(rows, cols)


def _pad_columns(t, left, right):
    return cat([t.new_zeros(t.shape[0], left), t, t.new_zeros(t.shape[0], right)], 1)


@register("diag", lambda make: [Sample((make(4),), name="vector"), Sample((make(3, 4),), name="matrix"),
                                Sample((make(3), 1), name="offset"), Sample((make(4, 3), -1), name="below")])
def diag(input, diagonal=0):
    """A 1-d input as a diagonal matrix; a 2-d input's `diagonal`-th diagonal as a 1-d tensor."""
    if input.ndim == 1:
        return input.diag_embed(diagonal)
    if input.ndim == 2:
        return input.diagonal(diagonal)
    raise ShapeError(f"diag: expected a 1-d or 2-d tensor, got shape {tuple(input.shape)}")


@register("diagflat", lambda make: [Sample((make(2, 2),), name="2d"), Sample((make(3), -1), name="offset")])
def diagflat(input, offset=0):
    """The flattened input as the `offset`-th diagonal of a matrix."""
    return input.reshape(-1).diag_embed(offset)


def _triangle_indices(op, row, col, offset, lower, dtype, device):
    if col is None:
        col = row
    row, col = need_int(op, "row", row), need_int(op, "col", col)
    offset = need_int(op, "offset", offset, low=None)
    check_size(op, (2, row, col), 8, "index grid")
    r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    out = np.stack([r, c]).astype(np.int64)
    return Tensor(out, dtype=dtype or dtypes.int64, device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the lower triangle of a row x col matrix."""
    return _triangle_indices("tril_indices", row, col, offset, True, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (2, N) coordinates of the upper triangle of a row x col matrix."""
    return _triangle_indices("triu_indices", row, col, offset, False, dtype, device)


@register("vander", lambda make: [Sample((make(4),), name="default"), Sample((make(3),), {"N": 5}, "N"),
                                  Sample((make(3),), {"increasing": True}, "increasing")],
          grad=False, notes="torch.vander's own backward fails (an in-place op in its implementation), so only "
                            "values are compared; ember's gradient is that of the powers")
def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: columns are powers of `x` (decreasing unless `increasing`)."""
    if x.ndim != 1:
        raise ShapeError(f"vander: x must be 1-d, got shape {tuple(x.shape)}")
    n = x.shape[0] if N is None else N
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ArgumentError(f"vander: N must be a non-negative int, got {N!r}")
    if x.dtype.kind in "biu":  # PyTorch gives int64 for every integer or bool input
        x = x.long()
    check_size("vander", (x.shape[0], n), x.dtype.itemsize, "output")
    # as PyTorch: a column of ones, then running products (x**0 is 1 even for inf and NaN)
    ones = x.new_ones(x.shape[0], min(n, 1))
    powers = cat([ones, x.unsqueeze(1).expand(x.shape[0], n - 1).cumprod(1)], 1) if n > 1 else ones
    return powers if increasing else flip(powers, [1])


@register("clamp_min", lambda make: [Sample((make.away(3, 4), 0.3), name="scalar")])
def clamp_min(input, min):
    """`clamp(input, min=min)`."""
    return input.clamp(min=min)


@register("clamp_max", lambda make: [Sample((make.away(3, 4), 0.3), name="scalar")])
def clamp_max(input, max):
    """`clamp(input, max=max)`."""
    return input.clamp(max=max)


@register("sgn", lambda make: [Sample((make.away(3, 4),), name="2d")], grad=False)
def sgn(input):
    """The sign of each element (for real tensors, `sign`)."""
    return unary.sign(input)
