"""Argument checks of the public functions that take no tensor to start from (creation, random,
`*_like`): each names the function and the argument, and runs before anything is allocated.
"""
import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend.random import Generator
from ember.errors import ArgumentError, DimError, DTypeError


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
    if low is not None and x < low:
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


def need_ints(op, name, values):
    """A list or tuple of ints (NumPy integers and 0-d integer tensors too), as a tuple."""
    if not isinstance(values, (list, tuple)):
        raise DTypeError(f"{op}: {name} must be a tuple of ints, got {type(values).__name__}")
    return tuple(need_int(op, name, v, low=None) for v in values)


def sections(op, spec, tensor=False):
    """`indices_or_sections` of tensor_split/hsplit/...: an int (a number of sections) or a tuple of
    ints (split indices); with `tensor`, also an int64 tensor of 0 or 1 dims, as PyTorch's tensor_split."""
    if isinstance(spec, Tensor):
        if not tensor:
            raise DTypeError(f"{op}: indices_or_sections must be an int or a tuple of ints, got a tensor")
        if spec.dtype.name != "int64" or spec.ndim > 1:
            raise DTypeError(f"{op}: a tensor of indices_or_sections must be int64 with 0 or 1 dims, "
                             f"got {spec.dtype} of shape {tuple(spec.shape)}")
        spec = spec.tolist()
    if isinstance(spec, (list, tuple)):
        return list(need_ints(op, "indices", spec))
    return need_int(op, "sections", spec, low=1)


def need_number(op, name, x):
    """A real Python or NumPy number (bools too, as PyTorch's scalars), or a 0-d tensor's value."""
    if isinstance(x, Tensor) and x.ndim == 0:
        return x.item()
    if not isinstance(x, (int, float, np.integer, np.floating, np.bool_)):
        raise DTypeError(f"{op}: {name} must be a number, got {type(x).__name__}")
    return x


def need_dims(op, x, n=1):
    """At least `n` dims: PyTorch's ops that work along a dim (other than the reductions) refuse 0-d tensors."""
    if x.ndim < n:
        from_ = "a 0-d tensor" if x.ndim == 0 else f"shape {tuple(x.shape)}"
        raise DimError(f"{op}: expected a tensor of at least {n} dim{'s' if n > 1 else ''}, got {from_}")
    return x


def same_dtype(op, **tensors):
    """Tensors PyTorch takes of one dtype only (no promotion): `heaviside`, `prelu`, `cross`, ..."""
    got = {name: t.dtype for name, t in tensors.items() if isinstance(t, Tensor)}
    if len(set(got.values())) > 1:
        raise DTypeError(f"{op}: expected tensors of one dtype, got " +
                         ", ".join(f"{name} {d}" for name, d in got.items()))
