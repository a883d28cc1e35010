"""Import table, elementwise and reduction part: ONNX op type -> `fn(inputs, attrs)` computing it
with ember ops (so an imported graph trains and compiles like ember code).

    >>> MATH_OPS["Relu"]([ember.tensor([-1.0, 2.0])], Attrs({}, "Relu", 1))
    tensor([0., 2.])
"""
import numpy as np

from ember.backend import dtypes
from ember.nn import functional as F
from ember.ops import activation, binary, creation, extreme, join, reduce, scan, softmax, unary
from ember.ops import einsum as einsum_ops, linalg
from ember.onnx._proto import EMBER_DTYPE
from ember.onnx.op_util import Attrs, axis, ints, refuse, tensor_of, tensors  # noqa: F401 (Attrs: doctest)


def _unary(fn):
    return lambda x, a: fn(tensor_of(x[0]))


def _binary(fn):
    return lambda x, a: fn(*tensors(x[:2]))


def _variadic(fn):
    def run(x, a):
        xs = tensors(x)
        out = xs[0]
        for y in xs[1:]:
            out = fn(out, y)
        return out
    return run


def div(x, a):
    p, q = tensors(x[:2])
    if not p.is_floating_point():  # ONNX's integer division truncates toward zero
        return binary.div(p, q, rounding_mode="trunc").to(p.dtype)
    return p / q


def mod(x, a):
    p, q = tensors(x[:2])
    if int(a.get("fmod", 0)):   # C's fmod: the sign of the dividend
        return p - binary.div(p, q, rounding_mode="trunc") * q
    return binary.remainder(p, q)


def power(x, a):
    p, q = tensors(x[:2])
    out = p ** q.to(p.dtype) if p.is_floating_point() or not q.is_floating_point() else (p.to(q.dtype) ** q)
    return out.to(p.dtype)


def clip(x, a):
    v = tensor_of(x[0])
    lo = x[1] if len(x) > 1 else a.get("min")
    hi = x[2] if len(x) > 2 else a.get("max")
    if lo is not None:
        v = binary.maximum(v, tensor_of(lo, v).to(v.dtype))
    if hi is not None:
        v = binary.minimum(v, tensor_of(hi, v).to(v.dtype))
    return v


def _alpha(fn, default):
    return lambda x, a: fn(tensor_of(x[0]), float(a.get("alpha", default)))


def selu(x, a):
    v = tensor_of(x[0])
    alpha, gamma = float(a.get("alpha", 1.67326319217681884765625)), float(a.get("gamma", 1.05070102214813232421875))
    return gamma * binary.where(v > 0, v, alpha * (v.exp() - 1))


def hard_sigmoid(x, a):
    v = tensor_of(x[0])
    return unary.clamp(v * float(a.get("alpha", 0.2)) + float(a.get("beta", 0.5)), 0.0, 1.0)


def shrink(x, a):
    v = tensor_of(x[0])
    bias, lambd = float(a.get("bias", 0.0)), float(a.get("lambd", 0.5))
    zero = v * 0
    return binary.where(v < -lambd, v + bias, binary.where(v > lambd, v - bias, zero)).to(v.dtype)


def thresholded_relu(x, a):
    v = tensor_of(x[0])
    return binary.where(v > float(a.get("alpha", 1.0)), v, v * 0)


def is_inf(x, a):
    v = tensor_of(x[0])
    pos, neg = int(a.get("detect_positive", 1)), int(a.get("detect_negative", 1))
    return binary.logical_and(v.isinf(), (v > 0) if pos and not neg else (v < 0) if neg and not pos else
                              v.isinf() if pos and neg else v != v)


def gelu(x, a):
    return F.gelu(tensor_of(x[0]), approximate=a.get("approximate", "none"))


def _softmax(fn):
    def run(x, a):
        v = tensor_of(x[0])
        return fn(v, dim=axis(a, v, default=-1))
    return run


def hardmax(x, a):
    v = tensor_of(x[0])
    d = axis(a, v, default=-1)
    return F.one_hot(v.argmax(d), v.shape[d]).to(v.dtype).movedim(-1, d)


def cast(x, a):
    v = x[0]
    to = int(a["to"])
    if to not in EMBER_DTYPE:
        refuse(a, f"cast to ONNX data type {to}")
    dt = getattr(dtypes, "bool_" if EMBER_DTYPE[to] == "bool" else EMBER_DTYPE[to])
    if isinstance(v, np.ndarray):
        return v.astype(dt.np)
    return v.to(dt)


def cast_like(x, a):
    target = x[1].dtype if not isinstance(x[1], np.ndarray) else dtypes.as_dtype(x[1].dtype.name)
    return tensor_of(x[0]).to(target)


# --- reductions ----------------------------------------------------------------------------------

def _axes(x, a):
    """The reduced axes: the second input (opset 13/18 on) or the `axes` attribute; None means all,
    unless noop_with_empty_axes, where no axes means the identity."""
    axes = ints(x[1]) if len(x) > 1 and x[1] is not None else (list(a["axes"]) if "axes" in a else None)
    if not axes:
        return "noop" if int(a.get("noop_with_empty_axes", 0)) else None
    return tuple(axes)


def _reduction(fn, pre=None, post=None):
    def run(x, a):
        v = tensor_of(x[0])
        axes = _axes(x, a)
        if axes == "noop":
            return v if pre is None else pre(v)
        keep = bool(int(a.get("keepdims", 1)))
        dims = tuple(range(v.ndim)) if axes is None else tuple(d % max(v.ndim, 1) for d in axes)
        y = fn(v if pre is None else pre(v), dims, keep)
        return y if post is None else post(y)
    return run


def _extreme(fn, identity):
    def run(v, dims, keep):
        if any(v.shape[d] == 0 for d in dims):  # ONNX: the reduction of nothing is the identity (-inf for max)
            shape = [1 if i in dims else n for i, n in enumerate(v.shape) if keep or i not in dims]
            fill = bool(identity > 0) if v.dtype == dtypes.bool_ else identity
            return creation.full(shape, fill, dtype=v.dtype)
        if v.dtype == dtypes.bool_:
            return fn(v.to(dtypes.int32), dims, keep).to(v.dtype)
        return fn(v, dims, keep)
    return run


def _prod(v, dims, keep):
    for d in sorted(dims, reverse=True):
        v = scan.prod(v, d, keepdim=keep)
    return v


def _arg(fn):
    def run(x, a):
        v = tensor_of(x[0])
        d = axis(a, v)
        keep = bool(int(a.get("keepdims", 1)))
        if int(a.get("select_last_index", 0)):  # the last extreme: search the flipped tensor
            n = v.shape[d]
            return (n - 1) - fn(v.flip([d]), d, keepdim=keep)
        return fn(v, d, keepdim=keep)
    return run


def cumsum(x, a):
    v = tensor_of(x[0])
    d = int(np.asarray(ints(x[1])[0])) % max(v.ndim, 1)
    if int(a.get("reverse", 0)):
        v = v.flip([d])
    y = scan.cumsum(v, d).to(v.dtype)   # ember sums small integers in int64; ONNX keeps the input's type
    if int(a.get("exclusive", 0)):
        y = y - v
    return y.flip([d]) if int(a.get("reverse", 0)) else y


def cumprod(x, a):
    v = tensor_of(x[0])
    d = int(ints(x[1])[0]) % max(v.ndim, 1)
    if int(a.get("reverse", 0)):
        v = v.flip([d])
    if int(a.get("exclusive", 0)):  # shift by one, starting from 1
        ones = v.narrow(d, 0, 1) * 0 + 1
        v = join.cat([ones, v.narrow(d, 0, v.shape[d] - 1)], d) if v.shape[d] else v
    y = scan.cumprod(v, d).to(v.dtype)
    return y.flip([d]) if int(a.get("reverse", 0)) else y


def einsum(x, a):
    return einsum_ops.einsum(a["equation"].replace(" ", ""), *tensors(x))


def gemm(x, a):
    p, q = tensors(x[:2])
    if int(a.get("transA", 0)):
        p = p.T
    if int(a.get("transB", 0)):
        q = q.T
    y = (p @ q) * float(a.get("alpha", 1.0))
    if len(x) > 2 and x[2] is not None:
        y = y + tensor_of(x[2], y) * float(a.get("beta", 1.0))
    return y


MATH_OPS = {
    "Abs": _unary(unary.abs), "Neg": _unary(unary.neg), "Exp": _unary(unary.exp), "Log": _unary(unary.log),
    "Sqrt": _unary(unary.sqrt), "Reciprocal": _unary(unary.reciprocal), "Sin": _unary(unary.sin),
    "Cos": _unary(unary.cos), "Tan": _unary(unary.tan), "Tanh": _unary(unary.tanh), "Sigmoid": _unary(unary.sigmoid),
    "Relu": _unary(unary.relu), "Erf": _unary(unary.erf), "Floor": _unary(unary.floor), "Ceil": _unary(unary.ceil),
    "Round": _unary(unary.round), "Sign": _unary(unary.sign), "Not": _unary(binary.logical_not),
    "IsNaN": _unary(lambda v: v.isnan()), "IsInf": is_inf, "Identity": lambda x, a: x[0],
    "Sinh": _unary(lambda v: (v.exp() - (-v).exp()) * 0.5), "Cosh": _unary(lambda v: (v.exp() + (-v).exp()) * 0.5),
    "Asinh": _unary(lambda v: (v + (v * v + 1).sqrt()).log()),
    "Acosh": _unary(lambda v: (v + (v * v - 1).sqrt()).log()),
    "Atanh": _unary(lambda v: ((1 + v) / (1 - v)).log() * 0.5),
    "Softplus": _unary(lambda v: F.softplus(v)), "Softsign": _unary(lambda v: v / (1 + v.abs())),
    "HardSigmoid": hard_sigmoid, "HardSwish": _unary(activation.hardswish), "Mish": _unary(activation.mish),
    "LeakyRelu": _alpha(F.leaky_relu, 0.01), "Elu": _alpha(F.elu, 1.0), "Celu": _alpha(F.celu, 1.0), "Selu": selu,
    "ThresholdedRelu": thresholded_relu, "Gelu": gelu, "Shrink": shrink, "Clip": clip,
    "PRelu": lambda x, a: binary.where(tensor_of(x[0]) >= 0, tensor_of(x[0]), tensor_of(x[0]) * tensor_of(x[1])),
    "Add": _binary(binary.add), "Sub": _binary(binary.sub), "Mul": _binary(binary.mul), "Div": div, "Pow": power,
    "Mod": mod, "Max": _variadic(binary.maximum), "Min": _variadic(binary.minimum), "Sum": _variadic(binary.add),
    "Mean": lambda x, a: _variadic(binary.add)(x, a) / len(x),
    "Equal": _binary(binary.eq), "Less": _binary(binary.lt), "LessOrEqual": _binary(binary.le),
    "Greater": _binary(binary.gt), "GreaterOrEqual": _binary(binary.ge), "And": _binary(binary.logical_and),
    "Or": _binary(binary.logical_or), "Xor": _binary(binary.logical_xor),
    "BitwiseAnd": _binary(binary.bitwise_and), "BitwiseOr": _binary(binary.bitwise_or),
    "BitwiseXor": _binary(binary.bitwise_xor), "BitwiseNot": _unary(binary.bitwise_not),
    "Where": lambda x, a: binary.where(*tensors(x[:3])),
    "Softmax": _softmax(softmax.softmax), "LogSoftmax": _softmax(softmax.log_softmax), "Hardmax": hardmax,
    "Cast": cast, "CastLike": cast_like, "MatMul": _binary(linalg.matmul), "Gemm": gemm, "Einsum": einsum,
    "ReduceSum": _reduction(lambda v, d, k: reduce.sum(v, d, keepdim=k)),
    "ReduceMean": _reduction(lambda v, d, k: reduce.mean(v, d, keepdim=k)),
    "ReduceMax": _reduction(_extreme(lambda v, d, k: extreme.amax(v, d, keepdim=k), float("-inf"))),
    "ReduceMin": _reduction(_extreme(lambda v, d, k: extreme.amin(v, d, keepdim=k), float("inf"))),
    "ReduceProd": _reduction(_prod),
    "ReduceL1": _reduction(lambda v, d, k: reduce.sum(v, d, keepdim=k), pre=unary.abs),
    "ReduceL2": _reduction(lambda v, d, k: reduce.sum(v, d, keepdim=k), pre=lambda v: v * v, post=unary.sqrt),
    "ReduceSumSquare": _reduction(lambda v, d, k: reduce.sum(v, d, keepdim=k), pre=lambda v: v * v),
    "ReduceLogSum": _reduction(lambda v, d, k: reduce.sum(v, d, keepdim=k), post=unary.log),
    "ReduceLogSumExp": _reduction(lambda v, d, k: reduce.logsumexp(v, d, keepdim=k)),
    "ArgMax": _arg(extreme.argmax), "ArgMin": _arg(extreme.argmin), "CumSum": cumsum, "CumProd": cumprod,
    "Swish": lambda x, a: tensor_of(x[0]) * unary.sigmoid(tensor_of(x[0]) * float(a.get("alpha", 1.0))),
}
