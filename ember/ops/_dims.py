"""Helpers of the ops that work along dims (reductions, scans, max/min, sort): the dims
reduced, a reduced gradient restored to the input's rank, and the named tuples that
PyTorch's ops of this kind return (`torch.return_types`).
"""
from collections import namedtuple

from ember.autograd.checks import normalize_dims
from ember.backend import dtypes
from ember.autograd import grad_mode
from ember.errors import DTypeError, ShapeError

# PyTorch's `torch.return_types`: tuples whose fields also have names (the type's name shows in the repr).
MaxResult = namedtuple("max", ("values", "indices"))
MinResult = namedtuple("min", ("values", "indices"))
SortResult = namedtuple("sort", ("values", "indices"))
TopKResult = namedtuple("topk", ("values", "indices"))
AminmaxResult = namedtuple("aminmax", ("min", "max"))


def _axes(dim, ndim, op):
    """The reduced axes: None, () and [] mean every dim (as in PyTorch); a 0-d tensor has none."""
    if dim is None or isinstance(dim, (tuple, list)) and not dim:
        return tuple(range(ndim))
    axes = normalize_dims(dim, ndim, op)
    return axes if ndim else ()


def _need_nonempty(op, shape, axes):
    """max, min, argmax... have no identity: reducing over a size-0 dim is an error, as in PyTorch."""
    for a in axes:
        if shape[a] == 0:
            if len(axes) == len(shape) and len(shape) > 1:
                raise ShapeError(f"{op}: the input of shape {tuple(shape)} has no elements and {op} has no "
                                 f"identity; pass dim= to reduce over non-empty dims only")
            raise ShapeError(f"{op}: cannot reduce over dim {a} of size 0 (input shape {tuple(shape)}): "
                             f"{op} has no identity")


def _int_acc(x, dtype):
    """PyTorch sums and multiplies integers and bools in int64 unless told otherwise."""
    if dtype is None and x.dtype.kind in "biu":
        return dtypes.int64.np
    return dtype


def _np_dtype(dtype, op=None, x=None, floating=False):
    """`dtype=` of a reduction or scan as a NumPy dtype. With `x` (the input tensor), refuses what
    PyTorch refuses: a non-float result of a tensor that requires grad (autograd has no integer
    gradients), and with `floating`, a non-float dtype at all (mean)."""
    if dtype is None:
        return None
    dt = dtypes.as_dtype(dtype, op)
    if floating and not dt.is_floating_point:
        raise DTypeError(f"{op}: dtype must be a floating point dtype, got {dt}")
    if x is not None and getattr(x, "_rg", False) and not dt.is_floating_point and grad_mode._state.enabled:
        raise DTypeError(f"{op}: the input requires grad and dtype={dt} is not floating point; "
                         f"autograd has no integer gradients: detach() the input or pass a float dtype")
    return dt.np


def _restore(g, shape, axes, keepdim):
    """A reduced gradient reshaped so that it broadcasts against the input again."""
    if keepdim or not axes:
        return g
    kept = [1 if i in axes else s for i, s in enumerate(shape)]
    return g.reshape(kept)


def _along(n, d, ndim, xp):
    """0..n-1 laid along dim `d` of an `ndim`-d array, to compare with positions."""
    return xp.arange(n).reshape([n if i == d else 1 for i in range(ndim)])
