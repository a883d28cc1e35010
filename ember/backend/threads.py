"""How many threads the CPU kernels use: `set_num_threads` / `get_num_threads`, with PyTorch's
names. ember's CPU work runs in NumPy's BLAS (OpenBLAS, MKL) and OpenMP pools, sized through
`threadpoolctl` (the `fast` extra), the library made for exactly this. Without it,
`get_num_threads` still answers (the BLAS default, from the environment or the CPU count) and
`set_num_threads` raises rather than ignore the request.

ember runs one op at a time, so there is no inter-op pool: `get_num_interop_threads()` is 1 and
`set_num_interop_threads` accepts 1 only. Within an op, a kernel whose work splits into independent
parts (images of a batch) may run them on ember's own threads with `parallel`: each part on its
own thread, BLAS single-threaded meanwhile, so the threads share the cores where BLAS would use
them all for its GEMMs and leave the rest of the op on one. That needs OpenBLAS's idle threads to
sleep soon after a call ends: they spin for 2^28 cycles (~0.1 s) by default, on the core the second
part needs (a numba loop split in two after a GEMM: 51.5 ms either way; with the timeout at its
least, 2^4 cycles, 26.2 ms). `parallel` sets that timeout to 2^20 cycles (~0.4 ms) in each OpenBLAS
the process loaded, on first use, unless OPENBLAS_THREAD_TIMEOUT says otherwise, by restarting the
library's pool, which a thread inside a BLAS call at that moment would hang on: so only while the
caller is the process's only Python thread, and otherwise regions do not run. The timeout is short enough for
ember's parts (the benchmark cnn's step, two threads: 16-18 ms at 2^28, 11.2-11.8 at 2^20, 11.2-11.4
at 2^16), long enough that back-to-back small GEMMs find the threads awake (the cnn at batch 1:
212-216 us at 2^20 and at 2^28, 247-253 us at 2^16 and below, where every GEMM wakes them).

    >>> ember.set_num_threads(1)          # doctest: +SKIP  (needs the fast extra)
    >>> ember.get_num_threads()           # doctest: +SKIP
    1
"""
import os
import queue
import threading

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
    """The threads an op may use: the BLAS pool's size (read from OpenBLAS directly once `parallel`
    has found it: ~1 us, where threadpoolctl's report takes ~10; during a region, the size it
    restores after)."""
    if "n" in _limits:
        return _limits["n"]
    fns = _pool.get("blas")
    if fns:
        return max(_pool["counts"] or [get_count() for _, get_count in fns])
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


# --- ember's own threads -------------------------------------------------------------------------
_pool = {"workers": [], "counts": None}  # counts: the BLAS thread counts a running region restores
_region = threading.Lock()  # one region at a time: a caller that finds it taken runs its parts itself


def _forget_workers():
    """In a forked child the workers are gone (only the forking thread is copied), the lock may have
    been held by a thread that is not there, and a region running then had BLAS at one thread."""
    global _region
    _pool["workers"] = []
    _region = threading.Lock()
    counts, _pool["counts"] = _pool["counts"], None
    for (set_count, _), count in zip(_pool.get("blas") or (), counts or ()):
        set_count(count)


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_workers)


def _blas():
    """(set, get) thread-count functions of every OpenBLAS library loaded, their idle threads quieted
    (see the module docstring), or None where regions cannot run: another BLAS (MKL: no count to
    set), no threadpoolctl to find them, or the timeout could not be set safely. OpenBLAS's own
    functions are called, not threadpoolctl's limits: those take effect only from the first thread
    that set one, and a region may run on any thread."""
    if "blas" not in _pool:
        controller = _controller()
        libs = [] if controller is None else [lib for lib in controller.lib_controllers if lib.user_api == "blas"]
        fns = [_count_functions(lib.dynlib) for lib in libs if lib.internal_api == "openblas"]
        ok = libs and len(fns) == len(libs) and all(fns) and _quiet([lib.dynlib for lib in libs])
        _pool["blas"] = fns if ok else None
    return _pool["blas"]


def _count_functions(dynlib):
    for prefix in ("", "scipy_"):  # the symbol's affixes in OpenBLAS's builds (NumPy's and SciPy's wheels)
        for suffix in ("", "64_", "_64"):
            set_count = getattr(dynlib, f"{prefix}openblas_set_num_threads{suffix}", None)
            get_count = getattr(dynlib, f"{prefix}openblas_get_num_threads{suffix}", None)
            if set_count is not None and get_count is not None:
                return set_count, get_count
    return None


def _quiet(dynlibs):
    """Set OpenBLAS's thread timeout (module docstring) unless the environment set it when the
    library loaded. It takes restarting the library's pool, which a thread inside a BLAS call at that
    moment would hang on: done only while the calling thread is the process's only Python thread,
    else not at all (and ember runs no regions: spinning threads would make them slower)."""
    if "OPENBLAS_THREAD_TIMEOUT" in os.environ:
        return True
    if threading.active_count() != 1 or not all(hasattr(d, "openblas_read_env") and hasattr(d, "blas_thread_shutdown_")
                                                 for d in dynlibs):
        return False
    os.environ["OPENBLAS_THREAD_TIMEOUT"] = "20"
    try:
        for d in dynlibs:
            d.openblas_read_env()      # the library reads its settings again ...
            d.blas_thread_shutdown_()  # ... and its pool starts anew, with them, at the next call
    finally:
        del os.environ["OPENBLAS_THREAD_TIMEOUT"]
    return True


class _Worker(threading.Thread):
    def __init__(self):
        super().__init__(name="ember-worker", daemon=True)
        self.inbox, self.outbox = queue.SimpleQueue(), queue.SimpleQueue()
        self.start()

    def run(self):
        while True:
            work = self.inbox.get()
            try:
                done = (work[0], True, work[1](*work[2:]))
            except BaseException as e:  # handed to the caller, which raises it
                done = (work[0], False, e)
            work = None  # nothing of the part (its closure holds the op's arrays) outlives it here
            self.outbox.put(done)
            done = None


MIN_PART = 2 ** 16  # elements a part should touch at least: handing one to a thread costs ~40 us here


def part_size(per_item):
    """The fewest items of `per_item` elements that make a part worth a thread (`parallel`)."""
    return -(-MIN_PART // max(per_item, 1))


def parallel(body, n, min_part=1):
    """[body(lo, hi) for each part] over [0, n) split into up to `get_num_threads()` contiguous parts
    of at least `min_part` items, each run on its own thread (the caller runs the first), with every
    OpenBLAS single-threaded, process-wide, until all are done. The parts run at once: `body` must
    write disjoint memory. With one thread or one part, where regions cannot run (`_blas`), and while
    another region runs (another thread of the user's, or a part calling `parallel`), it is
    [body(0, n)] on the caller's thread."""
    most = n // max(min_part, 1)
    k = min(get_num_threads(), most) if most > 1 else 1  # (one part: not even the thread count is asked)
    libs = _blas() if k > 1 else None
    if not libs or not _region.acquire(blocking=False):
        return [body(0, n)]
    try:
        return _run(body, n, k, libs)
    finally:
        _region.release()


def _run(body, n, k, libs):
    bounds = [n * i // k for i in range(k + 1)]
    while len(_pool["workers"]) < k - 1:
        _pool["workers"].append(_Worker())
    token, given = object(), []
    _pool["counts"] = [get_count() for _, get_count in libs]
    for set_count, _ in libs:
        set_count(1)
    try:
        for w, lo, hi in zip(_pool["workers"], bounds[1:], bounds[2:]):
            w.inbox.put((token, body, lo, hi))
            given.append(w)
        results = [body(bounds[0], bounds[1])]
    finally:
        done, interrupted = _collect(given, token)  # every part given out has ended before anything else
        for (set_count, _), count in zip(libs, _pool["counts"]):
            set_count(count)
        _pool["counts"] = None
    if interrupted is not None:
        raise interrupted
    for ok, value in done:
        if not ok:
            raise value
        results.append(value)
    return results


def _collect(workers, token):
    """Each worker's (ok, result) for this region's token, waited for through any exception (an
    interrupt, returned to be raised once all are in: a result left behind would be taken for the
    next region's); results of an earlier, interrupted region are dropped."""
    done, interrupted = [], None
    for w in workers:
        while True:
            try:
                got = w.outbox.get()
            except BaseException as e:
                interrupted = interrupted or e
                continue
            if got[0] is token:
                done.append(got[1:])
                break
    return done, interrupted
