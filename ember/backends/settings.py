"""Top-level settings PyTorch scripts call: `use_deterministic_algorithms` and
`set_float32_matmul_precision`, with their getters.

ember's kernels are deterministic (NumPy and CuPy reductions in a fixed order, no atomics), so
`use_deterministic_algorithms(True)` holds already; the flag is kept so scripts read back what they set.
Likewise every float32 matmul runs in float32 ('highest'), which each precision setting allows.

    >>> import ember
    >>> ember.use_deterministic_algorithms(True)
    >>> ember.are_deterministic_algorithms_enabled()
    True
    >>> ember.use_deterministic_algorithms(False)
"""
from ember.backend.device import device as as_device
from ember.errors import ArgumentError, DTypeError

_STATE = {"deterministic": False, "warn_only": False, "matmul_precision": "highest"}


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Record the deterministic-algorithms flag (ember's algorithms are deterministic either way)."""
    if not isinstance(mode, bool):
        raise DTypeError(f"use_deterministic_algorithms: mode must be a bool, got {type(mode).__name__}")
    _STATE["deterministic"], _STATE["warn_only"] = mode, bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _STATE["deterministic"]


def is_deterministic_algorithms_warn_only_enabled():
    return _STATE["warn_only"]


def set_float32_matmul_precision(precision):
    """'highest', 'high' or 'medium' (PyTorch's choices); ember computes float32 matmuls in float32 always."""
    if precision not in ("highest", "high", "medium"):
        raise ArgumentError(f"set_float32_matmul_precision: expected 'highest', 'high' or 'medium', "
                            f"got {precision!r}")
    _STATE["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _STATE["matmul_precision"]


def get_default_device():
    """The device new tensors go to: ember creates them on the CPU unless given `device=`."""
    return as_device("cpu")
