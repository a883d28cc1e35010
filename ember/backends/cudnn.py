"""`torch.backends.cudnn`'s flags and queries. ember has no cuDNN: `is_available()` is False,
`version()` None, and `enabled`, `benchmark`, `deterministic`, `allow_tf32`, `benchmark_limit` are plain
attributes (PyTorch's defaults) that ember reads nowhere.

    >>> import ember
    >>> ember.backends.cudnn.benchmark = True
    >>> ember.backends.cudnn.is_available()
    False
"""
import contextlib
import sys

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = None  # PyTorch without CUDA; 10 where it has cuDNN


def is_available():
    """False: ember has no cuDNN backend (CUDA runs through CuPy's own kernels)."""
    return False


def version():
    """None: no cuDNN library is loaded."""
    return None


def is_acceptable(tensor):
    """False: no tensor goes to cuDNN."""
    return False


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False, allow_tf32=True):
    """Set the flags for a `with` block, restoring them after (as `torch.backends.cudnn.flags`)."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "benchmark_limit", "deterministic", "allow_tf32")
    saved = {n: getattr(module, n) for n in names}
    for n, v in zip(names, (enabled, benchmark, benchmark_limit, deterministic, allow_tf32)):
        setattr(module, n, v)
    try:
        yield
    finally:
        for n, v in saved.items():
            setattr(module, n, v)
