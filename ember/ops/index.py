"""Indexing: `t[...]` and `t[...] = v` with NumPy/PyTorch semantics (ints, slices,
None, Ellipsis, integer and boolean tensors), and the indexing ops.

    >>> import ember
    >>> x = ember.arange(6.0).reshape(2, 3)
    >>> x[:, 1], x[x > 3], x[[0, 1], [2, 0]]
    (tensor([1., 4.]), tensor([4., 5.]), tensor([2., 3.]))
"""
import numpy as np

from ember.autograd import grad_mode
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError, IndexOutOfRangeError
from ember.ops._util import const
from ember.ops.registry import Sample, register

__all__ = ["getitem", "setitem", "index_put"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "index_put"
INPLACE = "index_put"


def _index(op, key, shape, xp):
    """A user's index as a NumPy index: tensors to arrays, bounds checked with a clear message."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    dim = 0
    consumed = sum(0 if k is None or k is Ellipsis else np.ndim(_array(k, xp)) if _is_bool(k) else 1
                   for k in key)
    if sum(k is Ellipsis for k in key) > 1:
        raise ArgumentError(f"{op}: an index can only have a single ellipsis ('...')")
    if consumed > len(shape):
        raise IndexOutOfRangeError(f"{op}: too many indices for a tensor of rank {len(shape)}: "
                                   f"{consumed} dims indexed")
    for k in key:
        if k is None:
            out.append(None)
        elif k is Ellipsis:
            out.append(k)
            dim += len(shape) - consumed
        elif isinstance(k, slice):
            out.append(k)
            dim += 1
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            size = shape[dim]
            if not -size <= k < size:
                raise IndexOutOfRangeError(f"{op}: index {k} is out of bounds for dim {dim} with size {size}")
            out.append(int(k))
            dim += 1
        else:
            a = _array(k, xp)
            if a.dtype == bool:
                if a.shape != tuple(shape[dim:dim + a.ndim]):
                    raise IndexOutOfRangeError(f"{op}: boolean mask of shape {a.shape} does not match the "
                                               f"indexed shape {tuple(shape[dim:dim + a.ndim])} at dim {dim}")
                dim += a.ndim
            elif a.dtype.kind in "iu":
                size = shape[dim]
                if a.size and (a.max() >= size or a.min() < -size):
                    bad = a.max() if a.max() >= size else a.min()
                    raise IndexOutOfRangeError(f"{op}: index {bad} is out of bounds for dim {dim} with size {size}")
                dim += 1
            else:
                raise DTypeError(f"{op}: tensors used as indices must be integer or bool, got {a.dtype}")
            out.append(a)
    return tuple(out)


def _is_bool(k):
    return isinstance(k, Tensor) and k._data.dtype == bool or isinstance(k, np.ndarray) and k.dtype == bool


def _array(k, xp):
    if isinstance(k, Tensor):
        return k._data
    if isinstance(k, bool):
        return xp.asarray(k)
    a = xp.asarray(k)
    if a.dtype.kind == "f" and a.size == 0:
        a = a.astype(np.int64)
    return a


def _is_basic(idx):
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in idx)


class GetItem(Function):
    save_inputs = False

    def forward(self, x, key):
        self.idx = _index("getitem", key, x.shape, self.xp)
        self.in_shape = x.shape
        self.is_view = _is_basic(self.idx)
        return x[self.idx]

    def backward(self, g):
        zeros = const(self.xp.zeros(self.in_shape, g._data.dtype), g)
        return IndexPut.apply(zeros, g, idx=self.idx, accumulate=True)


class IndexPut(Function):
    """`x` with `v` written (or, with `accumulate`, added) at `idx`: the functional form
    of `x[idx] = v`, and getitem's gradient."""
    save_inputs = False

    def forward(self, x, v, idx, accumulate=False):
        self.idx = idx
        self.accumulate = accumulate
        out = x.copy()
        if not accumulate:
            out[idx] = v
        elif _is_basic(idx):
            out[idx] += v
        else:
            self.xp.add.at(out, idx, v)  # repeated indices add up
        return out

    def backward(self, g):
        gx = g if self.accumulate else IndexPut.apply(g, 0.0, idx=self.idx)
        gv = GetItem.apply(g, self.idx) if isinstance(self.inputs[1], Tensor) else None
        return gx, gv


def _getitem_samples(make):
    return [Sample((make(4, 5), (1, slice(None, None, 2))), name="basic"),
            Sample((make(4, 5), (np.array([0, 2, 2]),)), name="repeat-ints"),
            Sample((make(4, 5), (make.bools(4, 5),)), name="mask"),
            Sample((make(3, 4, 2), (Ellipsis, None, 1)), name="ellipsis-none"),
            Sample((make(4, 5, noncontig=True), (slice(1, 3), np.array([4, 0]))), name="mixed-noncontig"),
            Sample((make(4, 5), (slice(2, 2),)), name="empty")]


@register("getitem", _getitem_samples, GetItem, ref="Tensor.__getitem__")
def getitem(input, key):
    """`input[key]`."""
    return GetItem.apply(input, key)


def _index_put_samples(make):
    return [Sample((make(4, 3), (np.array([0, 2, 0]),), make(3, 3)), {"accumulate": True}, "accumulate-repeat"),
            Sample((make(4, 3), (np.array([1, 3]), np.array([0, 2])), make(2)), name="pairs"),
            Sample((make(4, 3), (np.array([1, 3]),), make(1, 3)), name="broadcast")]


@register("index_put", _index_put_samples, IndexPut)
def index_put(input, indices, values, accumulate=False):
    """`input` with `values` written at `indices` (a tuple of index tensors); `accumulate` adds."""
    idx = _index("index_put", tuple(indices), input._data.shape, input._device.xp)
    return IndexPut.apply(input, values, idx=idx, accumulate=accumulate)


def setitem(input, key, value):
    """`input[key] = value`, in place. Recorded by autograd for tensors that require grad."""
    idx = _index("setitem", key, input._data.shape, input._device.xp)
    v_rg = isinstance(value, Tensor) and value._rg
    if not (grad_mode._enabled[0] and (input._rg or v_rg)):
        input._data[idx] = value._data if isinstance(value, Tensor) else value
        input._version_counter()[0] += 1
        return
    if input.grad_fn is None and input._rg:
        raise ArgumentError("setitem: a leaf tensor that requires grad can't be assigned to in place; "
                            "wrap the assignment in ember.no_grad() or assign to a clone()")
    old = input._snapshot(keep_values=False)
    input._inplace(IndexPut.apply(old, value, idx=idx), "setitem")
