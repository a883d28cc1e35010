"""PyTorch's global anomaly switch, `torch.set_anomaly_enabled(mode, check_nan=True)`, with
`is_anomaly_check_nan_enabled()`; the same flag `ember.autograd.detect_anomaly()` sets for a block.

    >>> import ember
    >>> ember.set_anomaly_enabled(True)
    >>> ember.is_anomaly_enabled()
    True
    >>> ember.set_anomaly_enabled(False)
"""
from ember.autograd import grad_mode
from ember.errors import DTypeError

__all__ = ["set_anomaly_enabled", "is_anomaly_check_nan_enabled"]
_CHECK_NAN = [True]


def set_anomaly_enabled(mode, check_nan=True):
    """Turn anomaly detection (NaN/Inf checks of every op) on or off for this thread: ember keeps the
    anomaly mode per thread, like its grad mode."""
    if not isinstance(mode, bool):
        raise DTypeError(f"set_anomaly_enabled: mode must be a bool, got {type(mode).__name__}")
    grad_mode._state.anomaly = mode
    _CHECK_NAN[0] = bool(check_nan)


def is_anomaly_check_nan_enabled():
    return _CHECK_NAN[0]
