"""Arranging tensors with PyTorch's names (composites): `atleast_1d/2d/3d`, `column_stack`, `row_stack`,
`tensor_split`, `hsplit`/`vsplit`/`dsplit`, `split_with_sizes`, `fliplr`/`flipud`, `rot90`, `ravel`, `select`,
`meshgrid`, `cartesian_prod`, `combinations`, `block_diag`, `diag`, `diagflat`, `tril_indices`, `triu_indices`,
`vander`, `clamp_min`, `clamp_max`, `sgn`. Indexed writes, searching and sets are in `search`.

    >>> import ember
    >>> ember.fliplr(ember.tensor([[1, 2]]))
    tensor([[2, 1]])
"""
import itertools
import math

import numpy as np

from ember.autograd.checks import check_size, normalize_dim
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import unary
from ember.ops._args import need_dims, need_int, need_ints, sections
from ember.ops._util import const
from ember.ops.arrange import flip
from ember.ops.creation import zeros
from ember.ops.join import _at_least, cat, hstack, stack, vstack
from ember.ops.registry import Sample, register

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "column_stack", "row_stack", "tensor_split", "hsplit", "vsplit",
           "dsplit", "split_with_sizes", "fliplr", "flipud", "rot90", "ravel", "select", "meshgrid", "cartesian_prod",
           "combinations", "block_diag", "diag", "diagflat", "tril_indices", "triu_indices", "vander", "clamp_min",
           "clamp_max", "sgn"]
METHODS = ("tensor_split hsplit vsplit dsplit split_with_sizes fliplr flipud rot90 ravel select diag diagflat clamp_min "
           "clamp_max sgn")
INPLACE = "clamp_min clamp_max sgn"


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
    need_dims("split_with_sizes", input)
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
