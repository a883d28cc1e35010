"""Questions about tensors and dtypes with PyTorch's names: `is_tensor`, `is_floating_point`, `is_complex`,
`is_nonzero`, `is_same_size`, `is_signed`, `numel`, `result_type`, `can_cast`, `broadcast_shapes`; and
`poisson` sampling.

    >>> import ember
    >>> ember.result_type(ember.tensor([1, 2]), 1.5), ember.can_cast(ember.float32, ember.int32)
    (ember.float32, False)
"""
import numpy as np

from ember.autograd.checks import broadcast_shapes as _broadcast_shapes
from ember.autograd.tensor import Size, Tensor, _wrap
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.ops.creation import _rng

__all__ = ["is_tensor", "is_floating_point", "is_complex", "is_nonzero", "is_same_size", "is_signed", "numel",
           "result_type", "can_cast", "broadcast_shapes", "poisson"]
METHODS = "is_complex is_nonzero is_same_size is_signed"
INPLACE = ""


def is_tensor(obj):
    """True for an ember Tensor."""
    return isinstance(obj, Tensor)


def _tensor(op, t):
    if not isinstance(t, Tensor):
        raise DTypeError(f"{op}: expected a Tensor, got {type(t).__name__}")
    return t


def is_floating_point(input):
    """True for a floating point dtype."""
    return _tensor("is_floating_point", input).dtype.is_floating_point


def is_complex(input):
    """False: ember has no complex dtypes."""
    _tensor("is_complex", input)
    return False


def is_nonzero(input):
    """The truth of a one-element tensor; more or fewer elements are an error, as in PyTorch."""
    n = _tensor("is_nonzero", input).numel()
    if n != 1:
        raise ArgumentError(f"is_nonzero: Boolean value of a tensor with {'no values' if n == 0 else 'more than one value'} "
                            f"is ambiguous")
    return bool(input.detach().numpy().reshape(()) != 0)


def is_same_size(input, other):
    """True when both tensors have the same shape."""
    return tuple(_tensor("is_same_size", input).shape) == tuple(_tensor("is_same_size", other).shape)


def is_signed(input):
    """True for dtypes that hold negative values."""
    return _tensor("is_signed", input).dtype.is_signed


def numel(input):
    """The number of elements."""
    return _tensor("numel", input).numel()


def result_type(tensor, other):
    """The dtype PyTorch's promotion gives an operation on the two (tensors or Python numbers)."""
    return dtypes.result_type(*(x._data if isinstance(x, Tensor) else x for x in (tensor, other)))


def can_cast(from_, to):
    """Whether PyTorch's casting rules allow `from_` to `to` without changing category downwards
    (float to integer, or anything but bool to bool, is refused)."""
    a, b = dtypes.as_dtype(from_, "can_cast"), dtypes.as_dtype(to, "can_cast")
    order = {"b": 0, "i": 1, "f": 2}
    return order[a.kind] <= order[b.kind]


def broadcast_shapes(*shapes):
    """The shape that tensors of `shapes` broadcast to."""
    normal = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    return Size(_broadcast_shapes("broadcast_shapes", *normal))


def poisson(input, generator=None):
    """Poisson samples with rates `input` (same shape and dtype; no gradient)."""
    if not _tensor("poisson", input).is_floating_point():
        raise DTypeError(f"poisson: expected floating point rates, got {input.dtype}")
    rates = input.detach().numpy()
    if rates.size and not ((rates >= 0) & (rates < 1e18)).all():  # NumPy's sampler stops near 9.2e18
        raise ArgumentError("poisson: rates must be finite, non-negative and below 1e18")
    out = np.asarray(_rng(generator).poisson(rates)).astype(rates.dtype)
    return _wrap(out if input.device.type == "cpu" else input._device.xp.asarray(out), input._device)
