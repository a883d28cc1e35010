"""Indexing: `t[...]` and `t[...] = v` with PyTorch semantics (ints, slices, None,
Ellipsis, integer and boolean tensors), and the indexing ops: gather/scatter,
index_select/index_add, masks, nonzero, sort/topk, one_hot, tril/triu.

    >>> import ember
    >>> x = ember.arange(6.0).reshape(2, 3)
    >>> x[:, 1], x[x > 3], x[[0, 1], [2, 0]]
    (tensor([1., 4.]), tensor([4., 5.]), tensor([2., 3.]))

Index tensors are int64 (int32 is accepted where PyTorch accepts it). An index
outside its dim raises `IndexOutOfRangeError` naming the op, the index, the dim
and its size, before anything is allocated.
"""
from collections import namedtuple

import numpy as np

from ember.autograd import grad_mode
from ember.autograd.checks import broadcast_shapes, check_size, normalize_dim
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, AutogradError, DimError, DTypeError, IndexOutOfRangeError, ShapeError
from ember.ops._util import as_tensor_arg, const
from ember.ops.registry import Sample, register

__all__ = ["getitem", "setitem", "index_put", "gather", "scatter", "scatter_add", "index_select", "index_add",
           "take_along_dim", "take", "masked_fill", "masked_select", "nonzero", "argwhere", "sort", "argsort",
           "topk", "one_hot", "tril", "triu"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = ("index_put gather scatter scatter_add index_select index_add take_along_dim take masked_fill "
           "masked_select nonzero argwhere sort argsort topk tril triu")
INPLACE = "index_put scatter scatter_add index_add masked_fill tril triu"


# --- index checks shared by the ops ---------------------------------------------

def _check_bounds(op, index, dim, size, negative=False):
    """Every entry of `index` (an int or an integer array) in [0, size), or [-size, size) with `negative`."""
    if isinstance(index, int):
        lo = hi = index
    elif index.size == 0:
        return
    else:
        lo, hi = int(index.min()), int(index.max())
    if hi >= size or lo < (-size if negative else 0):
        bad = hi if hi >= size else lo
        raise IndexOutOfRangeError(f"{op}: index {bad} is out of bounds for dim {dim} with size {size}")


def _check_dtype(op, index, name="index", allowed=(np.int64, np.int32)):
    if index.dtype not in allowed:
        raise DTypeError(f"{op}: expected {name} of dtype int64, got {dtypes.dtype_of(index)}")


def _index_arg(op, index, like):
    """The index argument as a tensor (lists are accepted) on `like`'s device."""
    if isinstance(index, Tensor):
        return index
    try:
        return as_tensor_arg(index, like)
    except Exception:
        raise DTypeError(f"{op}: index must be an int64 tensor, got {type(index).__name__}") from None


def _zeros(shape, g):
    return const(g._device.xp.zeros(shape, g._data.dtype), g)


# --- t[key] and t[key] = v ------------------------------------------------------

class _Split:
    """A key with both ints and index tensors. PyTorch applies the ints (with the slices)
    first and the tensors to what is left, which places the advanced dims differently
    from NumPy's one-step rule when an int stands between them and a slice: `basic`,
    then `advanced`, reproduces PyTorch's layout."""

    def __init__(self, basic, advanced):
        self.basic, self.advanced = basic, advanced


def _index(op, key, shape, xp):
    """A user's key as a NumPy index (tensors to arrays), bounds checked with a clear message."""
    if type(key) is int or type(key) is slice:
        key = (key,)
    if type(key) is tuple and len(key) <= len(shape) and all(type(k) is int or type(k) is slice for k in key):
        for d, k in enumerate(key):  # the common basic key, checked quickly
            if type(k) is int and not -shape[d] <= k < shape[d]:
                _check_bounds(op, k, d, shape[d], negative=True)
        return key
    if not isinstance(key, tuple):
        key = tuple(key) if _list_as_tuple(key) else (key,)
    parts = [_key_part(op, k, xp) for k in key]
    if sum(k is Ellipsis for k in parts) > 1:
        raise ArgumentError(f"{op}: an index can only have a single ellipsis ('...')")
    used = sum(_dims_used(k) for k in parts)
    if used > len(shape):
        raise IndexOutOfRangeError(f"{op}: too many indices for a tensor of rank {len(shape)}: "
                                   f"{used} dims indexed")
    dim = 0
    ints = arrays = False
    for k in parts:
        if k is None:
            continue
        if k is Ellipsis:
            dim += len(shape) - used
        elif isinstance(k, slice):
            dim += 1
        elif isinstance(k, int):
            _check_bounds(op, k, dim, shape[dim], negative=True)
            ints = True
            dim += 1
        elif k.dtype == bool:
            if k.shape != tuple(shape[dim:dim + k.ndim]):
                raise IndexOutOfRangeError(f"{op}: boolean mask of shape {tuple(k.shape)} does not match the "
                                           f"indexed shape {tuple(shape[dim:dim + k.ndim])} at dim {dim}")
            arrays = True
            dim += k.ndim
        else:
            _check_bounds(op, k, dim, shape[dim], negative=True)
            arrays = True
            dim += 1
    return _split(parts, xp) if ints and arrays else tuple(parts)


def _list_as_tuple(key):
    """PyTorch's (and old NumPy's) rule: a short list holding sequences, tensors, slices,
    None or Ellipsis is a tuple of indices (`x[[[0, 1], [2, 3]]]` is `x[[0, 1], [2, 3]]`)."""
    return isinstance(key, list) and len(key) < 32 and any(
        k is None or k is Ellipsis or isinstance(k, (slice, list, tuple, Tensor, np.ndarray)) for k in key)


def _key_part(op, k, xp):
    """One element of a key: ints, slices, None and Ellipsis as they are; the rest as arrays."""
    if k is None or k is Ellipsis or isinstance(k, slice):
        return k
    if isinstance(k, (bool, np.bool_)):
        return xp.asarray(k)
    if isinstance(k, (int, np.integer)):
        return int(k)
    if isinstance(k, Tensor):
        a = k._data
    elif isinstance(k, (list, tuple, np.ndarray, xp.ndarray)):
        a = xp.asarray(k)
        if a.dtype.kind == "f" and a.size == 0:
            a = a.astype(np.int64)  # `x[[]]`
    else:
        raise DTypeError(f"{op}: indices must be ints, slices, None, Ellipsis or integer/bool tensors, "
                         f"got {type(k).__name__}")
    if a.dtype == bool:
        return a
    if a.dtype.kind not in "iu":
        raise DTypeError(f"{op}: tensors used as indices must be long, int or bool, got {dtypes.dtype_of(a)}")
    if a.ndim == 0:
        return int(a)  # as in PyTorch, a 0-d integer tensor selects like an int (a view)
    return a


def _dims_used(k):
    if k is None or k is Ellipsis:
        return 0
    if isinstance(k, (int, slice)):
        return 1
    return k.ndim if k.dtype == bool else 1


def _split(parts, xp):
    basic, advanced = [], []
    for k in parts:
        if isinstance(k, int):
            basic.append(k)
        elif k is None or isinstance(k, slice):
            basic.append(k)
            advanced.append(slice(None))
        elif k is Ellipsis:
            basic.append(k)
            advanced.append(k)
        elif k.ndim == 0:  # a Python bool: a new dim, kept whole (True) or emptied (False)
            basic.append(None)
            advanced.append(slice(None) if bool(k) else xp.zeros(0, np.int64))
        else:
            basic.extend([slice(None)] * (k.ndim if k.dtype == bool else 1))
            advanced.append(k)
    return _Split(tuple(basic), tuple(advanced))


def _is_basic(idx):
    return type(idx) is tuple and all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in idx)


def _get(a, idx):
    if type(idx) is _Split:
        return a[idx.basic][idx.advanced]
    return a[idx]


def _put(out, idx, v, accumulate, xp):
    """`out[idx] = v` (or `+=`, where repeated int indices add up), in place."""
    if type(idx) is _Split:
        out, idx = out[idx.basic], idx.advanced
    if not accumulate:
        out[idx] = v
    elif not any(isinstance(k, xp.ndarray) and k.dtype != bool for k in idx):
        out[idx] += v  # basic slices and masks never repeat an element
    elif len(idx) == 1 and out.ndim > 1 and isinstance(idx[0], xp.ndarray) and idx[0].dtype != bool:
        rows = idx[0]  # `x[rows]`'s gradient (an embedding's): whole rows, repeats add up
        v = xp.broadcast_to(v, rows.shape + out.shape[1:]).reshape((-1,) + out.shape[1:])
        _add_rows(out, xp.where(rows < 0, rows + out.shape[0], rows).reshape(-1), v, xp)
    elif out.flags.c_contiguous and all(isinstance(k, xp.ndarray) and k.dtype != bool for k in idx):
        _add_at(out, _flat_rows(idx, out.shape, xp), v, xp)
    else:
        xp.add.at(out, idx, v)


def _add_rows(out, rows, v, xp):
    """`out[rows] += v` for 1-d `rows`, where repeated rows add up. NumPy's `add.at` does
    this, slowly on rows; fancy `+=` is fast but keeps only one of the repeats. So: fancy
    `+=` in rounds, each taking at most one occurrence of every row."""
    if out.ndim == 1 or rows.size == 0:
        xp.add.at(out, rows, v)  # on scalars add.at has a fast path
        return
    order = xp.argsort(rows, kind="stable")
    ordered = rows[order]
    first = xp.ones(rows.shape, bool)
    first[1:] = ordered[1:] != ordered[:-1]
    rank = xp.empty(rows.shape, np.int64)
    rank[order] = xp.arange(rows.size) - xp.flatnonzero(first)[xp.cumsum(first) - 1]  # occurrence number
    rounds = int(rank.max()) + 1
    if rounds == 1:
        out[rows] += v
    elif rounds > 64:  # a few rows repeated very often: one pass of add.at beats many rounds
        xp.add.at(out, rows, v)
    else:
        for r in range(rounds):
            pick = rank == r
            out[rows[pick]] += v[pick]


def _flat_rows(arrays, shape, xp):
    """Flat positions in a C-contiguous array of `shape` of `a[arrays]`, for int arrays
    indexing its leading dims (negative ones count from the end)."""
    strides = _c_strides(shape)
    pos = 0
    for a, size, stride in zip(arrays, shape, strides):
        pos = pos + xp.where(a < 0, a + size, a).astype(np.int64) * stride
    k, lead = len(arrays), pos.ndim
    pos = pos.reshape(pos.shape + (1,) * (len(shape) - k))
    for d in range(k, len(shape)):
        pos = pos + _grid(xp, shape[d], strides[d], lead + d - k, pos.ndim)
    return pos


def _c_strides(shape):
    """The element strides of a C-contiguous array of `shape`."""
    strides = [1] * len(shape)
    for d in range(len(shape) - 2, -1, -1):
        strides[d] = strides[d + 1] * shape[d + 1]
    return strides


def _grid(xp, size, stride, at, ndim):
    """`arange(size) * stride` laid along dim `at` of `ndim` dims, to broadcast with the others."""
    return (xp.arange(size, dtype=np.int64) * stride).reshape((1,) * at + (size,) + (1,) * (ndim - at - 1))


class GetItem(Function):
    save_inputs = False

    def forward(self, x, idx):
        self.idx = idx
        self.in_shape = x.shape
        self.is_view = _is_basic(idx)
        return _get(x, idx)

    def backward(self, g):
        return IndexPut.apply(_zeros(self.in_shape, g), g, idx=self.idx, accumulate=True)


class IndexPut(Function):
    """`x` with `v` written (or, with `accumulate`, added) at `idx`: the functional form
    of `x[idx] = v`, and getitem's gradient."""
    save_inputs = False

    def forward(self, x, v, idx, accumulate=False):
        self.idx = idx
        self.accumulate = accumulate
        out = x.copy()
        _put(out, idx, v, accumulate, self.xp)
        return out

    def backward(self, g):
        gx = g if self.accumulate else IndexPut.apply(g, 0.0, idx=self.idx)
        v = self.inputs[1]
        gv = None
        if isinstance(v, Tensor):
            gv = GetItem.apply(g, idx=self.idx)
            if gv.ndim < v.ndim:  # `v` had extra leading 1s, which assignment ignores
                gv = gv.sum_to_size(tuple(v.shape)[v.ndim - gv.ndim:]).reshape(tuple(v.shape))
        return gx, gv


def _getitem_samples(make):
    return [Sample((make(4, 5), (1, slice(None, None, 2))), name="basic"),
            Sample((make(4, 5), (np.array([0, 2, 2]),)), name="repeat-ints"),
            Sample((make(4, 5), (make.bools(4, 5),)), name="mask"),
            Sample((make(3, 4, 2), (Ellipsis, None, 1)), name="ellipsis-none"),
            Sample((make(4, 5, noncontig=True), (slice(1, 3), np.array([4, 0]))), name="mixed-noncontig"),
            Sample((make(3, 4, 5), (1, slice(None), np.array([0, 3, 3]))), name="int-slice-tensor"),
            Sample((make(4, 5), (slice(2, 2),)), name="empty")]


@register("getitem", _getitem_samples, GetItem, ref="Tensor.__getitem__")
def getitem(input, key):
    """`input[key]`: a view for ints, slices, None and Ellipsis; a copy with index tensors."""
    return GetItem.apply(input, idx=_index("getitem", key, input._data.shape, input._device.xp))


def _index_put_samples(make):
    return [Sample((make(4, 3), (np.array([0, 2, 0]),), make(3, 3)), {"accumulate": True}, "accumulate-repeat"),
            Sample((make(4, 3), (np.array([1, 3]), np.array([0, 2])), make(2)), name="pairs"),
            Sample((make(4, 3), (make.bools(4),), make(3)), name="mask"),
            Sample((make(4, 3), (np.array([1, 3]),), make(1, 3)), name="broadcast")]


@register("index_put", _index_put_samples, IndexPut)
def index_put(input, indices, values, accumulate=False):
    """`input` with `values` written at `indices` (a tuple of index tensors); `accumulate` adds.

        >>> ember.zeros(3).index_put((ember.tensor([0, 0]),), ember.tensor(1.0), accumulate=True)
        tensor([2., 0., 0.])
    """
    idx = _index("index_put", tuple(indices), input._data.shape, input._device.xp)
    return IndexPut.apply(input, values, idx=idx, accumulate=accumulate)


index_put.saves_self = False  # index_put_ needs no copy of the values it overwrites


def setitem(input, key, value):
    """`input[key] = value`, in place. Recorded by autograd for tensors that require grad."""
    idx = _index("setitem", key, input._data.shape, input._device.xp)
    v_rg = isinstance(value, Tensor) and value._rg
    if not (grad_mode._enabled[0] and (input._rg or v_rg)):
        _put(input._data, idx, value._data if isinstance(value, Tensor) else value, False, input._device.xp)
        input._version_counter()[0] += 1
        return
    if input.grad_fn is None and input._rg:
        raise ArgumentError("setitem: a leaf tensor that requires grad can't be assigned to in place; "
                            "wrap the assignment in ember.no_grad() or assign to a clone()")
    old = input._snapshot(keep_values=False)
    input._inplace(IndexPut.apply(old, value, idx=idx), "setitem")


# --- gather / scatter -------------------------------------------------------------

def _flat_index(index, dim, shape, grid, xp):
    """Positions in a C-contiguous array of `shape`, flattened, of the elements that
    gather/scatter address: `index` (broadcast to `grid`) along `dim`, the grid position
    along every other dim. One 1-d `take`/`ufunc.at` on these is several times faster
    in NumPy than the same access with one index array per dim."""
    strides = _c_strides(shape)
    flat = xp.empty(grid, np.int64)
    if not shape:
        flat[...] = index
        return flat
    xp.multiply(index, strides[dim], out=flat)
    for d, s in enumerate(grid):
        if d != dim and s > 1:
            flat += _grid(xp, s, strides[d], d, len(grid))
    return flat


def _add_at(out, flat, v, xp):
    """`out.flat[flat] += v`, with repeated positions adding up (`out` C-contiguous)."""
    if hasattr(v, "shape") and v.shape != flat.shape:
        v = xp.broadcast_to(v, flat.shape)
    xp.add.at(out.reshape(-1), flat.reshape(-1), v.reshape(-1) if hasattr(v, "shape") else v)


def _check_along(op, x, index, dim):
    """gather/scatter's rules: same rank, no larger than `x` off `dim`, values in range along `dim`."""
    _check_dtype(op, index)
    if index.ndim != x.ndim:
        raise ShapeError(f"{op}: index of shape {tuple(index.shape)} must have as many dims as the input "
                         f"of shape {tuple(x.shape)}")
    for d, (i, s) in enumerate(zip(index.shape, x.shape)):
        if d != dim and i > s:
            raise ShapeError(f"{op}: index of shape {tuple(index.shape)} is larger than the input of shape "
                             f"{tuple(x.shape)} at dim {d} (only dim {dim} may be larger)")
    _check_bounds(op, index, dim, x.shape[dim] if x.ndim else 1)


class Gather(Function):
    """`out[i][j] = x[index[i][j]][j]` for dim 0 (`x[i][index[i][j]]` for dim 1)."""
    save_inputs = False

    def forward(self, x, index, dim, op="gather"):
        d = normalize_dim(dim, x.ndim, op)
        _check_along(op, x, index, d)
        self.dim, self.in_shape = d, x.shape
        if not x.flags.c_contiguous:
            x = self.xp.ascontiguousarray(x)
        return x.reshape(-1).take(_flat_index(index, d, x.shape, index.shape, self.xp))

    def backward(self, g):
        return scatter_add(_zeros(self.in_shape, g), self.dim, self.inputs[1], g), None


def _distinct_rows(make, n, shape):
    """Int64 indices below `n`, distinct along dim 0 (scatter without repeats is deterministic)."""
    return np.argsort(make.rng.random((n,) + shape[1:]), axis=0)[:shape[0]].astype(np.int64)


def _gather_samples(make):
    return [Sample((make(3, 4), 1, make.ints(3, 2, high=4)), name="dim1"),
            Sample((make(3, 4), 0, make.ints(2, 4, high=3)), name="dim0"),
            Sample((make(3, 4), 1, make.ints(2, 6, high=4)), name="smaller-and-longer"),
            Sample((make(2, 3, 4), -2, make.ints(2, 5, 4, high=3)), name="3d"),
            Sample((make(4, 3, noncontig=True), -1, make.ints(4, 3, high=3)), name="noncontig"),
            Sample((make(0, 3), 1, make.ints(0, 2, high=3)), name="empty"),
            Sample((make(), 0, np.array(0)), name="0d")]


@register("gather", _gather_samples, Gather)
def gather(input, dim, index, *, sparse_grad=False):
    """Values of `input` picked along `dim` by `index` (same rank as `input`).

        >>> ember.tensor([[1., 2.], [3., 4.]]).gather(1, ember.tensor([[1], [0]]))
        tensor([[2.],
                [3.]])
    """
    return Gather.apply(input, _index_arg("gather", index, input), dim=dim)


class Scatter(Function):
    """`x` with `src` (a tensor, or a number) written along `dim` where `gather` would read;
    `reduce="add"` or `"multiply"` combines with what is there (repeats combine too)."""
    save_inputs = False

    def forward(self, x, index, src, dim, reduce=None, op="scatter"):
        d = normalize_dim(dim, x.ndim, op)
        if reduce not in (None, "add", "multiply"):
            raise ArgumentError(f"{op}: reduce must be 'add' or 'multiply', got {reduce!r}")
        _check_along(op, x, index, d)
        if hasattr(src, "dtype"):
            src = self._src(op, x, index, src)
        self.dim, self.reduce = d, reduce
        out = x.copy()  # C-contiguous, for the flat positions
        flat = _flat_index(index, d, x.shape, index.shape, self.xp)
        if reduce is None:
            out.reshape(-1)[flat] = src
        elif reduce == "add":
            _add_at(out, flat, src, self.xp)
        else:
            self.xp.multiply.at(out.reshape(-1), flat.reshape(-1), self.xp.broadcast_to(src, flat.shape).reshape(-1))
        return out

    @staticmethod
    def _src(op, x, index, src):
        if src.dtype != x.dtype:
            raise DTypeError(f"{op}: src ({dtypes.dtype_of(src)}) must have the input's dtype "
                             f"({dtypes.dtype_of(x)})")
        if src.ndim != index.ndim or any(i > s for i, s in zip(index.shape, src.shape)):
            raise ShapeError(f"{op}: src of shape {tuple(src.shape)} must have the rank of index "
                             f"{tuple(index.shape)} and be at least as large in every dim")
        if src.shape != index.shape:
            src = src[tuple(slice(0, i) for i in index.shape)]  # only the part that index covers is used
        return src

    def backward(self, g):
        _, index, src = self.inputs
        if self.reduce == "multiply":
            raise AutogradError("scatter: the gradient of reduce='multiply' is not implemented (nor in PyTorch)")
        gx = g if self.reduce == "add" else Scatter.apply(g, index, 0.0, dim=self.dim)
        gsrc = None
        if isinstance(src, Tensor):
            gsrc = Gather.apply(g, index, dim=self.dim)
            if gsrc.shape != src.shape:  # src larger than index: its unused part gets zeros
                cover = tuple(slice(0, i) for i in index.shape)
                gsrc = IndexPut.apply(_zeros(tuple(src.shape), g), gsrc, idx=cover)
        return gx, None, gsrc


def _scatter_samples(make):
    idx = _distinct_rows(make, 3, (2, 4))
    ints = make.ints(3, 4, low=-3, high=4)
    return [Sample((make(3, 4), 0, idx, make(2, 4)), name="src"),
            Sample((make(3, 4), 1, _distinct_rows(make, 4, (3, 3)).T.copy(), make(3, 3)), name="dim1"),
            Sample((make(3, 4), 0, idx, 1.5), name="value"),
            Sample((make(3, 4), 0, idx[:, :3].copy()), {"value": -2.0}, "value-kw"),
            Sample((make(4, 3, noncontig=True), -2, _distinct_rows(make, 4, (4, 3)), make(4, 3)), name="noncontig"),
            Sample((make(0, 3), 0, make.ints(0, 3), make(0, 3)), name="empty"),
            Sample((make(), 0, np.array(0), make()), name="0d"),
            Sample((ints, 0, make.ints(4, 4, high=3), make.ints(4, 4, low=-3, high=4)), {"reduce": "add"}, "add-ints"),
            Sample((ints, 1, make.ints(3, 2, high=4), make.ints(3, 2, low=-3, high=4)), {"reduce": "multiply"},
                   "multiply-ints")]


@register("scatter", _scatter_samples, Scatter)
def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """`input` with `src` (or the number `value`) written along `dim` at `index`:
    `out[index[i][j]][j] = src[i][j]` for dim 0. Repeated indices leave one of the writes;
    `reduce="add"`/`"multiply"` combines them instead.

        >>> ember.zeros(2, 2).scatter(0, ember.tensor([[1, 0]]), ember.tensor([[5., 6.]]))
        tensor([[0., 6.],
                [5., 0.]])
    """
    if src is None:
        if value is None:
            raise ArgumentError("scatter: expected src (a tensor) or value (a number)")
        src = value.item() if isinstance(value, Tensor) else value
    return Scatter.apply(input, _index_arg("scatter", index, input), src, dim=dim, reduce=reduce)


def _scatter_add_samples(make):
    return [Sample((make(3, 4), 0, make.ints(4, 4, high=3), make(4, 4)), name="repeats"),
            Sample((make(3, 4), 1, make.ints(3, 6, high=4), make(3, 6)), name="dim1"),
            Sample((make(4, 3, noncontig=True), -1, make.ints(2, 3, high=3), make(2, 3)), name="noncontig"),
            Sample((make(3, 0), 0, make.ints(2, 0, high=3), make(2, 0)), name="empty")]


@register("scatter_add", _scatter_add_samples, Scatter)
def scatter_add(input, dim, index, src):
    """`input` plus `src` added along `dim` at `index`; repeated indices add up (gather's gradient).

        >>> ember.zeros(3).scatter_add(0, ember.tensor([0, 0, 2]), ember.tensor([1., 2., 3.]))
        tensor([3., 0., 3.])
    """
    return Scatter.apply(input, _index_arg("scatter_add", index, input), src, dim=dim, reduce="add",
                         op="scatter_add")


scatter.saves_self = scatter_add.saves_self = False  # their in-place forms need no copy of the old values


# --- index_select / index_add / take ---------------------------------------------------

def _vector_index(op, index, x, dim):
    """A 0-d or 1-d index as 1-d, checked against `x`'s `dim`."""
    _check_dtype(op, index)
    if index.ndim > 1:
        raise ShapeError(f"{op}: index must be 0-d or 1-d, got shape {tuple(index.shape)}")
    index = index.reshape(-1)
    if x.ndim == 0 and index.size != 1:
        raise ShapeError(f"{op}: indexing a 0-d tensor takes exactly one index, got {index.size}")
    _check_bounds(op, index, dim, x.shape[dim] if x.ndim else 1)
    return index


class IndexSelect(Function):
    save_inputs = False

    def forward(self, x, index, dim):
        d = normalize_dim(dim, x.ndim, "index_select")
        self.index = _vector_index("index_select", index, x, d)
        self.dim, self.in_shape = d, x.shape
        return self.xp.take(x, self.index, axis=d) if x.ndim else x.copy()

    def backward(self, g):
        return index_add(_zeros(self.in_shape, g), self.dim, const(self.index, g), g), None


def _index_select_samples(make):
    return [Sample((make(3, 4), 0, np.array([2, 0, 2])), name="repeats"),
            Sample((make(3, 4), 1, np.array([3])), name="dim1"),
            Sample((make(3, 4), -1, np.array(1)), name="0d-index"),
            Sample((make(4, 3, noncontig=True), 0, np.array([1, 3])), name="noncontig"),
            Sample((make(3, 4), 0, np.zeros(0, np.int64)), name="no-index"),
            Sample((make(0, 3), 1, np.array([0, 2])), name="empty"),
            Sample((make(), 0, np.array([0])), name="0d")]


@register("index_select", _index_select_samples, IndexSelect)
def index_select(input, dim, index):
    """The slices of `input` along `dim` at the positions in `index` (1-d).

        >>> ember.tensor([[1., 2.], [3., 4.]]).index_select(0, ember.tensor([1, 1]))
        tensor([[3., 4.],
                [3., 4.]])
    """
    return IndexSelect.apply(input, _index_arg("index_select", index, input), dim=dim)


class IndexAdd(Function):
    save_inputs = False

    def forward(self, x, index, source, dim, alpha=1):
        d = normalize_dim(dim, x.ndim, "index_add")
        index = _vector_index("index_add", index, x, d)
        _check_source(x, index, source, d)
        self.dim, self.index, self.alpha = d, index, alpha
        v = source if alpha == 1 else source * alpha
        out = x.copy()
        if x.ndim == 0:
            out += v.reshape(())
        else:
            _add_rows(self.xp.moveaxis(out, d, 0), index, self.xp.moveaxis(v, d, 0), self.xp)
        return out

    def backward(self, g):
        gsrc = None
        if isinstance(self.inputs[2], Tensor):
            gsrc = IndexSelect.apply(g, const(self.index, g), dim=self.dim)
            if self.alpha != 1:
                gsrc = gsrc * self.alpha
        return g, None, gsrc


def _check_source(x, index, source, dim):
    if source.dtype != x.dtype:
        raise DTypeError(f"index_add: source ({dtypes.dtype_of(source)}) must have the input's dtype "
                         f"({dtypes.dtype_of(x)})")
    want = list(x.shape) if x.ndim else [1]
    want[dim] = index.size
    if tuple(source.shape) != tuple(want) and not (x.ndim == 0 and source.size == 1):
        raise ShapeError(f"index_add: source of shape {tuple(source.shape)} does not fit: with {index.size} "
                         f"indices into dim {dim} of the input of shape {tuple(x.shape)} it must be {tuple(want)}")


def _index_add_samples(make):
    return [Sample((make(3, 4), 0, np.array([0, 2, 0]), make(3, 4)), name="repeats"),
            Sample((make(3, 4), 1, np.array([3, 1]), make(3, 2)), {"alpha": 2.0}, "alpha"),
            Sample((make(4, 3, noncontig=True), 0, np.array([1]), make(1, 3)), name="noncontig"),
            Sample((make(3, 4), 0, np.zeros(0, np.int64), make(0, 4)), name="empty")]


@register("index_add", _index_add_samples, IndexAdd)
def index_add(input, dim, index, source, *, alpha=1):
    """`input` with `alpha * source[i]` added to its slice `index[i]` along `dim`; repeats add up.

        >>> ember.zeros(3).index_add(0, ember.tensor([0, 0]), ember.tensor([1., 2.]))
        tensor([3., 0., 0.])
    """
    return IndexAdd.apply(input, _index_arg("index_add", index, input), source, dim=dim, alpha=alpha)


index_add.saves_self = False


def _take_samples(make):
    return [Sample((make(3, 4), make.ints(2, 3, high=12)), name="2d-index"),
            Sample((make(3, 4), make.ints(5, low=-12, high=12)), name="negative"),
            Sample((make(4, 3, noncontig=True), make.ints(4, high=12)), name="noncontig"),
            Sample((make(3, 4), make.ints(0, 2)), name="empty"),
            Sample((make(), np.array(0)), name="0d")]


@register("take", _take_samples)
def take(input, index):
    """Elements of `input` seen as 1-d, at `index` (any shape; negative counts from the end).

        >>> ember.tensor([[1., 2.], [3., 4.]]).take(ember.tensor([0, -1]))
        tensor([1., 4.])
    """
    index = _index_arg("take", index, input)
    a = index._data
    _check_dtype("take", a)
    n = input.numel()
    _check_bounds("take", a, 0, n, negative=True)
    if a.size and a.min() < 0:
        index = const(input._device.xp.where(a < 0, a + n, a), index)
    return index_select(input.reshape(-1), 0, index.reshape(-1)).reshape(tuple(index.shape))


def _take_along_dim_samples(make):
    return [Sample((make(3, 4), make.ints(3, 2, high=4), 1), name="dim1"),
            Sample((make(3, 4), make.ints(5, high=12)), name="flat"),
            Sample((make(3, 1), make.ints(2, 4, high=3), 0), name="broadcast"),
            Sample((make(2, 3, 4), make.ints(1, 3, 2, high=4), -1), name="broadcast-index"),
            Sample((make(4, 3, noncontig=True), make.ints(4, 3, high=4), 0), name="noncontig"),
            Sample((make(0, 3), make.ints(0, 1, high=3), 1), name="empty")]


@register("take_along_dim", _take_along_dim_samples)
def take_along_dim(input, indices, dim=None):
    """`gather` with `input` and `indices` broadcast against each other off `dim`;
    with `dim=None`, both are flattened first (NumPy's `take_along_axis`).

        >>> x = ember.tensor([[10., 30., 20.]])
        >>> ember.take_along_dim(x, x.argsort(dim=1), dim=1)
        tensor([[10., 20., 30.]])
    """
    indices = _index_arg("take_along_dim", indices, input)
    if dim is None:
        input, indices = input.reshape(-1), indices.reshape(-1)
        dim = 0
    d = normalize_dim(dim, input.ndim, "take_along_dim")
    if indices.ndim != input.ndim:
        raise ShapeError(f"take_along_dim: indices of shape {tuple(indices.shape)} must have as many dims as "
                         f"the input of shape {tuple(input.shape)}")
    a = indices._data
    _check_dtype("take_along_dim", a)
    size = input.shape[d] if input.ndim else 1
    _check_bounds("take_along_dim", a, d, size, negative=True)
    if a.size and a.min() < 0:
        indices = const(input._device.xp.where(a < 0, a + size, a), indices)
    off = broadcast_shapes("take_along_dim", _with(input.shape, d, 1), _with(indices.shape, d, 1))
    if tuple(input.shape) != _with(off, d, size):
        input = input.expand(_with(off, d, size))
    if tuple(indices.shape) != _with(off, d, indices.shape[d]):
        indices = indices.expand(_with(off, d, indices.shape[d]))
    return Gather.apply(input, indices, dim=d, op="take_along_dim")


def _with(shape, dim, size):
    shape = list(shape)
    if shape:
        shape[dim] = size
    return tuple(shape)


# --- masks ---------------------------------------------------------------------------

def _check_mask(op, mask):
    if mask.dtype != bool:
        raise DTypeError(f"{op}: mask must be a bool tensor, got {dtypes.dtype_of(mask)}")


class MaskedFill(Function):
    save_inputs = False

    def forward(self, x, mask, value):
        _check_mask("masked_fill", mask)
        if getattr(value, "ndim", 0) != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape {tuple(value.shape)}")
        if mask.shape != x.shape:
            broadcast_shapes("masked_fill", x.shape, mask.shape)
        self.mask = mask
        return self.xp.where(mask, self.xp.asarray(value, dtype=x.dtype), x)

    def backward(self, g):
        gx = MaskedFill.apply(g, const(self.mask, g), 0.0)
        gv = None
        if isinstance(self.inputs[2], Tensor):
            gv = MaskedFill.apply(g, const(~self.mask, g), 0.0).sum()
        return gx, None, gv


def _masked_fill_samples(make):
    return [Sample((make(3, 4), make.bools(3, 4), 1.5), name="number"),
            Sample((make(3, 4), make.bools(1, 4), -2.0), name="broadcast-mask"),
            Sample((make(1, 4), make.bools(3, 4), 2.0), name="broadcast-input"),
            Sample((make(3, 4), make.bools(3, 4), make()), name="tensor-value"),
            Sample((make(4, 3, noncontig=True), make.bools(4, 3), 0.0), name="noncontig"),
            Sample((make(0, 3), make.bools(0, 3), 1.0), name="empty"),
            Sample((make(3, 4), make.bools(3, 4), -np.inf), name="extreme")]


@register("masked_fill", _masked_fill_samples, MaskedFill)
def masked_fill(input, mask, value):
    """`input` with `value` (a number or 0-d tensor) where the bool `mask` (broadcast) is True.

        >>> ember.zeros(3).masked_fill(ember.tensor([True, False, True]), -1.0)
        tensor([-1.,  0., -1.])
    """
    return MaskedFill.apply(input, _index_arg("masked_fill", mask, input), value)


masked_fill.saves_self = False


def _masked_select_samples(make):
    return [Sample((make(3, 4), make.bools(3, 4)), name="same"),
            Sample((make(3, 4), make.bools(1, 4)), name="broadcast-mask"),
            Sample((make(1, 4), make.bools(3, 4)), name="broadcast-input"),
            Sample((make(4, 3, noncontig=True), make.bools(4, 3)), name="noncontig"),
            Sample((make(0, 3), make.bools(0, 3)), name="empty")]


@register("masked_select", _masked_select_samples)
def masked_select(input, mask):
    """The elements of `input` where the bool `mask` (broadcast) is True, as a 1-d tensor.

        >>> ember.tensor([1., 2., 3.]).masked_select(ember.tensor([True, False, True]))
        tensor([1., 3.])
    """
    mask = _index_arg("masked_select", mask, input)
    _check_mask("masked_select", mask._data)
    shape = broadcast_shapes("masked_select", tuple(input.shape), tuple(mask.shape))
    if tuple(input.shape) != shape:
        input = input.expand(shape)
    if tuple(mask.shape) != shape:
        mask = mask.expand(shape)
    return GetItem.apply(input, idx=(mask._data,))


# --- nonzero -------------------------------------------------------------------------

class Nonzero(Function):
    differentiable = False

    def forward(self, x, as_tuple=False):
        if as_tuple:
            return tuple(self.xp.nonzero(x if x.ndim else x.reshape(1)))
        return self.xp.argwhere(x)


def _nonzero_samples(make):
    return [Sample((make.ints(3, 4, high=2).astype(make.dtype),), name="2d"),
            Sample((make.ints(3, 4, high=2).astype(make.dtype),), {"as_tuple": True}, "as-tuple"),
            Sample((make.bools(2, 3, 2),), name="3d-bool"),
            Sample((make.ints(5, high=2),), {"as_tuple": True}, "1d-tuple"),
            Sample((make(0, 3),), name="empty"),
            Sample((make(),), name="0d"),
            Sample((make(),), {"as_tuple": True}, "0d-tuple")]


@register("nonzero", _nonzero_samples, Nonzero, grad=False)
def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero elements: an int64 tensor of shape (count, ndim), or
    with `as_tuple` one 1-d tensor per dim (ready to index with).

        >>> ember.tensor([[0, 1], [1, 0]]).nonzero()
        tensor([[0, 1],
                [1, 0]])
    """
    return Nonzero.apply(input, as_tuple=as_tuple)


@register("argwhere", lambda make: [s for s in _nonzero_samples(make) if not s.kwargs], grad=False)
def argwhere(input):
    """`nonzero(input)`: the indices of the nonzero elements, one row each."""
    return Nonzero.apply(input)


# --- sort / topk -----------------------------------------------------------------------

# `sort` and `topk` return tuples with named fields, as PyTorch's return types do.
_SortResult = namedtuple("sort", ("values", "indices"))
_TopKResult = namedtuple("topk", ("values", "indices"))


def _argsort(xp, x, axis, descending):
    """Stable sort order along `axis`; NaN counts as the largest value, as in PyTorch."""
    if x.ndim == 0:
        return xp.zeros((), np.int64)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    # Sorting the reversed array ascending and reversing back keeps ties in their original
    # order and puts NaN first, without negating (which bool and unsigned dtypes can't do).
    n = x.shape[axis]
    order = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
    return (n - 1) - xp.flip(order, axis)


def _take(xp, x, idx, axis):
    return xp.take_along_axis(x, idx, axis) if x.ndim else x.copy()


class _ScatterValues(Function):
    """Base of sort/topk: outputs (values, indices); the values' gradient is scattered back."""
    save_inputs = False

    def backward(self, g, _):
        indices = self.output(self.idx, 1).detach()  # refuses indices changed in place since
        return scatter(_zeros(self.in_shape, g), self.dim, indices, g)


class Sort(_ScatterValues):
    def forward(self, x, dim=-1, descending=False):
        self.dim = normalize_dim(dim, x.ndim, "sort")
        self.in_shape = x.shape
        self.idx = _argsort(self.xp, x, self.dim, descending)
        return _take(self.xp, x, self.idx, self.dim), self.idx


class TopK(_ScatterValues):
    def forward(self, x, k, dim=-1, largest=True, sorted=True):
        self.dim = d = normalize_dim(dim, x.ndim, "topk")
        self.in_shape = x.shape
        n = x.shape[d] if x.ndim else 1
        if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 0 <= k <= n:
            raise ArgumentError(f"topk: k={k!r} is out of range for dim {d} of size {n} (shape {tuple(x.shape)})")
        self.idx = _topk_indices(self.xp, x, int(k), d, largest)
        return _take(self.xp, x, self.idx, d), self.idx


def _topk_indices(xp, x, k, axis, largest):
    """The indices of the k largest (smallest) values along `axis`, best first."""
    n = x.shape[axis] if x.ndim else 1
    if x.ndim == 0:
        return xp.zeros((), np.int64)  # as in PyTorch, k may be 0 or 1 and the value comes back
    if k == 0 or 4 * k >= n:  # a full sort costs about as much as partitioning
        order = _argsort(xp, x, axis, largest)
        return order if k == n else xp.ascontiguousarray(order[(slice(None),) * axis + (slice(0, k),)])
    part = xp.argpartition(x, n - k if largest else k - 1, axis=axis)
    part = part[(slice(None),) * axis + (slice(n - k, n) if largest else slice(0, k),)]
    order = _argsort(xp, xp.take_along_axis(x, part, axis), axis, largest)
    return xp.take_along_axis(part, order, axis)


def _sort_samples(make):
    ties = make.ints(3, 6, high=3)  # integers: ties are not differentiable, but their order is checked
    extreme = np.array([[1.0, np.inf, -np.inf, np.nan, 0.0, -2.0]], make.dtype)
    return [Sample((make.distinct(3, 5),), name="last"),
            Sample((make.distinct(4, 3), 0), name="dim0"),
            Sample((make.distinct(3, 5), -1, True), name="descending"),
            Sample((ties,), {"stable": True}, "stable-ties"),
            Sample((ties,), {"stable": True, "descending": True}, "stable-ties-descending"),
            Sample((make.distinct(2, 3, 4), 1), name="3d"),
            Sample((make.distinct(5, 3).T,), name="noncontig"),
            Sample((make(0, 3), 0), name="empty"),
            Sample((make(),), name="0d"),
            Sample((extreme,), {"descending": True}, "extreme")]


@register("sort", _sort_samples, Sort)
def sort(input, dim=-1, descending=False, stable=False):
    """`(values, indices)` of `input` sorted along `dim`. The sort is always stable (ties keep
    their order; `stable` is accepted for PyTorch's signature); NaN sorts as the largest.

        >>> ember.tensor([3., 1., 2.]).sort().indices
        tensor([1, 2, 0])
    """
    return _SortResult(*Sort.apply(input, dim=dim, descending=descending))


class ArgSort(Function):
    differentiable = False

    def forward(self, x, dim=-1, descending=False):
        return _argsort(self.xp, x, normalize_dim(dim, x.ndim, "argsort"), descending)


@register("argsort", lambda make: [s for s in _sort_samples(make) if s.name != "extreme"], ArgSort)
def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort `input` along `dim` (stable; see `sort`)."""
    return ArgSort.apply(input, dim=dim, descending=descending)


def _topk_samples(make):
    return [Sample((make.distinct(3, 5), 2), name="last"),
            Sample((make.distinct(4, 3), 3, 0), name="dim0-all"),
            Sample((make.distinct(3, 5), 2), {"largest": False}, "smallest"),
            Sample((make.distinct(2, 40), 3), name="partition"),
            Sample((make.distinct(2, 40), 4, -1, False), name="partition-smallest"),
            Sample((make.distinct(5, 3).T, 1), name="noncontig"),
            Sample((make.distinct(3, 4), 0), name="k0"),
            Sample((make(0, 3), 2), name="empty"),
            Sample((make(), 1), name="0d"),
            Sample((np.array([[1.0, np.inf, -np.inf, np.nan, 0.0]], make.dtype), 3), name="extreme")]


@register("topk", _topk_samples, TopK)
def topk(input, k, dim=-1, largest=True, sorted=True):
    """`(values, indices)` of the `k` largest (`largest=False`: smallest) elements along `dim`,
    best first (always sorted). NaN counts as the largest.

        >>> ember.tensor([1., 5., 3.]).topk(2)
        topk(values=tensor([5., 3.]), indices=tensor([1, 2]))
    """
    return _TopKResult(*TopK.apply(input, k, dim=dim, largest=largest, sorted=sorted))


# --- one_hot ------------------------------------------------------------------------

class OneHot(Function):
    differentiable = False

    def forward(self, x, num_classes=-1):
        _check_dtype("one_hot", x, "a tensor of class indices", allowed=(np.int64,))
        if num_classes == -1:
            if x.size == 0:
                raise ArgumentError("one_hot: can't infer num_classes from an empty tensor; pass num_classes")
            num_classes = max(int(x.max()) + 1, 0)  # a negative index fails the bounds check below
        shape = tuple(x.shape) + (num_classes,)
        check_size("one_hot", shape, 8, "output shape (..., num_classes)")
        num_classes = int(num_classes.__index__())
        shape = shape[:-1] + (num_classes,)
        _check_bounds("one_hot", x, -1, num_classes)
        out = self.xp.zeros(shape, np.int64)
        flat = out.reshape(-1, num_classes)
        flat[self.xp.arange(flat.shape[0]), x.reshape(-1)] = 1
        return out


def _one_hot_samples(make):
    return [Sample((make.ints(2, high=5),), name="infer"),
            Sample((make.ints(3, 4, high=3), 5), name="classes"),
            Sample((make.ints(4, 3, high=4).T, 4), name="noncontig"),
            Sample((make.ints(0, 2), 3), name="empty"),
            Sample((np.array(2),), name="0d")]


@register("one_hot", _one_hot_samples, OneHot, ref="nn.functional.one_hot", grad=False)
def one_hot(tensor, num_classes=-1):
    """int64 one-hot rows for the class indices in `tensor` (int64): shape `(*tensor.shape,
    num_classes)`; `num_classes=-1` takes the largest index + 1.

        >>> ember.one_hot(ember.tensor([0, 2]), 3)
        tensor([[1, 0, 0],
                [0, 0, 1]])
    """
    return OneHot.apply(tensor, num_classes=num_classes)


# --- tril / triu ------------------------------------------------------------------------

class _Triangle(Function):
    """Zero the elements above (tril) or below (triu) the `diagonal` of the last two dims."""
    save_inputs = False
    fn = None

    def forward(self, x, diagonal=0):
        if x.ndim < 2:
            raise DimError(f"{self.op_name()}: input must have at least 2 dimensions, got shape {tuple(x.shape)}")
        if not isinstance(diagonal, (int, np.integer)) or isinstance(diagonal, bool):
            raise ArgumentError(f"{self.op_name()}: diagonal must be an int, got {diagonal!r}")
        self.diagonal = int(diagonal)
        return getattr(self.xp, self.fn)(x, self.diagonal)

    def backward(self, g):
        return type(self).apply(g, diagonal=self.diagonal)


class Tril(_Triangle):
    fn = "tril"


class Triu(_Triangle):
    fn = "triu"


def _triangle_samples(make):
    return [Sample((make(4, 5),), name="square-ish"),
            Sample((make(4, 5), 1), name="above"),
            Sample((make(4, 5), -2), name="below"),
            Sample((make(2, 3, 4),), name="batched"),
            Sample((make(4, 3, noncontig=True), -1), name="noncontig"),
            Sample((make(0, 3),), name="empty"),
            Sample((make.ints(3, 3),), name="ints")]


@register("tril", _triangle_samples, Tril)
def tril(input, diagonal=0):
    """The lower triangle of the last two dims (elements above `diagonal` zeroed).

        >>> ember.ones(2, 2).tril()
        tensor([[1., 0.],
                [1., 1.]])
    """
    return Tril.apply(input, diagonal=diagonal)


@register("triu", _triangle_samples, Triu)
def triu(input, diagonal=0):
    """The upper triangle of the last two dims (elements below `diagonal` zeroed)."""
    return Triu.apply(input, diagonal=diagonal)


tril.saves_self = triu.saves_self = False
