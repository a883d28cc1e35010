"""What the indexing families (index, gather, mask, sort) share: checks of index
arguments, raw-array kernels that add at repeated positions, and the version check of
index tensors that a backward reads again.
"""
import numpy as np

from ember.autograd.anomaly import describe
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import AutogradError, DTypeError, IndexOutOfRangeError
from ember.ops._util import as_tensor_arg, const
from ember.ops._xp import stable_argsort, ufunc_at


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


# --- index tensors read again by a backward ----------------------------------------

def _watch(out, *indices):
    """Record the versions of the index tensors that `out`'s backward reads again, so that
    `_check_watched` refuses ones changed in place since, as PyTorch does. (The engine checks
    the inputs of nodes with `save_inputs`; the indexing ops leave it off, as the tensor they
    index may change afterwards.)"""
    node = out.grad_fn
    if node is not None:
        node.watched = [(t._version_counter(), t._version_counter()[0]) for t in indices if isinstance(t, Tensor)]
    return out


def _check_watched(node):
    for counter, version in getattr(node, "watched", ()):
        if counter[0] != version:
            raise AutogradError(f"{describe(node)}: an index tensor it needs for the gradient was modified by an "
                                f"in-place operation (version {version}, now {counter[0]}); change a clone() "
                                f"of the index instead")


class ReadsIndex(Function):
    """A primitive whose backward reads its index input (at position `index_input`) again:
    the index's version is recorded at the call, and backward calls `_check_watched`."""
    save_inputs = False
    index_input = 1

    @classmethod
    def apply(cls, *args, **attrs):
        return _watch(super().apply(*args, **attrs), args[cls.index_input])


# --- kernels on raw arrays: positions, and adds where repeated positions add up --------

def _add_rows(out, rows, v, xp):
    """`out[rows] += v` for 1-d `rows`, where repeated rows add up. NumPy's `add.at` does
    this, slowly on rows; fancy `+=` is fast but keeps only one of the repeats. So: fancy
    `+=` in rounds, each taking at most one occurrence of every row."""
    if out.ndim == 1 or rows.size == 0:
        ufunc_at(xp, "add", out, rows, v)  # on scalars add.at has a fast path
        return
    order = stable_argsort(xp, rows)
    ordered = rows[order]
    first = xp.ones(rows.shape, bool)
    first[1:] = ordered[1:] != ordered[:-1]
    rank = xp.empty(rows.shape, np.int64)
    rank[order] = xp.arange(rows.size) - xp.flatnonzero(first)[xp.cumsum(first) - 1]  # occurrence number
    rounds = int(rank.max()) + 1
    if rounds == 1:
        out[rows] += v
    elif rounds > 64:  # a few rows repeated very often: one pass of add.at beats many rounds
        ufunc_at(xp, "add", out, rows, v)
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
    ufunc_at(xp, "add", out.reshape(-1), flat.reshape(-1), v.reshape(-1) if hasattr(v, "shape") else v)
