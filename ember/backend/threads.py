"""How many threads the CPU kernels use: `set_num_threads` / `get_num_threads`, with PyTorch's
names. ember's CPU work runs in NumPy's BLAS (OpenBLAS, MKL) and OpenMP pools, sized through
`threadpoolctl` (the `fast` extra), the library made for exactly this. Without it,
`get_num_threads` still answers (the BLAS default, from the environment or the CPU count) and
`set_num_threads` raises rather than ignore the request.

ember runs one op at a time, so there is no inter-op pool: `get_num_interop_threads()` is 1 and
`set_num_interop_threads` accepts 1 only. ember runs no threads of its own within an op either:
after a GEMM the BLAS pool's idle threads spin for a while, and a thread of ember's run then (two
halves of attention's per-head products on two threads) measured slower than one thread in a
training step (transformer, two threads: 45.5 -> 44.6 ms compiled, 49.5 -> 48.3 ms eager without it).

    >>> ember.set_num_threads(1)          # doctest: +SKIP  (needs the fast extra)
    >>> ember.get_num_threads()           # doctest: +SKIP
    1
"""
import os

from ember.errors import ArgumentError

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads", "get_num_interop_threads"]

_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_limits = {"controller": None}


def _controller():
    if _limits["controller"] is None:
        try:
            import threadpoolctl
        except ImportError:  # an optional extra: the request cannot be carried out without it
            return None
        _limits["controller"] = threadpoolctl.ThreadpoolController()
    return _limits["controller"]


def _count(op, n):
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ArgumentError(f"{op}: the number of threads must be a positive int, got {n!r}")
    return n


def set_num_threads(n):
    """Size the BLAS and OpenMP thread pools of this process to `n` threads."""
    n = _count("set_num_threads", n)
    controller = _controller()
    if controller is None:
        raise ArgumentError("set_num_threads: sizing NumPy's BLAS/OpenMP pools needs threadpoolctl: "
                            "pip install 'ember[fast]' (or set OMP_NUM_THREADS before starting Python)")
    controller.limit(limits=n)
    _limits["n"] = n


def get_num_threads():
    """The threads an op may use: the BLAS pool's size."""
    if "n" in _limits:
        return _limits["n"]
    controller = _controller()
    if controller is not None:
        sizes = [lib["num_threads"] for lib in controller.info() if lib.get("user_api") == "blas"]
        if sizes:
            return max(sizes)
    for name in _ENV:
        value = os.environ.get(name, "")
        if value.isdigit() and int(value) > 0:
            return int(value)
    return os.cpu_count() or 1


def get_num_interop_threads():
    """1: ember runs one op at a time (no inter-op pool)."""
    return 1


def set_num_interop_threads(n):
    """Only 1 is possible: ember runs one op at a time (no inter-op pool)."""
    if _count("set_num_interop_threads", n) != 1:
        raise ArgumentError(f"set_num_interop_threads: ember runs one op at a time (no inter-op thread pool); "
                            f"got {n}, only 1 is possible")
