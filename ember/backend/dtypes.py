"""ember dtypes and PyTorch's type promotion.

A `DType` is a thin, hashable name for a NumPy dtype. Tensors store NumPy (or
CuPy) arrays; `dtype_of(array)` maps the array's dtype back to the ember one.

    >>> import ember
    >>> ember.float32.itemsize, ember.promote_types(ember.int32, ember.float16)
    (4, ember.float16)
"""
import numpy as np
import ml_dtypes

from ember.backend.shell_dtypes import ShellDType
from ember.errors import DTypeError


class DType:
    """An element type: `ember.float32`, `ember.int64`, `ember.bool`, ..."""

    __slots__ = ("name", "np", "itemsize", "is_floating_point", "is_signed", "kind", "_rank")

    def __init__(self, name, np_dtype, kind, rank):
        self.name = name
        self.np = np.dtype(np_dtype)
        self.itemsize = self.np.itemsize
        self.kind = kind  # "b" bool, "i" integer, "f" float: PyTorch's promotion categories
        self.is_floating_point = kind == "f"
        self.is_signed = kind == "f" or self.np.kind == "i"
        self._rank = rank  # order inside a category, for promotion

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        return (_by_name, (self.name,))


bool_ = DType("bool", np.bool_, "b", 0)
uint8 = DType("uint8", np.uint8, "i", 1)
int8 = DType("int8", np.int8, "i", 1)
int16 = DType("int16", np.int16, "i", 2)
int32 = DType("int32", np.int32, "i", 3)
int64 = DType("int64", np.int64, "i", 4)
float16 = DType("float16", np.float16, "f", 1)
bfloat16 = DType("bfloat16", ml_dtypes.bfloat16, "f", 1)
float32 = DType("float32", np.float32, "f", 2)
float64 = DType("float64", np.float64, "f", 3)
# PyTorch's "limited support" dtypes: they promote with nothing but themselves (the wide unsigned ints
# with floats, as in PyTorch); arithmetic runs in NumPy (ml_dtypes for float8), where PyTorch has few kernels
uint16 = DType("uint16", np.uint16, "i", 2)
uint32 = DType("uint32", np.uint32, "i", 3)
uint64 = DType("uint64", np.uint64, "i", 4)
float8_e4m3fn = DType("float8_e4m3fn", ml_dtypes.float8_e4m3fn, "f", 0)
float8_e4m3fnuz = DType("float8_e4m3fnuz", ml_dtypes.float8_e4m3fnuz, "f", 0)
float8_e5m2 = DType("float8_e5m2", ml_dtypes.float8_e5m2, "f", 0)
float8_e5m2fnuz = DType("float8_e5m2fnuz", ml_dtypes.float8_e5m2fnuz, "f", 0)
float8_e8m0fnu = DType("float8_e8m0fnu", ml_dtypes.float8_e8m0fnu, "f", 0)
float8_e8m0fnu.is_signed = False  # exponent bits only

WIDE_UNSIGNED = (uint16, uint32, uint64)
FLOAT8 = (float8_e4m3fn, float8_e4m3fnuz, float8_e5m2, float8_e5m2fnuz, float8_e8m0fnu)
ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64) + WIDE_UNSIGNED + FLOAT8
FLOATS = (float16, bfloat16, float32, float64)
INTS = (uint8, int8, int16, int32, int64)

_NP = {d.np: d for d in ALL}
_NAMES = {d.name: d for d in ALL}
_NAMES.update({"float": float32, "double": float64, "half": float16, "long": int64,
               "int": int32, "short": int16, "bool": bool_})

_default_float = [float32]


def _by_name(name):
    return _NAMES[name]


def get_default_dtype():
    """The float dtype that Python floats and `ember.tensor([1.5])` become."""
    return _default_float[0]


def set_default_dtype(dtype):
    dtype = as_dtype(dtype)
    if not dtype.is_floating_point:
        raise DTypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_float[0] = dtype


def dtype_of(array):
    """The ember dtype of a NumPy/CuPy array."""
    try:
        return _NP[array.dtype]
    except KeyError:
        raise DTypeError(f"arrays of dtype {array.dtype} are not supported by ember; "
                         f"supported: {', '.join(d.name for d in ALL)}") from None


def as_dtype(d, op=None):
    """Accept an ember dtype, a NumPy dtype, a Python type or a name; `op` names the caller in errors."""
    if isinstance(d, DType):
        return d
    if isinstance(d, ShellDType):
        raise d.refuse(op)
    if d is float:  # Python's float is a double: float64, as in PyTorch
        return float64
    if d is int:
        return int64
    if d is bool:
        return bool_
    if isinstance(d, str):
        if d in _NAMES:
            return _NAMES[d]
    elif isinstance(d, (np.dtype, type)):
        try:
            return _NP[np.dtype(d)]
        except (TypeError, KeyError):
            pass
    where = f"{op}: " if op else ""
    shown = repr(d)[:40] if isinstance(d, (str, np.dtype, type)) else f"a {type(d).__name__}"
    raise DTypeError(f"{where}unknown dtype={shown}; expected one of {', '.join(d.name for d in ALL)}")


def _pair(a, b):
    if a is b:
        return a
    if a in _LONE or b in _LONE:
        return _lone_pair(a, b)
    if a.kind != b.kind:
        return a if _CAT[a.kind] > _CAT[b.kind] else b
    if a.kind == "f":
        if a._rank == b._rank:  # float16 with bfloat16
            return float32
        return a if a._rank > b._rank else b
    if a.kind == "i":
        if uint8 in (a, b):  # uint8 with a signed type
            other = b if a is uint8 else a
            return int16 if other is int8 else other
        return a if a._rank > b._rank else b
    return a


_LONE = frozenset(WIDE_UNSIGNED + FLOAT8)


def _lone_pair(a, b):
    """PyTorch promotes uint16/32/64 only with floating dtypes (to the float), float8 with nothing."""
    for wide, other in ((a, b), (b, a)):
        if wide in WIDE_UNSIGNED and other.kind == "f" and other not in FLOAT8:
            return other
    kind = "Float8 types" if a in FLOAT8 or b in FLOAT8 else "uint16, uint32, uint64 types"
    raise DTypeError(f"promotion for {kind} is not supported: {a} with {b}; cast one of them first (.to(dtype))")


# Casts PyTorch rounds differently from a plain NumPy/ml_dtypes cast: float8_e4m3fn saturates at its
# largest finite value (NaN stays NaN); float8_e8m0fnu keeps the exponent of |x|, and zero becomes 2**-127
_E4M3_MAX = 448.0


def _to_e4m3fn(xp, x):
    return xp.clip(x.astype(np.float32), -_E4M3_MAX, _E4M3_MAX)


def _to_e8m0(xp, x):
    x = xp.abs(x.astype(np.float32))
    return xp.where(x == 0, np.float32(2.0 ** -127), x)


_ML_FLOATS = frozenset(d.np for d in FLOAT8 + (bfloat16,))
_CAST_FIRST = {float8_e4m3fn.np: _to_e4m3fn, float8_e8m0fnu.np: _to_e8m0}


def cast(xp, x, np_dtype):
    """`x.astype(np_dtype)`, rounding as PyTorch does where it differs (see _CAST_FIRST)."""
    np_dtype = np.dtype(np_dtype)
    if x.dtype == np_dtype:
        return x.astype(np_dtype)
    if x.dtype in _ML_FLOATS and np_dtype in _ML_FLOATS:
        x = x.astype(np.float32)  # ml_dtypes lacks some casts between its own types: float32 holds them exactly
    first = _CAST_FIRST.get(np_dtype)
    if first is not None and x.dtype.kind not in "b":
        x = first(xp, x)
    return x.astype(np_dtype)


def promote_types(a, b):
    """PyTorch's `promote_types` for two dtypes (no scalars involved)."""
    return _pair(as_dtype(a), as_dtype(b))


def scalar_kind(x):
    """The promotion category of a Python scalar: 'b', 'i' or 'f' (None if not a scalar)."""
    t = type(x)
    if t is bool or t is np.bool_:
        return "b"
    if t is int or isinstance(x, np.integer):
        return "i"
    if t is float or isinstance(x, np.floating):
        return "f"
    return None


def result_type(*operands):
    """PyTorch's result type of tensors (given as arrays) and Python scalars.

    NumPy scalars (`np.float64(1.5)`) count as Python scalars, as in PyTorch.

    Tensors of one or more dimensions win over zero-dim tensors, which win over
    Python scalars, unless a lower group has a higher category (bool < int <
    float): then that category's default applies (int64, the default float).
    """
    dims = zeros = None
    scalar = None
    for x in operands:
        if hasattr(x, "dtype") and hasattr(x, "ndim") and not isinstance(x, np.generic):
            d = dtype_of(x)
            if x.ndim:
                dims = d if dims is None else _pair(dims, d)
            else:
                zeros = d if zeros is None else _pair(zeros, d)
        else:
            k = scalar_kind(x)
            if k is None:
                raise DTypeError(f"cannot use {type(x).__name__} {x!r} as a tensor operand")
            if scalar is None or _CAT[k] > _CAT[scalar]:
                scalar = k
    result = dims
    if zeros is not None and (result is None or _CAT[zeros.kind] > _CAT[result.kind]):
        result = zeros
    if scalar is not None and (result is None or _CAT[scalar] > _CAT[result.kind]):
        result = {"b": bool_, "i": int64, "f": _default_float[0]}[scalar]
    return result


_CAT = {"b": 0, "i": 1, "f": 2}


def float_type(d):
    """The dtype a float-valued op (sqrt, mean, true division) gives for input dtype `d`."""
    return d if d.is_floating_point else _default_float[0]
