"""Small helpers the op families share: dtype promotion on raw arrays, constants."""
import numpy as np

from ember.backend import dtypes
from ember.autograd.tensor import Tensor, _wrap
from ember.autograd.checks import broadcast_shapes
from ember.errors import ArgumentError, DTypeError


def operands(op, a, b):
    """The two operands of a broadcasting binary op, checked and promoted (see `promote`)."""
    try:  # the common case first: two arrays of one dtype
        if a.dtype == b.dtype:
            if a.shape != b.shape:
                broadcast_shapes(op, a.shape, b.shape)
            return a, b
    except AttributeError:
        pass
    sa, sb = getattr(a, "shape", ()), getattr(b, "shape", ())
    if sa != sb:
        broadcast_shapes(op, sa, sb)
    int_in_range(op, a, b)
    return promote(a, b)


def fits(op, arr, scalar):
    """A Python int with an integer array must fit the array's dtype: PyTorch wraps it around, ember
    refuses (README, "Deliberate differences from PyTorch")."""
    if type(scalar) is int and getattr(arr, "dtype", None) is not None and arr.dtype.kind in "iu":
        info = np.iinfo(arr.dtype)
        if not info.min <= scalar <= info.max:
            shown = scalar if abs(scalar) < 10**30 else f"<int of {scalar.bit_length()} bits>"
            raise ArgumentError(f"{op}: a tensor of dtype {dtypes.dtype_of(arr)} cannot hold the Python int {shown} "
                                f"(its range is [{info.min}, {info.max}])")


# Where PyTorch rounds a wrapped number to a float16/bfloat16 tensor's dtype first (TensorIterator's common
# dtype): a scalar first (`torch.mul(7e4, half)` is inf), and add/sub's scalar in either place. Only the
# second operand of mul/div/floor_divide/remainder/pow and div's first keep their precision (its CPU kernels
# read them as they are: `half * 7e4` is finite where the product is).
ROUNDED_FIRST = {"add", "sub", "mul", "floor_divide", "remainder", "pow"}
ROUNDED_SECOND = {"add", "sub"}


def arith(op, a, b, fn):
    """`fn(a, b)` of an arithmetic op, with PyTorch's rule for a Python scalar (a "wrapped number"):
    it keeps its own precision where PyTorch's does (ROUNDED_FIRST/ROUNDED_SECOND say where not). A
    float16/bfloat16 array with a scalar is computed in float32 and rounded once (`half * 1e-8` is not
    `half * 0`)."""
    sa, sb = _python_scalar(a), _python_scalar(b)
    if (sa is None) != (sb is None):  # one array, one scalar
        arr, scalar = (b, sa) if sa is not None else (a, sb)
        wide = _wide(arr, scalar)
        if wide is not None:
            if (op in ROUNDED_FIRST) if sa is not None else (op in ROUNDED_SECOND):
                with np.errstate(over="ignore"):
                    scalar = float(arr.dtype.type(scalar))
            w = arr.astype(wide)
            out = fn(scalar, w) if sa is not None else fn(w, scalar)
            return out.astype(arr.dtype) if out.dtype.kind == w.dtype.kind else out
        a, b = (scalar, b) if sa is not None else (a, scalar)
    a, b = operands(op, a, b)
    return fn(a, b)


def _python_scalar(x):
    if isinstance(x, np.generic):
        return x.item()
    return x if type(x) in (int, float, bool) else None


def _wide(arr, scalar):
    """The dtype to compute `arr` with `scalar` in, when it is not `arr`'s own (else None)."""
    d = getattr(arr, "dtype", None)
    if d is None or type(scalar) is bool:
        return None
    if d.itemsize == 2 and (d.kind == "f" or d == dtypes.bfloat16.np):
        return dtypes.float32.np
    return None  # an integer outside the array's dtype is refused by NumPy (PyTorch wraps it; see README)


def promote(a, b):
    """Two operands (arrays or Python scalars) cast to PyTorch's result dtype.

    Python scalars stay scalars (NumPy keeps the array's dtype for them) unless
    both operands are scalars.
    """
    ha = hasattr(a, "dtype") and hasattr(a, "shape")
    hb = hasattr(b, "dtype") and hasattr(b, "shape")
    if ha and hb and a.dtype == b.dtype:
        return a, b
    if isinstance(a, np.generic):
        a, ha = a.item(), False  # NumPy scalars promote like Python scalars, as in PyTorch
    if isinstance(b, np.generic):
        b, hb = b.item(), False
    dt = dtypes.result_type(a, b).np
    if ha:
        if a.dtype != dt:
            a = a.astype(dt)
    if hb:
        if b.dtype != dt:
            b = b.astype(dt)
    if not (ha or hb):
        a = np.asarray(a, dt)
    elif dt == dtypes.bfloat16.np:  # NumPy would lift bfloat16 with a Python float to float32; a NumPy
        a, b = (a if ha else dt.type(a)), (b if hb else dt.type(b))  # scalar (not array) suits CuPy too
    return a, b


def int_in_range(op, a, b):
    """A Python int compared with an integer array (`lt`, `eq`, `isin`, ...) must fit its dtype.
    PyTorch wraps it first (`int32_tensor < -10**18` is True); NumPy compares exactly. Both are
    surprising, so it is an error, as for arithmetic (README, "Deliberate differences from PyTorch")."""
    fits(op, a, b)
    fits(op, b, a)


def float_arrays(a, b):
    """The operands of a float-valued binary op (true division, atan2, copysign) whose result type
    is an integer or bool: each array cast straight to the default float, as PyTorch casts every
    input to the computation dtype. Going through the integer result type first would wrap an int32
    -1 into a uint8 255. Other operands are returned as they are."""
    if dtypes.result_type(a, b).is_floating_point:
        return a, b
    dt = dtypes.float_type(dtypes.result_type(a, b)).np
    return tuple(x.astype(dt) if hasattr(x, "dtype") and hasattr(x, "shape") and not isinstance(x, np.generic)
                 else x for x in (a, b))


def common(*xs, to_float=False):
    """The tensors among `xs` cast to PyTorch's result dtype of all of them, and that dtype (a float
    one with `to_float`, as float-valued ops such as xlogy or hypot give). Python scalars pass
    through. Composites call it first: a broadcast or a log of one operand would otherwise change
    how it promotes (a 0-d tensor counts like a scalar only while it is 0-d).

        >>> (a, b), dt = common(ember.ones(2, dtype=ember.float16), ember.tensor(2.0, dtype=ember.float64))
        >>> dt
        ember.float16
    """
    dt = dtypes.result_type(*[data(x) for x in xs])
    if to_float:
        dt = dtypes.float_type(dt)
    return [x.to(dt) if isinstance(x, Tensor) and x.dtype is not dt else x for x in xs], dt


def opmath(dt):
    """The dtype to compute `dt` in: float32 for float16/bfloat16 (PyTorch computes them in float32
    and rounds once at the end), else `dt` itself."""
    return dtypes.float32 if dt in (dtypes.float16, dtypes.bfloat16) else dt


def floating(x):
    """`x`, or `x` cast to the default float dtype when it is an integer or bool array."""
    if x.dtype.kind in "biu":
        return x.astype(dtypes.get_default_dtype().np)
    return x


def need_float(op, x):
    if x.dtype.kind in "biu":
        raise DTypeError(f"{op}: expected a floating point tensor, got {dtypes.dtype_of(x)}")


def data(x):
    """The array of a tensor; anything else as it is."""
    return x._data if isinstance(x, Tensor) else x


def const(array, like):
    """A constant tensor (outside the graph) on `like`'s device, for use in a backward."""
    xp = like._device.xp
    return _wrap(array if type(array) is xp.ndarray else xp.asarray(array), like._device)


def as_tensor_arg(x, like):
    """A Python scalar or array argument as a tensor on `like`'s device."""
    if isinstance(x, Tensor):
        return x
    return Tensor(x, device=like._device)


def int_divisor(op, a, b):
    """PyTorch refuses an integer division by zero ("ZeroDivisionError"); NumPy would give 0."""
    kinds = getattr(a, "dtype", np.dtype(type(a))).kind + getattr(b, "dtype", np.dtype(type(b))).kind
    if set(kinds) <= set("biu") and bool((b == 0).any() if hasattr(b, "shape") else b == 0):
        raise ArgumentError(f"{op}: integer division by zero")
