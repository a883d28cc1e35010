"""Channels-last memory for convolution and pooling inside compiled graphs.

A tensor keeps its logical (N, C, H, W) shape; its array may be laid out channels-last, i.e.
a transposed view of an (N, H, W, C) array, as PyTorch's `channels_last` memory format. The
convolution and max-pool kernels measure fastest on that layout (`python
benchmarks/conv_algorithms.py`: the im2col copy reads runs of C values, and no transposes are
needed between consecutive conv/pool layers). Every op still sees correct (N, C, H, W) values,
since NumPy follows strides; only the memory order differs.

Eager convolutions return C-contiguous arrays as PyTorch does (also for a channels-last input),
so user code that calls `view` on a convolution's output keeps working; max pooling keeps a
channels-last input's layout. A compiled replay runs under `channels_last()`: there convolutions
leave their outputs channels-last too, which the next conv/pool layer reads without a copy
(ember/graph/compile.py makes returned values contiguous again).

    >>> import numpy as np
    >>> a = np.zeros((2, 5, 5, 3)).transpose(0, 3, 1, 2)   # (N, C, H, W) values, channels-last
    >>> is_channels_last(a), is_channels_last(np.ascontiguousarray(a))
    (True, False)
"""
import contextlib
import threading

_state = threading.local()


def enabled():
    """True inside `channels_last()` on this thread."""
    return getattr(_state, "on", False)


@contextlib.contextmanager
def channels_last(on=True):
    """Let conv/pool kernels leave channels-last outputs (a compiled replay runs under this)."""
    before = enabled()
    _state.on = on
    try:
        yield
    finally:
        _state.on = before


def is_channels_last(a):
    """True when `a` (N, C, H, W) with C > 1 is a transposed view of a C-contiguous (N, H, W, C) array."""
    return a.ndim == 4 and a.shape[1] > 1 and not a.flags.c_contiguous and a.transpose(0, 2, 3, 1).flags.c_contiguous


def nhwc(xp, a):
    """`a` (N, C, H, W) as a C-contiguous (N, H, W, C) array: a view when `a` is channels-last
    (or has one channel), else one copy."""
    return xp.ascontiguousarray(a.transpose(0, 2, 3, 1))


def result(xp, a_nhwc):
    """A kernel's (N, H, W, C) result as (N, C, H, W): channels-last inside `channels_last()`,
    else copied to C-contiguous memory."""
    a = a_nhwc.transpose(0, 3, 1, 2)
    return a if enabled() else xp.ascontiguousarray(a)
