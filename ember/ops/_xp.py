"""Array-module calls whose CuPy form differs from NumPy's; every op reaches them through here.

`ufunc_at(xp, "add", a, idx, v)` is `np.add.at(a, idx, v)` (repeated indices accumulate). CuPy has
`ufunc.at` only for some ufuncs and dtypes (`add`/`subtract`/`maximum`/`minimum` through CUDA
atomics; not `multiply`, and not every 16-bit or 64-bit integer type): where it has none, the update
runs on the host copy and is copied back, correct but slow, so it stays off the common paths
(embedding and indexing gradients use `add`).

    >>> import numpy as np
    >>> a = np.zeros(3); ufunc_at(np, "add", a, np.array([0, 0, 2]), 1.0); a
    array([2., 0., 1.])
"""
import numpy as np


def ufunc_at(xp, name, a, idx, v):
    """`getattr(xp, name).at(a, idx, v)` in place, with a host fallback on CuPy."""
    if xp is np:
        getattr(np, name).at(a, idx, v)
        return
    try:
        getattr(xp, name).at(a, idx, v)
        return
    except Exception:  # no device kernel for this ufunc/dtype (AttributeError, TypeError, a CUDA compile error)
        pass
    host = xp.asnumpy(a)
    getattr(np, name).at(host, _to_host(xp, idx), _to_host(xp, v))
    a[...] = xp.asarray(host)


def _to_host(xp, value):
    if isinstance(value, tuple):
        return tuple(_to_host(xp, v) for v in value)
    return xp.asnumpy(value) if isinstance(value, xp.ndarray) else value


def stable_argsort(xp, a, axis=-1):
    """A stable argsort: NumPy's needs kind="stable"; CuPy's is always stable and older CuPy has no
    `kind` argument at all."""
    if xp is np:
        return np.argsort(a, axis=axis, kind="stable")
    return xp.argsort(a, axis=axis)


def put_along_axis(xp, a, indices, values, axis):
    """`np.put_along_axis` (`a` written in place); CuPy before version 13 lacks it, so there the
    index grid is built with `ogrid` and written by fancy indexing (same result: no repeats along
    `axis` in the callers)."""
    if hasattr(xp, "put_along_axis"):
        xp.put_along_axis(a, indices, values, axis=axis)
        return
    grid = list(xp.ogrid[tuple(slice(n) for n in indices.shape)])
    grid[axis] = indices
    a[tuple(grid)] = values
