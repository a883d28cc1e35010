"""Indexing: `t[...]` and `t[...] = v` with PyTorch semantics (ints, slices, None,
Ellipsis, integer and boolean tensors), and `index_put`, their functional form. The
other indexing ops are in `gather` (gather/scatter, index_select/index_add, take),
`mask` (masked_fill/masked_select, nonzero, tril/triu, one_hot) and `sort`.

    >>> import ember
    >>> x = ember.arange(6.0).reshape(2, 3)
    >>> x[:, 1], x[x > 3], x[[0, 1], [2, 0]]
    (tensor([1., 4.]), tensor([4., 5.]), tensor([2., 3.]))

Index tensors are int64 (int32 is accepted where PyTorch accepts it). An index
outside its dim raises `IndexOutOfRangeError` naming the op, the index, the dim
and its size, before anything is allocated. Changing an index tensor in place
before the backward that needs it is an error, as in PyTorch.
"""
import numpy as np

from ember.autograd import grad_mode
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor, writable
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, IndexOutOfRangeError
from ember.ops._indexing import (_add_at, _add_rows, _check_bounds, _check_watched, _flat_rows, _watch,
                                 _zeros)
from ember.ops.registry import Sample, register
from ember.ops._xp import ufunc_at

__all__ = ["getitem", "setitem", "index_put"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "index_put"
INPLACE = "index_put"


# --- keys ---------------------------------------------------------------------------

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
        if a.dtype == np.uint8:  # PyTorch reads a uint8 index tensor as a mask (its deprecated form)
            a = a.astype(bool)
    elif isinstance(k, range):  # a sequence of ints, as in PyTorch
        a = xp.arange(k.start, k.stop, k.step, dtype=np.int64)
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
        ufunc_at(xp, "add", out, idx, v)


def _key_tensors(key):
    """The index tensors of a key, which the gradient reads again (a 0-d integer tensor is read as an int)."""
    parts = key if isinstance(key, (tuple, list)) else (key,)
    return [k for k in parts if isinstance(k, Tensor) and (k._data.ndim or k._data.dtype == bool)]


# --- t[key] and t[key] = v ------------------------------------------------------

class GetItem(Function):
    save_inputs = False

    def forward(self, x, idx):
        self.idx = idx
        self.in_shape = x.shape
        self.is_view = _is_basic(idx)
        return _get(x, idx)

    def backward(self, g):
        _check_watched(self)
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
        _check_watched(self)
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
    out = GetItem.apply(input, idx=_index("getitem", key, input._data.shape, input._device.xp))
    if out.grad_fn is not None and not out.grad_fn.is_view:  # a basic key (a view) holds no index tensors
        _watch(out, *_key_tensors(key))
    return out


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
    if not isinstance(indices, (tuple, list)) or not all(i is None or isinstance(i, Tensor) for i in indices):
        raise DTypeError(f"index_put: indices must be a tuple of tensors, got {type(indices).__name__}")
    if not isinstance(values, Tensor) or values.dtype != input.dtype:
        got = values.dtype if isinstance(values, Tensor) else type(values).__name__
        raise DTypeError(f"index_put: values must be a tensor of the input's dtype {input.dtype}, got {got}")
    indices = tuple(indices)
    idx = _index("index_put", indices, input._data.shape, input._device.xp)
    return _watch(IndexPut.apply(input, values, idx=idx, accumulate=accumulate), *_key_tensors(indices))


index_put.saves_self = False  # index_put_ needs no copy of the values it overwrites


def setitem(input, key, value):
    """`input[key] = value`, in place. Recorded by autograd for tensors that require grad."""
    idx = _index("setitem", key, input._data.shape, input._device.xp)
    writable("setitem", input)
    v_rg = isinstance(value, Tensor) and value._rg
    recorded = grad_mode._state.enabled and (input._rg or v_rg)
    if not recorded and grad_mode._state.tracer is None:
        _put(input._data, idx, value._data if isinstance(value, Tensor) else value, False, input._device.xp)
        input._version_counter()[0] += 1
        return
    # autograd records it, or a trace does (a compiled graph replays the write as a call, even of a
    # tensor nothing differentiates: a mask built in the step)
    if recorded and input.grad_fn is None and input._rg:
        raise ArgumentError("setitem: a leaf tensor that requires grad can't be assigned to in place; "
                            "wrap the assignment in ember.no_grad() or assign to a clone()")
    old = input._snapshot(keep_values=False)
    input._inplace(_watch(IndexPut.apply(old, value, idx=idx), *_key_tensors(key)), "setitem")
