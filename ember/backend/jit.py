"""Generated CPU kernels through numba (the `fast` extra), loaded on first use.

A kernel is a plain Python loop over flat arrays. `Kernel(fn)` compiles it with
`numba.njit` (on-disk cache, NumPy's float error model so loops vectorize) the
first time it is asked for; without numba, or with `EMBER_NUMBA=0` in the
environment, or after `set_enabled(False)`, `Kernel.get()` is None and callers
run their NumPy code instead. Both paths compute the same float operations in
the same order, so they agree bit for bit (tests/optim/test_fused.py).

    >>> def axpy(y, a, x):
    ...     for i in range(y.size):
    ...         y[i] += a * x[i]
    >>> kernel = Kernel(axpy)
    >>> fn = kernel.get()          # None without numba
"""
import os

_state = {"numba": None, "enabled": os.environ.get("EMBER_NUMBA", "1") != "0"}


def _numba():
    if _state["numba"] is None:
        try:
            import numba
        except ImportError:  # an optional extra: NumPy paths run instead
            numba = False
        _state["numba"] = numba
    return _state["numba"]


def available():
    """True when numba kernels are enabled and numba can be imported."""
    return _state["enabled"] and bool(_numba())


def set_enabled(flag):
    """Turn generated kernels on or off (tests compare both paths); returns the previous setting."""
    before = _state["enabled"]
    _state["enabled"] = bool(flag)
    return before


class Kernel:
    """A Python loop compiled by numba on first use (see the module docstring)."""

    def __init__(self, fn, fastmath=False):
        self.fn = fn
        self.fastmath = fastmath  # e.g. {"reassoc"}: lets a sum over a row vectorize (NaN/inf kept)
        self.compiled = None

    def get(self):
        if not available():
            return None
        if self.compiled is None:
            self.compiled = _numba().njit(cache=True, error_model="numpy", nogil=True,
                                          fastmath=self.fastmath)(self.fn)
        return self.compiled


def flat(*arrays):
    """The arrays as 1-d views when all are C-contiguous NumPy arrays of one float dtype
    (float32 or float64), else None: the kernels index flat memory."""
    first = arrays[0]
    dt = getattr(first, "dtype", None)
    if dt is None or dt.kind != "f" or dt.itemsize not in (4, 8):
        return None
    out = []
    for a in arrays:
        if type(a).__module__ != "numpy" or a.dtype != dt or not a.flags.c_contiguous or a.shape != first.shape:
            return None
        out.append(a.reshape(-1))
    return out
