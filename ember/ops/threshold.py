"""Thresholding activations, as composites: `hardshrink`, `softshrink`, `threshold`, `rrelu`.

    >>> import ember.nn.functional as F
    >>> F.softshrink(ember.tensor([-2.0, 0.2, 1.5]), 0.5)
    tensor([-1.5000,  0.0000,  1.0000])
"""
import numbers

from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError
from ember.ops import binary, unary
from ember.ops.creation import empty
from ember.ops.fill import uniform_

__all__ = []
METHODS = ""
INPLACE = ""
FUNCTIONAL = "hardshrink softshrink threshold threshold_ rrelu rrelu_"


def _check(op, input, **numbers_):
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    for name, v in numbers_.items():
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise ArgumentError(f"{op}: {name} must be a number, got {v!r}")


def hardshrink(input, lambd=0.5):
    """`x` where `|x| > lambd`, else 0."""
    _check("hardshrink", input, lambd=lambd)
    return binary.where(unary.abs(input) > lambd, input, 0.0)


def softshrink(input, lambd=0.5):
    """`x - lambd` above `lambd`, `x + lambd` below `-lambd`, else 0."""
    _check("softshrink", input, lambd=lambd)
    if lambd < 0:
        raise ArgumentError(f"softshrink: lambd must be >= 0, got {lambd}")
    return binary.where(input > lambd, input - lambd, binary.where(input < -lambd, input + lambd, 0.0))


def threshold(input, threshold, value, inplace=False):
    """`x` where `x > threshold`, else `value`."""
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, True)


def _threshold(input, level, value, inplace):
    _check("threshold", input, threshold=level, value=value)
    out = binary.where(input > level, input, value)
    return input.copy_(out) if inplace else out


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Leaky ReLU with a random negative slope drawn from U(lower, upper) per element in training,
    and the mean slope `(lower + upper) / 2` in evaluation."""
    _check("rrelu", input, lower=lower, upper=upper)
    if not input.is_floating_point():
        raise DTypeError(f"rrelu: expected a floating point input, got {input.dtype}")
    if lower > upper:
        raise ArgumentError(f"rrelu: lower ({lower}) must not exceed upper ({upper})")
    if training:
        slope = uniform_(empty(tuple(input.shape), dtype=input.dtype, device=input.device), lower, upper)
    else:
        slope = (lower + upper) / 2
    out = binary.where(input >= 0, input, input * slope)
    return input.copy_(out) if inplace else out


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    return rrelu(input, lower, upper, training, inplace=True)
