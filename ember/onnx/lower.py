"""The export table: primitive name -> lowering function (STYLE 16). A lowering is
`fn(e, node) -> [ONNX name per output]`, `e` the Emitter, `node` the IR call node; an output
with no ONNX counterpart is None. Primitives not in `LOWERINGS` are refused by export, naming
the primitive and the module that called it.

    >>> "ember.ops.unary.Relu" in LOWERINGS
    True
"""
import math

import numpy as np

from ember.graph.codegen import Sym
from ember.onnx._proto import ONNX_DTYPE, OnnxError
from ember.onnx.lower_nn import NN_LOWERINGS
from ember.onnx.lower_shape import SHAPE_LOWERINGS

P = "ember.ops."


def _dt(node, i=0):
    return node.outputs[i].dtype


def _x(e, node):
    return e.name(node.args[0])


def _simple(op_type, **fixed):
    """A one-input primitive that is one ONNX op."""
    return lambda e, node: [e.op(op_type, [_x(e, node)], **fixed)]


def _chain(build):
    """A one-input primitive built from several ONNX ops: build(e, x_name, dtype) -> name."""
    return lambda e, node: [build(e, _x(e, node), _dt(node))]


def _c(e, value, dt):
    return e.const(np.asarray(value, dtype=np.dtype(dt)))


def _piecewise(op_type):
    """floor/ceil/round/sign: the identity on integers, as ember's forward."""
    def lower(e, node):
        x = _x(e, node)
        return [x if np.dtype(_dt(node)).kind in "biu" else e.op(op_type, [x])]
    return lower


def _binary(op_type, compare=False):
    """Broadcasting binary op: operands cast to one dtype (the output's, or for comparisons the
    promoted input dtype), literals made constants of that dtype."""
    def lower(e, node):
        a, b = node.args[:2]
        if compare:
            da, db = e.dtype(a), e.dtype(b)
            dt = np.result_type(*(np.dtype(d) for d in (da, db) if d)).name if (da or db) else "float32"
        else:
            dt = _dt(node)
        names = [e.cast(e.name(v, dt), e.dtype(v), dt) for v in (a, b)]
        return [e.op(op_type, names)]
    return lower


def _negated(lower):
    return lambda e, node: [e.op("Not", lower(e, node))]


def _bitwise(int_op, bool_op):
    """Bitwise ops: ONNX's Bitwise* on integers, its logical ops on bools."""
    def lower(e, node):
        names = [e.name(a, _dt(node)) for a in node.args]
        return [e.op(bool_op if _dt(node) == "bool" else int_op, names)]
    return lower


def count_nonzero(e, node):
    x = _x(e, node)
    ones = e.op("Cast", [e.op("Not", [e.op("Equal", [x, _c(e, 0, e.dtype(node.args[0]))])])], to=ONNX_DTYPE["int64"])
    dim = node.attrs.get("dim")
    axes = [] if dim is None else [e.ints(dim if isinstance(dim, (tuple, list)) else [dim])]
    return [e.op("ReduceSum", [ones] + axes, keepdims=0)]


def where(e, node):
    cond, a, b = node.args[:3]
    dt = _dt(node)
    return [e.op("Where", [e.name(cond)] + [e.cast(e.name(v, dt), e.dtype(v), dt) for v in (a, b)])]


def masked_fill(e, node):
    x, mask, value = node.args[:3]
    dt = _dt(node)
    return [e.op("Where", [e.name(mask), e.cast(e.name(value, dt), e.dtype(value), dt), e.name(x)])]


def remainder(e, node):
    """Python's modulo (the sign of the divisor): Mod(fmod=0) on integers, a - floor(a/b)*b on floats."""
    a, b = (e.cast(e.name(v, _dt(node)), e.dtype(v), _dt(node)) for v in node.args[:2])
    if np.dtype(_dt(node)).kind in "iu":
        return [e.op("Mod", [a, b])]
    return [e.op("Sub", [a, e.op("Mul", [e.op("Floor", [e.op("Div", [a, b])]), b])])]


def floor_divide(e, node):
    a, b = (e.cast(e.name(v, _dt(node)), e.dtype(v), _dt(node)) for v in node.args[:2])
    if np.dtype(_dt(node)).kind in "iu":
        raise OnnxError("onnx export: floor_divide on integer tensors has no exact ONNX lowering "
                        "(ONNX's Div truncates toward zero)")
    return [e.op("Floor", [e.op("Div", [a, b])])]


def clamp(e, node):
    x, dt = _x(e, node), _dt(node)
    lo, hi = node.attrs.get("min"), node.attrs.get("max")
    return [e.op("Clip", [x, e.name(lo, dt) if lo is not None else "", e.name(hi, dt) if hi is not None else ""])]


def hardtanh(e, node):
    dt = _dt(node)
    lo, hi = node.attrs.get("min_val", -1.0), node.attrs.get("max_val", 1.0)
    return [e.op("Clip", [_x(e, node), _c(e, lo, dt), _c(e, hi, dt)])]


def elu(e, node):
    """scale * (x if x > 0 else alpha * (exp(input_scale * x) - 1)), as ember's elu/selu/celu."""
    x, dt = _x(e, node), _dt(node)
    alpha, scale, s_in = (node.attrs.get(k, 1.0) for k in ("alpha", "scale", "input_scale"))
    neg = e.op("Mul", [_c(e, alpha * scale, dt),
                       e.op("Sub", [e.op("Exp", [e.op("Mul", [x, _c(e, s_in, dt)])]), _c(e, 1, dt)])])
    return [e.op("Where", [e.op("Greater", [x, _c(e, 0, dt)]), e.op("Mul", [x, _c(e, scale, dt)]), neg])]


def softplus(e, node):
    x, dt = _x(e, node), _dt(node)
    beta, threshold = node.attrs.get("beta", 1.0), node.attrs.get("threshold", 20.0)
    bx = e.op("Mul", [x, _c(e, beta, dt)])
    soft = e.op("Div", [e.op("Softplus", [bx]), _c(e, beta, dt)])
    return [e.op("Where", [e.op("Greater", [bx, _c(e, threshold, dt)]), x, soft])]


def gelu(e, node):
    return [e.op("Gelu", [_x(e, node)], approximate=node.attrs.get("approximate", "none"))]


def round_(e, node):
    x, dt, d = _x(e, node), _dt(node), node.attrs.get("decimals", 0)
    if np.dtype(dt).kind in "biu":
        return [x]
    if d == 0:
        return [e.op("Round", [x])]
    scale = _c(e, 10.0 ** d, dt)
    return [e.op("Div", [e.op("Round", [e.op("Mul", [x, scale])]), scale])]


def xlogy(e, node):
    """x * log(y), 0 where x is 0 and y is not NaN; `low`: log(y) rounded to that dtype first (PyTorch's
    float16/bfloat16 kernel), through a cast there and back."""
    dt = _dt(node)
    x, y = (e.cast(e.name(v, dt), e.dtype(v), dt) for v in node.args[:2])
    log = e.op("Log", [y])
    low = node.attrs.get("low")
    if low is not None:
        log = e.cast(e.cast(log, dt, low), low, dt)
    zero = e.op("And", [e.op("Equal", [x, _c(e, 0, dt)]), e.op("Not", [e.op("IsNaN", [y])])])
    return [e.op("Where", [zero, _c(e, 0, dt), e.op("Mul", [x, log])])]


def hypot(e, node):
    """sqrt(a^2 + b^2) without overflow: m * sqrt(1 + (n / m)^2) for m = max(|a|, |b|), n = min; 0 where
    both are 0, inf where either is inf (even beside a NaN), as C's hypot."""
    dt = _dt(node)
    a, b = (e.op("Abs", [e.cast(e.name(v, dt), e.dtype(v), dt)]) for v in node.args[:2])
    m, n = e.op("Max", [a, b]), e.op("Min", [a, b])
    ratio = e.op("Div", [n, m])
    scaled = e.op("Mul", [m, e.op("Sqrt", [e.op("Add", [_c(e, 1, dt), e.op("Mul", [ratio, ratio])])])])
    value = e.op("Where", [e.op("Equal", [m, _c(e, 0, dt)]), _c(e, 0, dt), scaled])
    either_inf = e.op("Or", [e.op("IsInf", [a]), e.op("IsInf", [b])])
    return [e.op("Where", [either_inf, _c(e, np.inf, dt), value])]


def cast(e, node):
    return [e.op("Cast", [_x(e, node)], to=ONNX_DTYPE[_dt(node)])]


def full(e, node):
    shape, value = node.attrs.get("shape", ()), node.attrs.get("value", 0)
    fill = np.array([value], dtype=np.dtype(_dt(node)))
    from_shape = e.shape(shape)
    return [e.op("ConstantOfShape", [from_shape], value=e.onnx.numpy_helper.from_array(fill, "value"))]


def arange(e, node):
    """Range(0, n) in int64 (n may follow the batch), then start + i * step in the accumulation dtype
    and a cast, as ember computes it (a float Range would count its own length)."""
    a = node.attrs
    acc = np.dtype(a.get("acc") or np.int64)

    def scalar(v, dtype):  # an int that may follow the batch, or a number
        if isinstance(v, Sym):
            return e.cast(e.op("Squeeze", [e.int_of(v), e.ints([0])]), "int64", dtype.name)
        return e.const(np.array(v, dtype))
    i = e.op("Range", [e.const(np.array(0, np.int64)), scalar(a.get("n", 0), np.dtype(np.int64)),
                       e.const(np.array(1, np.int64))])
    vals = e.op("Add", [e.op("Mul", [e.cast(i, "int64", acc.name), scalar(a.get("step", 1), acc)]),
                        scalar(a.get("start", 0), acc)])
    return [e.cast(vals, acc.name, _dt(node))]


UNARY = {
    "unary.Exp": "Exp", "unary.Log": "Log", "unary.Sqrt": "Sqrt", "unary.Sin": "Sin", "unary.Cos": "Cos",
    "unary.Tan": "Tan", "unary.Tanh": "Tanh", "unary.Sigmoid": "Sigmoid", "unary.Relu": "Relu",
    "unary.Abs": "Abs", "unary.Neg": "Neg", "unary.Reciprocal": "Reciprocal", "unary.Erf": "Erf",
    "activation.Mish": "Mish", "activation.Hardswish": "HardSwish", "convert.Clone": "Identity",
    "convert.ToDevice": "Identity", "binary.LogicalNot": "Not", "binary.Isnan": "IsNaN", "binary.Isinf": "IsInf",
    "trig.Sinh": "Sinh", "trig.Cosh": "Cosh", "trig.Asin": "Asin", "trig.Acos": "Acos", "trig.Atan": "Atan",
    "trig.Asinh": "Asinh", "trig.Acosh": "Acosh", "trig.Atanh": "Atanh",
}
BINARY = {
    "binary.Add": "Add", "binary.Sub": "Sub", "binary.Mul": "Mul", "binary.Div": "Div", "binary.Pow": "Pow",
    "binary.Maximum": "Max", "binary.Minimum": "Min", "linalg.Matmul": "MatMul",
}
COMPARE = {
    "binary.Eq": "Equal", "binary.Lt": "Less", "binary.Le": "LessOrEqual", "binary.Gt": "Greater",
    "binary.Ge": "GreaterOrEqual", "binary.LogicalAnd": "And", "binary.LogicalOr": "Or", "binary.LogicalXor": "Xor",
}

LOWERINGS = {
    **{P + k: _simple(v) for k, v in UNARY.items()},
    **{P + k: _binary(v) for k, v in BINARY.items()},
    **{P + k: _binary(v, compare=True) for k, v in COMPARE.items()},
    P + "binary.Ne": _negated(_binary("Equal", compare=True)),
    P + "binary.Isfinite": _chain(lambda e, x, dt: e.op("Not", [e.op("Or", [e.op("IsNaN", [x]), e.op("IsInf", [x])])])),
    P + "binary.Where": where,
    P + "binary.BitwiseAnd": _bitwise("BitwiseAnd", "And"),
    P + "binary.BitwiseOr": _bitwise("BitwiseOr", "Or"),
    P + "binary.BitwiseXor": _bitwise("BitwiseXor", "Xor"),
    P + "binary.BitwiseNot": _bitwise("BitwiseNot", "Not"),
    P + "binary.Not": _bitwise("BitwiseNot", "Not"),
    P + "reduce.CountNonzero": count_nonzero,
    P + "binary.Remainder": remainder,
    P + "binary.FloorDivide": floor_divide,
    P + "mask.MaskedFill": masked_fill,
    P + "mathfn.Xlogy": xlogy,
    P + "trig.Hypot": hypot,
    P + "unary.Exp2": _chain(lambda e, x, dt: e.op("Pow", [_c(e, 2, dt), x])),
    P + "unary.Expm1": _chain(lambda e, x, dt: e.op("Sub", [e.op("Exp", [x]), _c(e, 1, dt)])),
    P + "unary.Log2": _chain(lambda e, x, dt: e.op("Div", [e.op("Log", [x]), _c(e, math.log(2), dt)])),
    P + "unary.Log1p": _chain(lambda e, x, dt: e.op("Log", [e.op("Add", [x, _c(e, 1, dt)])])),
    P + "unary.Rsqrt": _chain(lambda e, x, dt: e.op("Reciprocal", [e.op("Sqrt", [x])])),
    P + "unary.Floor": _piecewise("Floor"),
    P + "unary.Ceil": _piecewise("Ceil"),
    P + "unary.Sign": _piecewise("Sign"),
    P + "unary.Trunc": _chain(lambda e, x, dt: x if np.dtype(dt).kind in "biu" else
                              e.op("Mul", [e.op("Sign", [x]), e.op("Floor", [e.op("Abs", [x])])])),
    P + "unary.Round": round_,
    P + "unary.Clamp": clamp,
    P + "activation.Gelu": gelu,
    P + "activation.Silu": _chain(lambda e, x, dt: e.op("Mul", [x, e.op("Sigmoid", [x])])),
    P + "activation.Softplus": softplus,
    P + "activation.LogSigmoid": _chain(lambda e, x, dt: e.op("Neg", [e.op("Softplus", [e.op("Neg", [x])])])),
    P + "activation.Elu": elu,
    P + "activation.LeakyRelu": lambda e, n: [e.op("LeakyRelu", [_x(e, n)],
                                                   alpha=float(n.attrs.get("negative_slope", 0.01)))],
    P + "activation.Hardtanh": hardtanh,
    P + "activation.Hardsigmoid": _simple("HardSigmoid", alpha=1 / 6, beta=0.5),
    P + "softmax.Softmax": lambda e, n: [e.op("Softmax", [_x(e, n)], axis=n.attrs["dim"])],
    P + "softmax.LogSoftmax": lambda e, n: [e.op("LogSoftmax", [_x(e, n)], axis=n.attrs["dim"])],
    P + "convert.Cast": cast,
    P + "creation.Full": full,
    P + "creation.Arange": arange,
    **NN_LOWERINGS,
    **SHAPE_LOWERINGS,
}


