"""Argument checks of the public functions that take no tensor to start from (creation, random,
`*_like`): each names the function and the argument, and runs before anything is allocated.
"""
import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend.random import Generator
from ember.errors import ArgumentError, DTypeError


def need_tensor(op, name, x):
    if not isinstance(x, Tensor):
        raise DTypeError(f"{op}: argument {name!r} must be a tensor, got {type(x).__name__}")
    return x


def need_generator(op, generator):
    if generator is not None and not isinstance(generator, Generator):
        raise DTypeError(f"{op}: generator must be an ember.Generator, got {type(generator).__name__}")
    return generator


def need_int(op, name, x, low=0):
    """An int (or a 0-d integer tensor / NumPy integer) >= `low`; bools and floats refused."""
    if isinstance(x, bool) or isinstance(x, np.bool_) or (isinstance(x, Tensor) and not x.dtype.kind == "i"):
        raise DTypeError(f"{op}: {name} must be an int, got {type(x).__name__}")
    try:
        x = int(x.__index__())
    except (AttributeError, TypeError, ValueError):
        raise DTypeError(f"{op}: {name} must be an int, got {type(x).__name__}") from None
    if x < low:
        raise ArgumentError(f"{op}: {name} must be >= {low}, got {x}")
    return x


def need_finite(op, name, x):
    """A number that fits a float64 and is finite (`10**400` does not)."""
    try:
        v = float(x)
    except OverflowError:
        raise ArgumentError(f"{op}: {name} is too large for a float64") from None
    if not np.isfinite(v):
        raise ArgumentError(f"{op}: {name} must be finite, got {v}")
    return x
