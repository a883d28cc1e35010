"""How many threads the CPU kernels use: `set_num_threads` / `get_num_threads`, with PyTorch's
names. ember's CPU work runs in NumPy's BLAS (OpenBLAS, MKL) and OpenMP pools, sized through
`threadpoolctl` (the `fast` extra), the library made for exactly this. Without it,
`get_num_threads` still answers (the BLAS default, from the environment or the CPU count) and
`set_num_threads` raises rather than ignore the request.

ember runs one op at a time, so there is no inter-op pool: `get_num_interop_threads()` is 1 and
`set_num_interop_threads` accepts 1 only. Within an op, `split_batch` runs two independent halves
of the work on two threads when more than one thread is allowed: for ops made of many small BLAS
calls, which the BLAS pool itself runs on one thread each (attention's per-head products).

    >>> ember.set_num_threads(1)          # doctest: +SKIP  (needs the fast extra)
    >>> ember.get_num_threads()           # doctest: +SKIP
    1
"""
import os
import threading

from ember.errors import ArgumentError

__all__ = ["set_num_threads", "get_num_threads", "set_num_interop_threads", "get_num_interop_threads"]

_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
_limits = {"controller": None}
_pool = {"executor": None, "lock": threading.Lock()}
_local = threading.local()  # .helper: True on the pool's thread (its work never splits again)
# a forked child (DataLoader workers) has no copy of the pool's thread: it makes its own pool
os.register_at_fork(after_in_child=lambda: _pool.update(executor=None, lock=threading.Lock()))


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


def _executor():
    with _pool["lock"]:
        if _pool["executor"] is None:
            from concurrent.futures import ThreadPoolExecutor  # loaded with the first split, not with ember
            _pool["executor"] = ThreadPoolExecutor(1, "ember-split", initializer=setattr,
                                                   initargs=(_local, "helper", True))
        return _pool["executor"]


def split_batch(n, fn):
    """Run `fn(lo, hi)` over the range [0, n): as fn(0, n // 2) here and fn(n // 2, n) on a helper
    thread at once when more than one thread is allowed (`get_num_threads`), else as fn(0, n). The
    halves must be independent (write disjoint slices) and release the GIL in their heavy calls
    (NumPy's BLAS and ufuncs, numba's nogil kernels); the results are the same either way.

        >>> out = [0] * 4
        >>> split_batch(4, lambda lo, hi: out.__setitem__(slice(lo, hi), range(lo, hi)))
        >>> out
        [0, 1, 2, 3]
    """
    if n < 2 or getattr(_local, "helper", False) or get_num_threads() < 2:
        fn(0, n)
        return
    half = n // 2
    try:
        other = _executor().submit(fn, half, n)
    except RuntimeError:  # the interpreter is shutting down: no new threads
        fn(0, n)
        return
    try:
        fn(0, half)
    finally:
        other.result()  # waits even when this half raised; raises the helper's error
