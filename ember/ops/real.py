"""PyTorch's complex-aware names on ember's real dtypes, sign bits and bit shifts: `absolute`,
`signbit`, `isposinf`, `isneginf`, `isreal`, `frexp`, `conj`, `conj_physical`, `resolve_conj`,
`resolve_neg`, `real`, `imag` (refused: no imaginary part), `angle`, `is_conj`, `is_neg`,
`bitwise_left_shift`, `bitwise_right_shift`.

    >>> import ember
    >>> ember.signbit(ember.tensor([-0.0, 1.0])), ember.angle(ember.tensor([-2.0, 3.0]))
    (tensor([ True, False]), tensor([3.1416, 0.0000]))
"""
import math
from collections import namedtuple

import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.ops import binary, unary
from ember.autograd.checks import broadcast_shapes
from ember.ops._util import const, fits
from ember.ops.registry import Sample, register, unary_samples

__all__ = ["absolute", "signbit", "isposinf", "isneginf", "isreal", "frexp", "conj", "conj_physical", "resolve_conj",
           "resolve_neg", "real", "imag", "angle", "is_conj", "is_neg", "bitwise_left_shift", "bitwise_right_shift"]
METHODS = ("absolute signbit isposinf isneginf isreal frexp conj conj_physical resolve_conj resolve_neg angle is_conj "
           "is_neg bitwise_left_shift bitwise_right_shift")
INPLACE = "absolute conj_physical bitwise_left_shift bitwise_right_shift"

FrexpResult = namedtuple("frexp", ("mantissa", "exponent"))
absolute = unary.abs


def signbit(input):
    """True where the sign bit is set (negative numbers and -0.0)."""
    return const(np.signbit(input.detach().numpy()), input)


def isposinf(input):
    """True at +inf."""
    return input == math.inf if input.is_floating_point() else const(np.zeros(tuple(input.shape), bool), input)


def isneginf(input):
    """True at -inf."""
    return input == -math.inf if input.is_floating_point() else const(np.zeros(tuple(input.shape), bool), input)


def isreal(input):
    """True everywhere: ember's tensors are real."""
    return const(np.ones(tuple(input.shape), bool), input)


def frexp(input):
    """`(mantissa, exponent)` with input = mantissa * 2**exponent and |mantissa| in [0.5, 1)."""
    if not input.is_floating_point():
        raise DTypeError(f"frexp: expected a floating point tensor, got {input.dtype}")
    m, e = np.frexp(input.detach().numpy())
    return FrexpResult(const(m, input), const(e.astype(np.int32), input))


def conj(input):
    """The tensor itself: the conjugate of a real tensor."""
    return input


conj_physical = resolve_conj = resolve_neg = conj


def real(input):
    """The tensor itself: the real part of a real tensor."""
    return input


def imag(input):
    """Refused, as in PyTorch: real tensors have no imaginary part."""
    raise DTypeError("imag: ember tensors are real; imag is not implemented for tensors with non-complex dtypes")


@register("angle", lambda make: [Sample((make.away(3, 4),), name="signs")], grad=False)
def angle(input):
    """pi where the input is negative, 0 elsewhere (NaN stays NaN)."""
    x = input if input.is_floating_point() else input.float()
    # a zero gradient everywhere, NaN included (as PyTorch): x enters only through `x * 0` where finite
    rest = binary.where(binary.isfinite(x), x * 0.0 + 0.0, binary.where(binary.isnan(x), math.nan, 0.0))
    return binary.where(x < 0, math.pi, rest).to(x.dtype)


def is_conj(input):
    return False


def is_neg(input):
    return False


def _shift(op, fn, input, other):
    for x in (input, other):
        if isinstance(x, Tensor) and x.is_floating_point() or isinstance(x, (float, np.floating)):
            raise DTypeError(f"{op}: expected integer tensors or ints")
    like = input if isinstance(input, Tensor) else other
    a = input.detach().numpy() if isinstance(input, Tensor) else input
    b = other.detach().numpy() if isinstance(other, Tensor) else other
    broadcast_shapes(op, np.shape(a), np.shape(b))
    fits(op, a, b)
    fits(op, b, a)
    dt = dtypes.result_type(a, b).np  # PyTorch's promotion: uint8 << an int64 tensor is int64
    return const(fn(np.asarray(a, dtype=dt), np.asarray(b, dtype=dt)), like)


def bitwise_left_shift(input, other):
    """`input << other` for integers."""
    return _shift("bitwise_left_shift", np.left_shift, input, other)


def bitwise_right_shift(input, other):
    """`input >> other` (arithmetic) for integers."""
    return _shift("bitwise_right_shift", np.right_shift, input, other)
