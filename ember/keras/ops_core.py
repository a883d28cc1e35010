"""`keras.ops`'s core and linear-algebra names: slices and scatters, dtypes, control flow (run
eagerly, as Keras's torch backend does outside `jit_compile`) and `keras.ops.linalg`.

    >>> from ember.keras import ops
    >>> ops.convert_to_numpy(ops.fori_loop(0, 4, lambda i, acc: acc + i, 0.0))
    array(6., dtype=float32)
"""
import builtins
import types

import numpy as np

import ember.ops.creation as C
from ember.autograd import Tensor
from ember.backend.dtypes import as_dtype
from ember.errors import ArgumentError
from ember.keras.ops_convert import TORCH, convert_to_numpy as _np, convert_to_tensor as _t, to_float as _float


__all__ = ["associative_scan", "cholesky", "cholesky_inverse", "cond", "det", "dtype", "fori_loop", "get_item",
           "inv", "is_tensor", "logdet", "lstsq", "map", "matrix_rank", "pinv", "qr", "saturate_cast", "scan",
           "scatter", "scatter_update", "slice", "slice_update", "slogdet", "solve", "solve_triangular", "svd",
           "switch", "vectorize", "vectorized_map", "view", "while_loop", "linalg"]

_span = builtins.slice


# -- tensors and dtypes ---------------------------------------------------------------------------
def is_tensor(x):
    return isinstance(x, Tensor)


def dtype(x):
    """The dtype's name, as Keras's `standardize_dtype` writes it ("float32", "int64", "bool")."""
    return str(_t(x).dtype).replace("ember.", "")


def saturate_cast(x, dtype):
    """`x` cast to `dtype`, clipped first to that dtype's range (no wrap-around)."""
    target = np.dtype(as_dtype(dtype).name if hasattr(as_dtype(dtype), "name") else str(dtype))
    t = _t(x)
    if np.issubdtype(target, np.integer):
        info = np.iinfo(target)
        t = t.clamp(float(info.min), float(info.max)) if t.dtype.is_floating_point else t.clamp(
            int(info.min), int(info.max))
    return t.to(as_dtype(dtype))


def view(x, dtype=None):
    """The same bytes read as `dtype` (no gradient)."""
    values = _np(x)
    return C.as_tensor(values.view(np.dtype(dtype)) if dtype is not None else values.copy())


# -- slices and scatters --------------------------------------------------------------------------
def get_item(x, key):
    return _t(x)[key]


def slice(inputs, start_indices, shape):
    """The block of `shape` starting at `start_indices`."""
    t = _t(inputs)
    return t[tuple(_span(int(s), int(s) + int(n)) for s, n in zip(_np(start_indices).tolist(), shape))]


def slice_update(inputs, start_indices, updates):
    """`inputs` with the block at `start_indices` replaced by `updates`."""
    t, u = _t(inputs), _t(updates)
    index = tuple(_span(int(s), int(s) + int(n)) for s, n in zip(_np(start_indices).tolist(), u.shape))
    return TORCH["index_put"](t, _block_indices(t, index), u.reshape(-1).to(t.dtype))


def _block_indices(t, index):
    grids = np.meshgrid(*[np.arange(t.shape[d])[s] for d, s in enumerate(index)], indexing="ij")
    return tuple(C.as_tensor(g.reshape(-1).astype(np.int64)) for g in grids)


def scatter(indices, values, shape):
    """A zero tensor of `shape` with `values` added at `indices` (N, k) (duplicates summed)."""
    idx = _np(indices).astype(np.int64)
    v = _t(values)
    out = C.zeros(*shape, dtype=v.dtype)
    return TORCH["index_put"](out, tuple(C.as_tensor(idx[:, i]) for i in range(idx.shape[1])), v, accumulate=True)


def scatter_update(inputs, indices, updates, reduction=None):
    """`inputs` with the entries (or slices) at `indices` (N, k) set to `updates`."""
    if reduction not in (None, "add"):
        raise ArgumentError(f"scatter_update: reduction={reduction!r} is not supported; use None or 'add'")
    idx = _np(indices).astype(np.int64)
    t = _t(inputs)
    return TORCH["index_put"](t, tuple(C.as_tensor(idx[:, i]) for i in range(idx.shape[1])),
                              _t(updates).to(t.dtype), accumulate=reduction == "add")


# -- control flow ---------------------------------------------------------------------------------
def cond(pred, true_fn, false_fn):
    return true_fn() if bool(_t(pred)) else false_fn()


def switch(index, branches, *operands):
    """`branches[index](*operands)`, the index clamped into range."""
    i = min(max(int(_t(index)), 0), len(branches) - 1)
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Repeats `loop_vars = body(*loop_vars)` while `cond(*loop_vars)`."""
    single = not isinstance(loop_vars, (list, tuple))
    state = (loop_vars,) if single else tuple(loop_vars)
    steps = 0
    while bool(_t(cond(*state))) and (maximum_iterations is None or steps < maximum_iterations):
        out = body(*state)
        state = (out,) if single else tuple(out)
        steps += 1
    return state[0] if single else type(loop_vars)(state) if isinstance(loop_vars, list) else state


def fori_loop(lower, upper, body_fun, init_val):
    value = init_val if isinstance(init_val, (Tensor, list, tuple, dict)) else _t(init_val)
    for i in range(int(lower), int(upper)):
        value = body_fun(i, value)
    return value


def map(f, xs):
    """`f` applied to each slice of `xs` along its first axis, the results stacked."""
    t = _t(xs)
    return TORCH["stack"]([_t(f(t[i])) for i in range(t.shape[0])], 0)


def vectorized_map(function, elements):
    if isinstance(elements, (list, tuple)):
        parts = [_t(e) for e in elements]
        return TORCH["stack"]([_t(function(type(elements)(p[i] for p in parts)))
                               for i in range(parts[0].shape[0])], 0)
    return map(function, elements)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """(final carry, stacked outputs) of `carry, y = f(carry, x)` over `xs` (or `length` steps)."""
    t = None if xs is None else _t(xs)
    n = t.shape[0] if t is not None else int(length)
    carry, ys = init, []
    for i in (reversed(range(n)) if reverse else range(n)):
        carry, y = f(carry, None if t is None else t[i])
        ys.append(_t(y))
    if reverse:
        ys.reverse()
    return carry, TORCH["stack"](ys, 0)


def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of `elems` along `axis` with the associative binary `f`."""
    t = TORCH["moveaxis"](_t(elems), axis, 0)
    order = range(t.shape[0] - 1, -1, -1) if reverse else range(t.shape[0])
    out, acc = [None] * t.shape[0], None
    for i in order:
        acc = t[i] if acc is None else _t(f(acc, t[i]))
        out[i] = acc
    return TORCH["moveaxis"](TORCH["stack"](out, 0), 0, axis)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """`pyfunc` applied along the first axis of its tensor arguments (elementwise for 1-d inputs)."""
    if signature is not None:
        raise ArgumentError("vectorize: signature= is not supported")

    def apply(*args):
        first = _t(args[0])
        if first.ndim == 0:
            return _t(pyfunc(*args))
        return TORCH["stack"]([apply(*[_t(a)[i] if hasattr(a, "shape") and np.ndim(_np(a)) else a
                                       for a in args]) for i in range(first.shape[0])], 0)
    return apply


# -- linear algebra -------------------------------------------------------------------------------
def inv(x):
    return TORCH["inverse"](_float(x))


def det(x):
    return TORCH["det"](_float(x))


def logdet(x):
    return TORCH["logdet"](_float(x))


def slogdet(x):
    sign, value = TORCH["slogdet"](_float(x))
    return sign, value


def cholesky(x, upper=False):
    return TORCH["cholesky"](_float(x), upper)


def cholesky_inverse(x, upper=False):
    """The inverse of A from its Cholesky factor."""
    f = _float(x)
    a = f.transpose(-1, -2) @ f if upper else f @ f.transpose(-1, -2)
    return TORCH["inverse"](a)


def solve(a, b):
    return TORCH["inverse"](_float(a)) @ _float(b)


def solve_triangular(a, b, lower=False):
    m = _float(a)
    return TORCH["inverse"](TORCH["tril"](m) if lower else TORCH["triu"](m)) @ _float(b)


def pinv(x, rcond=None):
    return TORCH["pinverse"](_float(x), 1e-15 if rcond is None else rcond)


def lstsq(a, b, rcond=None):
    """The least-squares solution of a @ x = b."""
    return pinv(a, rcond) @ _float(b)


def matrix_rank(x, tol=None):
    s = TORCH["svd"](_float(x), compute_uv=False)[1]
    cut = tol if tol is not None else s.amax(-1, keepdim=True) * max(_t(x).shape[-2:]) * np.finfo(np.float32).eps
    return (s > cut).sum(-1)


def qr(x, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ArgumentError(f"qr: mode must be 'reduced' or 'complete', got {mode!r}")
    return tuple(TORCH["qr"](_float(x), some=mode == "reduced"))


def svd(x, full_matrices=True, compute_uv=True):
    """(u, s, vh) as NumPy's svd; only `s` when not `compute_uv`."""
    u, s, v = TORCH["svd"](_float(x), some=not full_matrices, compute_uv=True)
    return (u, s, v.transpose(-1, -2)) if compute_uv else s


def norm(x, ord=None, axis=None, keepdims=False):
    """NumPy's `linalg.norm` for vectors (and the Frobenius norm over all values)."""
    t = _float(x)
    if axis is None:
        t, axis = t.reshape(-1), 0
    p = 2 if ord is None else ord
    return TORCH["norm"](t, p, axis, keepdims)


linalg = types.SimpleNamespace(**{n: globals()[n] for n in (
    "inv", "det", "logdet", "slogdet", "cholesky", "cholesky_inverse", "solve", "solve_triangular", "pinv",
    "lstsq", "matrix_rank", "qr", "svd", "norm")})
linalg.__doc__ = "Keras's `keras.ops.linalg` names (each also at `keras.ops` top level)."
