"""Closeness and equality of whole tensors: `isclose`, `allclose`, `equal` (composites).

    >>> import ember
    >>> a = ember.tensor([1.0, 2.0, float("nan")])
    >>> ember.isclose(a, a + 1e-9), ember.allclose(a[:2], a[:2] + 1e-9), ember.equal(a[:2], a[:2])
    (tensor([ True,  True, False]), True, True)
"""
from ember.autograd.checks import broadcast_shapes
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.ops import binary, unary
from ember.ops.reduce import all as all_

__all__ = ["isclose", "allclose", "equal"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "isclose allclose equal"
INPLACE = ""


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Elementwise `|input - other| <= atol + rtol * |other|`, broadcasting; as `torch.isclose`."""
    _check("isclose", input, other, rtol, atol)
    if input.dtype is not other.dtype:
        raise DTypeError(f"isclose: input and other must have the same dtype, got {input.dtype} and {other.dtype}")
    if input.dtype is dtypes.bool_ or not input.is_floating_point():
        close = binary.eq(input, other)
        if atol or rtol:
            diff = unary.abs(input.to(dtypes.float64) - other.to(dtypes.float64))
            close = binary.logical_or(close, diff <= atol + rtol * unary.abs(other.to(dtypes.float64)))
        return close
    finite = binary.logical_and(binary.isfinite(input), binary.isfinite(other))
    a, b = binary.where(finite, input, 0), binary.where(finite, other, 0)  # inf - inf would warn
    within = unary.abs(a - b) <= atol + rtol * unary.abs(b)
    close = binary.logical_or(binary.eq(input, other), binary.logical_and(finite, within))
    if equal_nan:
        close = binary.logical_or(close, binary.logical_and(binary.isnan(input), binary.isnan(other)))
    return close


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when every element is `isclose`; a Python bool, as `torch.allclose`."""
    return bool(all_(isclose(input, other, rtol, atol, equal_nan)))


def equal(input, other):
    """True when both tensors have the same shape and elements (NaN is never equal); a Python bool."""
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor):
            raise ArgumentError(f"equal: {name} must be a tensor, got {type(t).__name__}")
    if input.shape != other.shape:
        return False
    return bool(all_(binary.eq(input, other)))


def _check(op, input, other, rtol, atol):
    for name, t in (("input", input), ("other", other)):
        if not isinstance(t, Tensor):
            raise ArgumentError(f"{op}: {name} must be a tensor, got {type(t).__name__}")
    for name, v in (("rtol", rtol), ("atol", atol)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise ArgumentError(f"{op}: {name} must be a non-negative number, got {v!r}")
    broadcast_shapes(op, tuple(input.shape), tuple(other.shape))
