"""`keras.ops`'s NumPy-style names beyond the common core, mapped onto ember's PyTorch-named ops.

Most are one line in a table (`UNARY_FLOAT`, `UNARY`, `BINARY_FLOAT`, `BINARY`: Keras name -> ember
op); the rest translate NumPy's arguments (`axis`, `keepdims`, `indices_or_sections`, `q` in [0, 1])
into PyTorch's.

    >>> from ember.keras import ops
    >>> ops.convert_to_numpy(ops.hstack([np.ones(2), np.zeros(1)]))
    array([1., 1., 0.])
    >>> ops.convert_to_numpy(ops.nanmean(np.array([1.0, np.nan, 3.0])))
    array(2.)
"""
import numpy as np

import ember.ops.creation as C
from ember.backend.dtypes import as_dtype
from ember.errors import ArgumentError
from ember.keras.ops_convert import TORCH, convert_to_tensor as _t, to_float as _float

__all__ = ["allclose", "angle", "append", "arccos", "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh",
           "argpartition", "array", "array_split", "bartlett", "bitwise_and", "bitwise_invert",
           "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor", "blackman",
           "cbrt", "cdist", "conj", "conjugate", "copy", "corrcoef", "cosh", "count_nonzero", "cross", "deg2rad",
           "diag", "diagflat", "diagonal", "diff", "digitize", "divide_no_nan", "dsplit", "dstack", "empty",
           "empty_like", "erfc", "erfinv", "exp2", "fabs", "fliplr", "flipud", "fmax", "fmin", "fmod", "gcd",
           "geomspace", "hamming", "hanning", "heaviside", "hsplit", "hstack", "hypot", "i0", "imag", "inner",
           "isclose", "isin", "isneginf", "isposinf", "isreal", "kaiser", "kron", "lcm", "ldexp", "left_shift",
           "log10", "logaddexp", "logaddexp2", "logspace", "meshgrid", "nan_to_num", "nextafter", "nonzero",
           "outer", "rad2deg", "ravel", "real", "right_shift", "roll", "rot90", "searchsorted", "select", "signbit",
           "sinc", "sinh", "tensordot", "trace", "tri", "tril", "triu", "trunc", "unique", "unravel_index",
           "unstack", "vander", "vdot", "vsplit", "vstack", "pad"]

# Keras name -> ember op, applied to float values (integers become float32, as Keras's floatx)
UNARY_FLOAT = {"arccos": "arccos", "arccosh": "arccosh", "arcsin": "arcsin", "arcsinh": "arcsinh", "arctan": "arctan",
               "arctanh": "arctanh", "cosh": "cosh", "sinh": "sinh", "log10": "log10", "exp2": "exp2", "erfc": "erfc",
               "erfinv": "erfinv", "i0": "i0", "sinc": "sinc", "deg2rad": "deg2rad", "rad2deg": "rad2deg"}
# Keras name -> ember op, on values of any dtype
UNARY = {"fabs": "abs", "trunc": "trunc", "signbit": "signbit", "isneginf": "isneginf", "isposinf": "isposinf",
         "isreal": "isreal", "real": "real", "imag": "imag", "conj": "conj", "conjugate": "conj", "angle": "angle",
         "ravel": "ravel", "copy": "clone", "fliplr": "fliplr", "flipud": "flipud", "bitwise_not": "bitwise_not",
         "bitwise_invert": "bitwise_not", "corrcoef": "corrcoef"}
BINARY_FLOAT = {"arctan2": "arctan2", "hypot": "hypot", "logaddexp": "logaddexp", "logaddexp2": "logaddexp2",
                "nextafter": "nextafter"}
BINARY = {"fmax": "fmax", "fmin": "fmin", "fmod": "fmod", "gcd": "gcd", "lcm": "lcm", "heaviside": "heaviside",
          "ldexp": "ldexp", "bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
          "bitwise_left_shift": "bitwise_left_shift", "bitwise_right_shift": "bitwise_right_shift",
          "left_shift": "bitwise_left_shift", "right_shift": "bitwise_right_shift", "kron": "kron", "outer": "outer",
          "inner": "inner", "vdot": "vdot", "cdist": "cdist"}
WINDOWS = {"bartlett": "bartlett_window", "blackman": "blackman_window", "hamming": "hamming_window",
           "hanning": "hann_window"}


def _unary(keras_name, op, floats):
    def apply(x):
        return op(_float(x) if floats else _t(x))
    apply.__name__ = apply.__qualname__ = keras_name
    apply.__doc__ = f"Elementwise `{keras_name}` (ember's `{op.__name__}`)."
    return apply


def _pair(x1, x2, floats):
    a, b = _t(x1), _t(x2)
    if floats:
        a, b = _float(a), _float(b)
    return a, b


def _binary(keras_name, op, floats):
    def apply(x1, x2):
        return op(*_pair(x1, x2, floats))
    apply.__name__ = apply.__qualname__ = keras_name
    apply.__doc__ = f"`{keras_name}` of two tensors, broadcast (ember's `{op.__name__}`)."
    return apply


def _window(keras_name, op):
    def apply(x):
        return op(int(x), periodic=False)  # NumPy's windows are the symmetric ones
    apply.__name__ = apply.__qualname__ = keras_name
    apply.__doc__ = f"NumPy's symmetric `{keras_name}` window of `x` points."
    return apply


TABLE = {**{k: _unary(k, TORCH[v], True) for k, v in UNARY_FLOAT.items()},
         **{k: _unary(k, TORCH[v], False) for k, v in UNARY.items()},
         **{k: _binary(k, TORCH[v], True) for k, v in BINARY_FLOAT.items()},
         **{k: _binary(k, TORCH[v], False) for k, v in BINARY.items()},
         **{k: _window(k, TORCH[v]) for k, v in WINDOWS.items()}}
globals().update(TABLE)


def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def _dims(t, axis):
    return tuple(range(t.ndim)) if axis is None else tuple(a % t.ndim for a in (axis if isinstance(
        axis, (list, tuple)) else (axis,)))


# -- elementwise ----------------------------------------------------------------------------------
def cbrt(x):
    """The real cube root (negative for negative values)."""
    t = _float(x)
    return t.sign() * t.abs() ** (1.0 / 3.0)


def divide_no_nan(x1, x2):
    """`x1 / x2`, 0 where `x2` is 0."""
    a, b = _pair(x1, x2, True)
    zero = b == 0
    return TORCH["where"](zero, C.zeros_like(a / TORCH["where"](zero, C.ones_like(b), b)),
                          a / TORCH["where"](zero, C.ones_like(b), b))


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    return TORCH["nan_to_num"](_t(x), nan, posinf, neginf)


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return TORCH["isclose"](*_pair(x1, x2, False), rtol=rtol, atol=atol, equal_nan=equal_nan)


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return isclose(x1, x2, rtol, atol, equal_nan).all()


def isin(x1, x2, assume_unique=False, invert=False):
    return TORCH["isin"](_t(x1), _t(x2), assume_unique=assume_unique, invert=invert)


def tensordot(x1, x2, axes=2):
    return TORCH["tensordot"](_t(x1), _t(x2), dims=axes)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors along the last axis (or `axis`)."""
    if axis is None and (axisa, axisb, axisc) != (-1, -1, -1):
        raise ArgumentError("cross: axisa/axisb/axisc other than -1 are not supported; use axis=")
    return TORCH["cross"](*_pair(x1, x2, False), dim=-1 if axis is None else axis)


def count_nonzero(x, axis=None):
    t = _t(x)
    return (t != 0).sum(_dims(t, axis)) if axis is not None else (t != 0).sum()


# -- creation -------------------------------------------------------------------------------------
def array(x, dtype=None):
    return _t(x, dtype)


def empty(shape, dtype=None):
    """A tensor of `shape` (zeros: ember never hands out uninitialized memory)."""
    return C.zeros(*((shape,) if isinstance(shape, int) else tuple(shape)),
                   dtype=None if dtype is None else as_dtype(dtype))


def empty_like(x, dtype=None):
    t = _t(x)
    return C.zeros(*t.shape, dtype=as_dtype(dtype) if dtype else t.dtype)


def tri(N, M=None, k=0, dtype=None):
    return C.as_tensor(np.tri(N, M, k, dtype=np.dtype(dtype or "float32")))


def _spaced(values, dtype):
    return C.as_tensor(np.asarray(values, dtype=np.dtype(dtype) if dtype else np.float32))


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return _spaced(np.logspace(start, stop, num, endpoint, base, axis=axis), dtype)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return _spaced(np.geomspace(start, stop, num, endpoint, axis=axis), dtype)


def kaiser(x, beta):
    return TORCH["kaiser_window"](int(x), periodic=False, beta=float(beta))


def meshgrid(*x, indexing="xy"):
    return list(TORCH["meshgrid"](*[_t(v) for v in x], indexing=indexing))


def tril(x, k=0):
    return TORCH["tril"](_t(x), k)


def triu(x, k=0):
    return TORCH["triu"](_t(x), k)


def vander(x, N=None, increasing=False):
    return TORCH["vander"](_t(x), N, increasing)


# -- joining and splitting ------------------------------------------------------------------------
def append(x1, x2, axis=None):
    a, b = _t(x1), _t(x2)
    if axis is None:
        return TORCH["cat"]([a.reshape(-1), b.reshape(-1)], 0)
    return TORCH["cat"]([a, b], axis)


def hstack(xs):
    return TORCH["hstack"]([_t(x) for x in xs])


def vstack(xs):
    return TORCH["vstack"]([_t(x) for x in xs])


def dstack(xs):
    return TORCH["dstack"]([_t(x) for x in xs])


def array_split(x, indices_or_sections, axis=0):
    return list(TORCH["tensor_split"](_t(x), indices_or_sections, axis))


def _even_split(name, x, indices_or_sections):
    t = _t(x)
    if isinstance(indices_or_sections, int):
        axis = {"hsplit": 1 if t.ndim > 1 else 0, "vsplit": 0, "dsplit": 2}[name]
        if t.shape[axis] % indices_or_sections:
            raise ArgumentError(f"{name}: axis {axis} of size {t.shape[axis]} does not divide into "
                                f"{indices_or_sections} equal parts")
    return list(TORCH[name](t, indices_or_sections))


def hsplit(x, indices_or_sections):
    return _even_split("hsplit", x, indices_or_sections)


def vsplit(x, indices_or_sections):
    return _even_split("vsplit", x, indices_or_sections)


def dsplit(x, indices_or_sections):
    return _even_split("dsplit", x, indices_or_sections)


def unstack(x, num=None, axis=0):
    t = _t(x)
    if num is not None and num != t.shape[axis]:
        raise ArgumentError(f"unstack: num={num} but axis {axis} of shape {tuple(t.shape)} has {t.shape[axis]}")
    return list(TORCH["unbind"](t, axis))


# -- reordering -----------------------------------------------------------------------------------
def roll(x, shift, axis=None):
    t = _t(x)
    if axis is None:
        return TORCH["roll"](t.reshape(-1), shift, 0).reshape(tuple(t.shape))
    return TORCH["roll"](t, shift, axis)


def rot90(array, k=1, axes=(0, 1)):
    return TORCH["rot90"](_t(array), k, tuple(axes))


def diag(x, k=0):
    return TORCH["diag"](_t(x), k)


def diagflat(x, k=0):
    return TORCH["diagflat"](_t(x), k)


def diagonal(x, offset=0, axis1=0, axis2=1):
    return TORCH["diagonal"](_t(x), offset, axis1, axis2)


def trace(x, offset=0, axis1=0, axis2=1):
    return diagonal(x, offset, axis1, axis2).sum(-1)


def diff(a, n=1, axis=-1):
    return TORCH["diff"](_t(a), n, axis)


def searchsorted(sorted_sequence, values, side="left"):
    return TORCH["searchsorted"](_t(sorted_sequence), _t(values), side=side)


def digitize(x, bins):
    """NumPy's digitize: i such that bins[i-1] <= x < bins[i]."""
    return TORCH["bucketize"](_t(x), _t(bins), right=True)


def argpartition(x, kth, axis=-1):
    """Indices that partition `x` around its `kth` smallest value along `axis` (a stable sort's order)."""
    return TORCH["argsort"](_t(x), axis, stable=True)


def nonzero(x):
    """The indices of the non-zero values, one row per axis: (ndim, count), as Keras's torch backend."""
    return TORCH["nonzero"](_t(x)).transpose(0, 1)


def unravel_index(indices, shape):
    return tuple(TORCH["unravel_index"](_t(indices), tuple(shape)))


def select(condlist, choicelist, default=0):
    """NumPy's select: per element, the choice of the first true condition, else `default`."""
    out = C.full_like(_t(choicelist[-1]), default) if not hasattr(default, "shape") else _t(default)
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        out = TORCH["where"](_t(cond).bool(), _t(choice), out)
    return out


def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False, axis=None, size=None,
           fill_value=None):
    """The distinct values (sorted), with the inverse indices and counts on request."""
    if return_index or size is not None:
        raise ArgumentError("unique: return_index and size are not supported")
    t = _t(x)
    out = TORCH["unique"](t if axis is not None else t.reshape(-1), sorted=True, return_inverse=return_inverse,
                          return_counts=return_counts, dim=axis)
    if return_inverse and axis is None and isinstance(out, tuple):
        out = (out[0], out[1].reshape(tuple(t.shape))) + tuple(out[2:])
    return out


PAD_MODES = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}


def pad(x, pad_width, mode="constant", constant_values=None):
    """NumPy's pad: `pad_width` an int, a (before, after) pair, or one pair per axis; modes "constant"
    (with `constant_values`), "reflect", "edge" and "wrap"."""
    t = _t(x)
    if mode not in PAD_MODES:
        raise ArgumentError(f"pad: mode must be one of {', '.join(PAD_MODES)}, got {mode!r}")
    if constant_values is not None and mode != "constant":
        raise ArgumentError(f"pad: constant_values is only for mode='constant', got mode={mode!r}")
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64).reshape(-1, 2) if np.ndim(pad_width) else
                             np.full((1, 2), int(pad_width)), (t.ndim, 2))
    flat = tuple(int(v) for pair in widths[::-1] for v in pair)  # PyTorch's order: the last dim first
    while len(flat) > 2 and flat[-2:] == (0, 0):  # leading dims without padding need not be named
        flat = flat[:-2]
    return TORCH["pad"](t, flat, PAD_MODES[mode], constant_values if mode == "constant" else None)
