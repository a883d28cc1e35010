"""PyTorch's `sym_*` helpers on what ember has: plain Python numbers and (one-element) tensors. PyTorch
uses them so size arithmetic stays symbolic while it traces; ember's tracer keeps sizes concrete, so
here they compute as PyTorch's do on concrete values.

    >>> import ember
    >>> ember.sym_int(-3.7), ember.sym_max(3, 2.0), ember.sym_sum([1, 2, 3])
    (-3, 3.0, 6)
"""
import math
import numbers

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError

__all__ = ["sym_int", "sym_float", "sym_max", "sym_min", "sym_not", "sym_sqrt", "sym_sum", "sym_ite", "sym_constrain_range",
           "sym_constrain_range_for_size", "sym_fresh_size"]
METHODS = ""
INPLACE = ""


def _number(op, a):
    if isinstance(a, Tensor):
        if a.numel() != 1:
            raise ArgumentError(f"{op}: a tensor argument must hold one element, got shape {tuple(a.shape)}")
        return a.item()
    return a


def _real(op, a):
    if isinstance(a, bool) or not isinstance(a, numbers.Real):
        raise DTypeError(f"{op}: expected an int or a float (or a NumPy number), got {type(a).__name__}")
    return a


def sym_int(a):
    """`a` as an int, rounded toward zero: `sym_int(-3.7) == -3`."""
    a = _number("sym_int", a)
    return int(_real("sym_int", a) if not isinstance(a, bool) else a)


def sym_float(a):
    """`a` as a float."""
    a = _number("sym_float", a)
    return float(_real("sym_float", a) if not isinstance(a, bool) else a)


def _extreme(op, pick, a, b):
    if isinstance(a, bool) and isinstance(b, bool):
        return pick(a, b)
    a, b = (_real(op, v) if not isinstance(v, bool) else v for v in (a, b))
    out = pick(a, b)
    return float(out) if isinstance(a, float) or isinstance(b, float) else out  # a float anywhere: a float


def sym_max(a, b):
    """The larger of two numbers (a float if either is one); tensors are refused, as in PyTorch."""
    return _extreme("sym_max", max, a, b)


def sym_min(a, b):
    """The smaller of two numbers (a float if either is one)."""
    return _extreme("sym_min", min, a, b)


def sym_not(a):
    """Logical not of a bool, a number or a one-element tensor."""
    return not _number("sym_not", a)


def sym_sqrt(a):
    """`math.sqrt` of a number or a one-element tensor (a negative number raises)."""
    a = _real("sym_sqrt", _number("sym_sqrt", a)) if not isinstance(a, bool) else a
    if a < 0:
        raise ArgumentError(f"sym_sqrt: math domain error: sqrt of a negative number {a!r}")
    return math.sqrt(a)


def sym_sum(args):
    """The sum of a sequence of numbers or tensors (0 for an empty one), added left to right."""
    total = 0
    for a in args:
        total = total + a
    return total


def sym_ite(b, t, f):
    """`t if b else f` for a bool `b`; `t` and `f` must be of one type, as in PyTorch."""
    if not isinstance(b, bool):
        raise DTypeError(f"sym_ite: the condition must be a bool, got {type(b).__name__}")
    if type(t) is not type(f) and not (isinstance(t, Tensor) and isinstance(f, Tensor)):
        raise DTypeError(f"sym_ite: both branches must have one type, got {type(t).__name__} and "
                         f"{type(f).__name__}")
    return t if b else f


def _range(op, size, low, high):
    size = _number(op, size)
    if isinstance(size, bool) or not isinstance(size, numbers.Integral):
        raise DTypeError(f"{op}: size must be an int, got {type(size).__name__}")
    if not low <= size <= high:
        raise ArgumentError(f"{op}: invalid value range for {size} between [{low}, {high}]")


def sym_constrain_range(size, *, min=None, max=None):
    """Check that the int `size` lies in [min, max] (either bound may be None); PyTorch's tracer records
    the bound, ember's sizes are concrete, so the check is all there is to do."""
    _range("sym_constrain_range", size, -math.inf if min is None else min, math.inf if max is None else max)


def sym_constrain_range_for_size(size, *, min=None, max=None):
    """`sym_constrain_range` for a size: the lower bound defaults to 0, the upper to 2**63 - 1."""
    _range("sym_constrain_range_for_size", size, 0 if min is None else min, (1 << 63) - 1 if max is None else max)


def sym_fresh_size(expr):
    """`expr` itself: ember has no symbolic sizes to make a fresh one of."""
    return expr
