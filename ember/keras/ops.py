"""`keras.ops`: the common subset of Keras 3's ops namespace, on ember ops.

Keras's names and arguments (`axis`, `keepdims`, `axes`, NumPy semantics for `repeat`, `take`,
`split`, `transpose`); every op accepts ember tensors, NumPy arrays and Python numbers and returns
an ember tensor (differentiable where the ember op is). Python floats become float32 tensors.

    >>> from ember.keras import ops
    >>> ops.sum(ops.square(np.array([[1.0, 2.0], [3.0, 4.0]])), axis=1)
    tensor([ 5., 25.], dtype=ember.float64)
    >>> ops.convert_to_numpy(ops.one_hot([0, 2], 3))
    array([[1., 0., 0.],
           [0., 0., 1.]], dtype=float32)
"""
import builtins
import math

import numpy as np

import ember.ops.binary as B
import ember.ops.creation as C
import ember.ops.unary as U
from ember.autograd import Tensor
from ember.backend.dtypes import as_dtype
from ember.errors import ArgumentError
from ember.keras.layers.base import OPS, OpLayer, is_symbolic
from ember.keras import ops_core as _ops_core, ops_nn as _ops_nn, ops_numpy as _ops_numpy, ops_stats as _ops_stats
from ember.keras.ops_convert import convert_to_numpy, convert_to_tensor, operand, to_float
from ember.nn import functional as F
from ember.ops import einsum as _einsum, extreme, join, linalg as _linalg, mask, reduce, scan as _scan, shape as S
from ember.ops import softmax as SM
from ember.ops import sort as _sorting

__all__ = [
    "convert_to_tensor", "convert_to_numpy", "cast", "shape", "ndim", "size", "stop_gradient",
    "zeros", "ones", "zeros_like", "ones_like", "full", "full_like", "arange", "linspace", "eye", "identity",
    "add", "subtract", "multiply", "divide", "true_divide", "floor_divide", "mod", "power", "maximum", "minimum",
    "matmul", "dot", "einsum", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "negative", "abs", "absolute", "square", "sqrt",
    "rsqrt", "exp", "expm1", "log", "log1p", "log2", "sin", "cos", "tan", "tanh", "sign", "floor", "ceil", "round",
    "reciprocal", "erf", "isnan", "isinf", "isfinite", "clip", "where",
    "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "std", "var", "all", "any",
    "cumsum", "cumprod", "logsumexp", "norm", "normalize",
    "relu", "relu6", "sigmoid", "softmax", "log_softmax", "softplus", "silu", "swish", "gelu", "elu", "selu",
    "leaky_relu", "log_sigmoid", "one_hot",
    "reshape", "transpose", "expand_dims", "squeeze", "concatenate", "stack", "split", "tile", "repeat", "flip",
    "broadcast_to", "moveaxis", "swapaxes", "take", "take_along_axis", "sort", "argsort", "top_k",
]


# -- conversion -----------------------------------------------------------------------------------
_t, _float, _other = convert_to_tensor, to_float, operand


def cast(x, dtype):
    """`x` converted to `dtype` (a name such as "float32", a NumPy or an ember dtype)."""
    return _t(x).to(as_dtype(dtype))


def shape(x):
    """The shape as a tuple of ints."""
    return tuple(_t(x).shape)


def ndim(x):
    return _t(x).ndim


def size(x):
    return _t(x).numel()


def stop_gradient(x):
    return _t(x).detach()


# -- creation -------------------------------------------------------------------------------------
def _shape(s):
    return (s,) if isinstance(s, int) else tuple(s)


def zeros(shape, dtype=None):
    return C.zeros(*_shape(shape), dtype=None if dtype is None else as_dtype(dtype))


def ones(shape, dtype=None):
    return C.ones(*_shape(shape), dtype=None if dtype is None else as_dtype(dtype))


def full(shape, fill_value, dtype=None):
    return C.full(_shape(shape), fill_value, dtype=None if dtype is None else as_dtype(dtype))


def zeros_like(x, dtype=None):
    return zeros(shape(x), dtype or _t(x).dtype)


def ones_like(x, dtype=None):
    return ones(shape(x), dtype or _t(x).dtype)


def full_like(x, fill_value, dtype=None):
    return full(shape(x), fill_value, dtype or _t(x).dtype)


def arange(start, stop=None, step=1, dtype=None):
    return C.arange(start, stop, step, dtype=None if dtype is None else as_dtype(dtype))


def linspace(start, stop, num=50, dtype=None):
    return C.linspace(start, stop, num, dtype=None if dtype is None else as_dtype(dtype))


def eye(N, M=None, dtype=None):
    return C.eye(N, M, dtype=None if dtype is None else as_dtype(dtype))


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


# -- elementwise ----------------------------------------------------------------------------------
def _binary(op):
    def apply(x1, x2):
        if not isinstance(x1, Tensor) and isinstance(x2, Tensor):
            return op(_other(x1), x2) if not isinstance(x1, (bool, int, float)) else op(C.full_like(x2, x1), x2)
        return op(_t(x1), _other(x2))
    apply.__name__ = op.__name__
    apply.__doc__ = f"Elementwise `{op.__name__}` with broadcasting."
    return apply


add, subtract, multiply, divide = _binary(B.add), _binary(B.sub), _binary(B.mul), _binary(B.div)
true_divide, floor_divide, mod, power = divide, _binary(B.floor_divide), _binary(B.remainder), _binary(B.pow)
maximum, minimum = _binary(B.maximum), _binary(B.minimum)
equal, not_equal, greater, greater_equal = _binary(B.eq), _binary(B.ne), _binary(B.gt), _binary(B.ge)
less, less_equal = _binary(B.lt), _binary(B.le)
logical_and, logical_or, logical_xor = _binary(B.logical_and), _binary(B.logical_or), _binary(B.logical_xor)


def matmul(x1, x2):
    return _linalg.matmul(_t(x1), _t(x2))


def dot(x1, x2):
    """NumPy's `dot`: a product for scalars, `matmul` otherwise (contracting x1's last axis)."""
    a, b = _t(x1), _t(x2)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return _linalg.tensordot(a, b, dims=([a.ndim - 1], [builtins.max(b.ndim - 2, 0)]))


def einsum(subscripts, *operands):
    return _einsum.einsum(subscripts, *[_t(x) for x in operands])


def _unary(op, floats=False):
    def apply(x):
        return op(_float(x) if floats else _t(x))
    apply.__name__ = op.__name__
    apply.__doc__ = f"Elementwise `{op.__name__}`."
    return apply


negative, abs, square, sign = _unary(U.neg), _unary(U.abs), _unary(U.square), _unary(U.sign)
absolute = abs
sqrt, rsqrt, exp, expm1 = _unary(U.sqrt, True), _unary(U.rsqrt, True), _unary(U.exp, True), _unary(U.expm1, True)
log, log1p, log2 = _unary(U.log, True), _unary(U.log1p, True), _unary(U.log2, True)
sin, cos, tan, tanh = _unary(U.sin, True), _unary(U.cos, True), _unary(U.tan, True), _unary(U.tanh, True)
floor, ceil, round = _unary(U.floor), _unary(U.ceil), _unary(U.round)
reciprocal, erf = _unary(U.reciprocal, True), _unary(U.erf, True)
isnan, isinf, isfinite = _unary(B.isnan), _unary(B.isinf), _unary(B.isfinite)
logical_not = _unary(B.logical_not)


def clip(x, x_min, x_max):
    return U.clamp(_t(x), x_min, x_max)


def where(condition, x1=None, x2=None):
    """Elementwise `x1 if condition else x2`; with only `condition`, the indices of its true values."""
    cond = _t(condition)
    if x1 is None and x2 is None:
        return tuple(C.as_tensor(i) for i in np.nonzero(convert_to_numpy(cond)))
    if x1 is None or x2 is None:
        raise ArgumentError("where: give both x1 and x2, or neither")
    if not isinstance(x1, Tensor) and not isinstance(x2, Tensor):
        x1 = _t(x1)
    return B.where(cond.bool(), _other(x1), _other(x2))


# -- reductions -----------------------------------------------------------------------------------
def _axis(axis):
    return tuple(axis) if isinstance(axis, (list, tuple)) else axis


def sum(x, axis=None, keepdims=False):
    return reduce.sum(_t(x), _axis(axis), keepdims)


def mean(x, axis=None, keepdims=False):
    return reduce.mean(_float(x), _axis(axis), keepdims)


def prod(x, axis=None, keepdims=False, dtype=None):
    t = _t(x)
    if isinstance(axis, (list, tuple)):
        for a in sorted((a % t.ndim for a in axis), reverse=True):
            t = _scan.prod(t, a, keepdims)
        return t
    return _scan.prod(t, axis, keepdims) if axis is not None else _scan.prod(t.reshape(-1), 0, False).reshape(
        (1,) * t.ndim if keepdims else ())


def max(x, axis=None, keepdims=False, initial=None):
    t = _t(x)
    out = extreme.amax(t, () if axis is None else _axis(axis), keepdims)
    return out if initial is None else B.maximum(out, initial)


def min(x, axis=None, keepdims=False, initial=None):
    t = _t(x)
    out = extreme.amin(t, () if axis is None else _axis(axis), keepdims)
    return out if initial is None else B.minimum(out, initial)


amax, amin = max, min


def argmax(x, axis=None, keepdims=False):
    return extreme.argmax(_t(x), axis, keepdims)


def argmin(x, axis=None, keepdims=False):
    return extreme.argmin(_t(x), axis, keepdims)


def std(x, axis=None, keepdims=False):
    """The population standard deviation (NumPy's default, `ddof=0`)."""
    return reduce.std(_float(x), _axis(axis), keepdim=keepdims, correction=0)


def var(x, axis=None, keepdims=False):
    """The population variance (`ddof=0`)."""
    return reduce.var(_float(x), _axis(axis), keepdim=keepdims, correction=0)


def all(x, axis=None, keepdims=False):
    return reduce.all(_t(x), axis, keepdims)


def any(x, axis=None, keepdims=False):
    return reduce.any(_t(x), axis, keepdims)


def cumsum(x, axis=None):
    t = _t(x)
    return _scan.cumsum(t.reshape(-1), 0) if axis is None else _scan.cumsum(t, axis)


def cumprod(x, axis=None):
    t = _t(x)
    return _scan.cumprod(t.reshape(-1), 0) if axis is None else _scan.cumprod(t, axis)


def logsumexp(x, axis=None, keepdims=False):
    t = _float(x)
    if axis is None:
        return reduce.logsumexp(t.reshape(-1), 0).reshape((1,) * t.ndim if keepdims else ())
    return reduce.logsumexp(t, _axis(axis), keepdims)


def norm(x, ord=None, axis=None, keepdims=False):
    """The vector 2-norm (or `ord`-norm) over `axis`; over all values (Frobenius) with `axis=None`."""
    t = _float(x)
    if axis is None:
        t, axis = t.reshape(-1), 0
    p = 2 if ord is None else (math.inf if ord in ("inf", np.inf) else ord)
    return reduce.norm(t, p, _axis(axis), keepdims)


def normalize(x, axis=-1, order=2, epsilon=None):
    """`x / max(norm(x, order, axis), epsilon)` (epsilon 1e-7 by default)."""
    t = _float(x)
    return t / B.maximum(norm(t, order, axis, keepdims=True), 1e-7 if epsilon is None else epsilon)


# -- activations ----------------------------------------------------------------------------------
def relu(x):
    return U.relu(_t(x))


def relu6(x):
    return U.clamp(_t(x), 0.0, 6.0)


def sigmoid(x):
    return U.sigmoid(_float(x))


def softmax(x, axis=-1):
    return SM.softmax(_float(x), axis)


def log_softmax(x, axis=-1):
    return SM.log_softmax(_float(x), axis)


def softplus(x):
    return F.softplus(_float(x))


def silu(x):
    return F.silu(_float(x))


swish = silu


def gelu(x, approximate=True):
    """GELU; Keras's default is the tanh approximation."""
    return F.gelu(_float(x), approximate="tanh" if approximate else "none")


def elu(x, alpha=1.0):
    return F.elu(_float(x), alpha)


def selu(x):
    return F.selu(_float(x))


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(_float(x), negative_slope)


def log_sigmoid(x):
    return F.logsigmoid(_float(x))


def one_hot(x, num_classes, axis=-1, dtype=None):
    """One-hot rows (float32 by default) for integer labels, the classes along `axis`."""
    out = mask.one_hot(_t(x).long(), num_classes).to(as_dtype(dtype or "float32"))
    return out if axis == -1 else S.moveaxis(out, -1, axis)


# -- shapes ---------------------------------------------------------------------------------------
def reshape(x, newshape):
    return _t(x).reshape(_shape(newshape))


def transpose(x, axes=None):
    """Permute the axes; reversed by default, as NumPy."""
    t = _t(x)
    return t.permute(*(tuple(axes) if axes is not None else range(t.ndim - 1, -1, -1)))


def expand_dims(x, axis):
    t = _t(x)
    axes = axis if isinstance(axis, (list, tuple)) else (axis,)
    rank = t.ndim + len(axes)
    for a in sorted(a % rank for a in axes):
        t = t.unsqueeze(a)
    return t


def squeeze(x, axis=None):
    t = _t(x)
    if axis is None:
        return t.squeeze()
    for a in sorted((a % t.ndim for a in (axis if isinstance(axis, (list, tuple)) else (axis,))), reverse=True):
        if t.shape[a] != 1:
            raise ArgumentError(f"squeeze: axis {a} of a tensor of shape {tuple(t.shape)} has size {t.shape[a]}, "
                                "not 1")
        t = t.squeeze(a)
    return t


def concatenate(xs, axis=0):
    return join.cat([_t(x) for x in xs], axis)


def stack(x, axis=0):
    return join.stack([_t(v) for v in x], axis)


def split(x, indices_or_sections, axis=0):
    """NumPy's split: an int gives that many equal parts, a list gives the indices to cut at."""
    t = _t(x)
    n = t.shape[axis]
    if isinstance(indices_or_sections, int):
        if n % indices_or_sections:
            raise ArgumentError(f"split: axis {axis} of size {n} does not divide into {indices_or_sections} "
                                "equal parts")
        return list(join.split(t, n // indices_or_sections, axis))
    cuts = [0] + [int(i) for i in indices_or_sections] + [n]
    return list(join.split(t, [b - a for a, b in zip(cuts, cuts[1:])], axis))


def tile(x, repeats):
    t = _t(x)
    reps = _shape(repeats)
    reps = (1,) * (t.ndim - len(reps)) + reps
    return t.reshape((1,) * (len(reps) - t.ndim) + tuple(t.shape)).tile(reps)


def _index_select(t, index, axis):
    return t.index_select(axis, C.as_tensor(np.asarray(index, dtype=np.int64)))


def repeat(x, repeats, axis=None):
    """NumPy's repeat: each element (along `axis`, or of the flattened tensor) `repeats` times."""
    t = _t(x)
    if axis is None:
        t, axis = t.reshape(-1), 0
    return _index_select(t, np.repeat(np.arange(t.shape[axis]), repeats), axis)


def flip(x, axis=None):
    t = _t(x)
    axes = range(t.ndim) if axis is None else (axis if isinstance(axis, (list, tuple)) else (axis,))
    return t.flip(tuple(axes))


def broadcast_to(x, shape):
    return S.broadcast_to(_t(x), _shape(shape))


def moveaxis(x, source, destination):
    return S.moveaxis(_t(x), source, destination)


def swapaxes(x, axis1, axis2):
    return S.swapaxes(_t(x), axis1, axis2)


def take(x, indices, axis=None):
    """NumPy's take: the values at `indices` along `axis` (of the flattened tensor by default)."""
    t = _t(x)
    if axis is None:
        t, axis = t.reshape(-1), 0
    index = np.asarray(convert_to_numpy(indices), dtype=np.int64)
    axis = axis % t.ndim
    out = _index_select(t, index.reshape(-1) % t.shape[axis], axis)
    return out.reshape(tuple(t.shape[:axis]) + index.shape + tuple(t.shape[axis + 1:]))


def take_along_axis(x, indices, axis=None):
    t = _t(x)
    return t.reshape(-1).gather(0, _t(indices).long().reshape(-1)) if axis is None else \
        t.gather(axis, _t(indices).long())


def sort(x, axis=-1):
    return _sorting.sort(_t(x), axis)[0]


def argsort(x, axis=-1):
    return _sorting.argsort(_t(x), axis, stable=True)


def top_k(x, k, sorted=True):
    """The `k` largest values along the last axis and their indices."""
    values, indices = _sorting.topk(_t(x), k, -1, True, sorted)
    return values, indices


# -- the rest of Keras's ops: NumPy-style, statistics, neural-network, core and linear algebra -------
for _module in (_ops_numpy, _ops_stats, _ops_nn, _ops_core):
    globals().update({_name: getattr(_module, _name) for _name in _module.__all__})
    __all__ += _module.__all__


# --- symbolic tensors ----------------------------------------------------------------------------
def _symbolic(name, fn):
    """`fn` that, called on `keras.Input`s or layer outputs, adds an op layer to the functional model."""
    def op(*args, **kwargs):
        if is_symbolic((args, kwargs)):
            return OpLayer(f"ops.{name}")(*args, **kwargs)
        return fn(*args, **kwargs)
    op.__name__, op.__qualname__, op.__doc__, op.__wrapped__ = fn.__name__, fn.__qualname__, fn.__doc__, fn
    return op


for _name in __all__:
    _fn = globals()[_name]
    if callable(_fn) and not isinstance(_fn, type):
        OPS[f"ops.{_name}"] = _fn
        globals()[_name] = _symbolic(_name, _fn)
