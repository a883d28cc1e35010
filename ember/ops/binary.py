"""Elementwise functions of two or three tensors (NumPy broadcasting, PyTorch's type
promotion): arithmetic, pow, maximum/minimum, where, lerp, comparisons, logic.

    >>> import ember
    >>> ember.tensor([1, 2]) + 0.5      # int tensor with a Python float: default float
    tensor([1.5000, 2.5000])
"""
import math
import operator

import numpy as np

from ember.autograd.checks import broadcast_shapes
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError
from ember.ops._args import same_dtype
from ember.ops._util import (arith, common, const, data, float_arrays, floating, int_divisor, int_in_range, need_float,
                              operands, promote)
from ember.ops.registry import Sample, binary_samples, register

__all__ = ["add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide",
           "floor_divide", "remainder", "pow", "maximum", "minimum", "where", "lerp", "addcmul", "addcdiv", "eq", "ne",
           "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
           "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or",
           "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "add sub subtract mul multiply div divide true_divide floor_divide remainder pow maximum minimum lerp eq ne lt le gt ge greater greater_equal less less_equal not_equal logical_and logical_or logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_not isnan isinf isfinite addcmul addcdiv"
INPLACE = ("add sub mul div pow floor_divide remainder lerp bitwise_and bitwise_or bitwise_xor logical_and logical_or "
           "logical_not addcmul addcdiv subtract multiply divide true_divide eq ne lt le gt ge greater greater_equal "
           "less less_equal not_equal logical_xor bitwise_not")


def _check(op, a, b):
    """Fail with both shapes named before NumPy would say 'operands could not be broadcast'."""
    sa, sb = getattr(a, "shape", ()), getattr(b, "shape", ())
    if sa != sb:
        broadcast_shapes(op, sa, sb)


class Add(Function):
    save_inputs = False

    def forward(self, a, b):
        return arith("add", a, b, operator.add)

    def backward(self, g):
        return g, g


class Sub(Function):
    save_inputs = False

    def forward(self, a, b):
        if getattr(a, "dtype", None) == bool or getattr(b, "dtype", None) == bool:
            raise DTypeError("sub: subtraction with a bool tensor is not supported; use logical_xor() or ~")
        return arith("sub", a, b, operator.sub)

    def backward(self, g):
        return g, -g


class Mul(Function):
    def forward(self, a, b):
        return arith("mul", a, b, operator.mul)

    def backward(self, g):
        a, b = self.inputs
        return g * b, g * a


class Div(Function):
    def forward(self, a, b):
        return arith("div", *float_arrays(a, b), _true_divide)

    def backward(self, g):
        a, b = self.inputs
        return g / b, (-g * a / (b * b) if isinstance(b, Tensor) else None)


def _true_divide(a, b):
    fa = floating(a) if hasattr(a, "dtype") else a
    fb = floating(b) if hasattr(b, "dtype") else b
    return fa / fb


class Pow(Function):
    def forward(self, a, b):
        if getattr(a, "dtype", None) is not None and a.dtype.kind in "biu" and \
                isinstance(b, (int, np.integer)) and not isinstance(b, bool) and b < 0:
            raise ArgumentError(f"pow: integers to negative integer powers are not allowed (exponent {b})")
        if getattr(a, "dtype", None) == bool and getattr(b, "dtype", None) == bool:
            raise DTypeError("pow: not implemented for two bool tensors (as in PyTorch; a bool exponent works)")
        self.y = arith("pow", a, b, _pow)
        if getattr(a, "dtype", None) == bool and (type(b) is bool or getattr(b, "dtype", None) == bool):
            self.y = self.y.astype(bool)  # bool ** bool stays bool, as PyTorch (NumPy gives int8)
        return self.y

    def backward(self, g):
        a, b = self.inputs
        ga = None
        if isinstance(a, Tensor):  # 0 where b == 0 (0 * 0**-1 would be NaN), as PyTorch
            if isinstance(b, Tensor):
                ga = where(b == 0, 0.0, g * b * a ** (b - 1))
            else:
                ga = g * b * a ** (b - 1) if b != 0 else const(self.xp.zeros(g.shape, g._data.dtype), g)
        gb = None
        if isinstance(b, Tensor):
            # d/db a**b = a**b * log(a), taken as 0 where a == 0 and b >= 0 (as PyTorch does)
            if isinstance(a, Tensor):
                log_a = where((a == 0) & (b >= 0), 0.0, a.log())
            else:
                log_a = math.log(a) if a > 0 else (where(b >= 0, 0.0, -math.inf) if a == 0 else math.nan)
            gb = g * self.output(self.y) * log_a
        return ga, gb


def _pow(a, b):
    """`a ** b`; integers to negative integer powers (an exponent array) as C's integer pow, as PyTorch:
    1 for a base of 1, +-1 for -1, else 0 (NumPy refuses them)."""
    kinds = getattr(a, "dtype", np.dtype(type(a))).kind + getattr(b, "dtype", np.dtype(type(b))).kind
    if type(b) is float and b == -0.5 and kinds[0] == "f":  # PyTorch's rsqrt for a scalar -0.5: NaN at -inf
        with np.errstate(all="ignore"):
            return 1 / np.sqrt(a)
    if not (hasattr(b, "shape") and set(kinds) <= set("biu") and (b < 0).any()):
        return a ** b
    negative = b < 0
    y = a ** abs(b)
    ones = (a == 1) | ((a == -1) & (abs(b) % 2 == 0))
    signs = (a == -1) & (abs(b) % 2 == 1)
    return np.where(negative, np.where(ones, 1, np.where(signs, -1, 0)).astype(y.dtype), y)


class Maximum(Function):
    def forward(self, a, b):
        a, b = operands("maximum", a, b)
        return self.xp.maximum(a, b)

    def backward(self, g):
        return _extreme_grads(self.xp, g, self.inputs, lambda a, b: a < b)


class Minimum(Function):
    def forward(self, a, b):
        a, b = operands("minimum", a, b)
        return self.xp.minimum(a, b)

    def backward(self, g):
        return _extreme_grads(self.xp, g, self.inputs, lambda a, b: a > b)


def _extreme_grads(xp, g, inputs, loses):
    """maximum/minimum: ties share the gradient equally; an operand that loses gets none; with a NaN
    (nothing wins) both get all of it, as in PyTorch."""
    a, b = data(inputs[0]), data(inputs[1])
    tie = 0.5 * (a == b)
    wa = xp.where(loses(a, b), 0.0, 1.0) - tie
    wb = xp.where(loses(b, a), 0.0, 1.0) - tie
    return g * const(wa.astype(g._data.dtype), g), g * const(wb.astype(g._data.dtype), g)


class Where(Function):
    save_inputs = False

    def forward(self, cond, a, b):
        _check("where", cond, a)
        _check("where", cond, b)
        _check("where", a, b)  # pairwise broadcastable: all three are
        if getattr(cond, "dtype", None) is not None and cond.dtype != bool:
            raise DTypeError(f"where: condition must be a bool tensor, got {dtypes.dtype_of(cond)}")
        a, b = promote(a, b)
        self.cond = cond
        return self.xp.where(cond, a, b)

    def backward(self, g):
        c = const(self.cond, g)
        zero = const(self.xp.zeros((), g._data.dtype), g)  # a true 0, as PyTorch's (g * 0 keeps NaN and inf)
        return None, where(c, g, zero), where(c, zero, g)


class FloorDivide(Function):
    save_inputs = False

    def forward(self, a, b):
        int_divisor("floor_divide", a, b)
        return arith("floor_divide", a, b, self.xp.floor_divide)

    def backward(self, g):
        return g * 0, g * 0  # piecewise constant: zero wherever defined, as in PyTorch


class Remainder(Function):
    def forward(self, a, b):
        int_divisor("remainder", a, b)
        return arith("remainder", a, b, self.xp.remainder)

    def backward(self, g):
        a, b = self.inputs
        gb = -g * floor_divide(a, b).detach() if isinstance(b, Tensor) else None  # NaN for an infinite a, as PyTorch
        return g, gb


class Compare(Function):
    """Comparisons and logic: bool results, no gradient."""
    differentiable = False
    fn = None

    def forward(self, a, b):
        int_in_range(self.op_name(), a, b)
        a, b = operands(self.op_name(), a, b)
        return getattr(self.xp, self.fn)(a, b)


def _compare(name, ufunc, samples=None, bitwise=False):
    cls = type(name.title().replace("_", ""), (Compare,), {"fn": ufunc, "name": name})

    def op(input, other):
        if bitwise:
            _need_integral(name, input, other)
        return cls.apply(input, other)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `{name}` with broadcasting, as `torch.{name}`; no gradient."
    return register(name, samples or _compare_samples, cls, grad=False)(op)


def _need_integral(name, *xs):
    for x in xs:
        d = getattr(x, "dtype", None)
        if isinstance(x, np.generic):
            d = dtypes.as_dtype(x.dtype)
        if d is not None and d.is_floating_point or isinstance(x, float):
            raise DTypeError(f"{name}: expected integer or bool tensors, got {d or type(x).__name__}")


def _compare_samples(make):
    a = make.ints(3, 4, low=-3, high=3).astype(make.dtype)
    return [Sample((a, make.ints(3, 4, low=-3, high=3).astype(make.dtype)), name="same"),
            Sample((a, a[:1].copy()), name="broadcast"),
            Sample((make(0, 3), make(1, 3)), name="empty")]


def _bitwise_samples(make):
    return [Sample((make.ints(3, 4, high=16), make.ints(3, 4, high=16)), name="ints"),
            Sample((make.bools(3, 4), make.bools(1, 4)), name="bools")]


eq = _compare("eq", "equal")
ne = _compare("ne", "not_equal")
lt = _compare("lt", "less")
le = _compare("le", "less_equal")
gt = _compare("gt", "greater")
ge = _compare("ge", "greater_equal")
logical_and = _compare("logical_and", "logical_and")
logical_or = _compare("logical_or", "logical_or")
logical_xor = _compare("logical_xor", "logical_xor")
bitwise_and = _compare("bitwise_and", "bitwise_and", _bitwise_samples, bitwise=True)
bitwise_or = _compare("bitwise_or", "bitwise_or", _bitwise_samples, bitwise=True)
bitwise_xor = _compare("bitwise_xor", "bitwise_xor", _bitwise_samples, bitwise=True)
greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


@register("add", lambda make: binary_samples(make) + [Sample((make(3, 4), make(3, 4)), {"alpha": 2.0}, "alpha")], Add)
def add(input, other, *, alpha=1):
    """`input + alpha * other`, broadcasting."""
    return Add.apply(input, _scaled("add", input, other, alpha))


@register("sub", lambda make: binary_samples(make) + [Sample((make(3, 4), make(3, 4)), {"alpha": 2.0}, "alpha")], Sub)
def sub(input, other, *, alpha=1):
    """`input - alpha * other`, broadcasting (no bool operand: PyTorch refuses it even when scaled)."""
    if any(type(x) is bool or getattr(x, "dtype", None) is dtypes.bool_ for x in (input, other)):
        raise DTypeError("sub: subtraction with a bool tensor is not supported; use logical_xor() or ~")
    return Sub.apply(input, _scaled("sub", input, other, alpha))


def _number(x):
    return type(x) in (int, float, bool) or isinstance(x, (np.integer, np.floating, np.bool_))


def _need_operand(op, name, x):
    """A tensor or a number, checked before anything is computed with it (a list times alpha
    would be repeated, not scaled)."""
    if not (isinstance(x, (Tensor, np.ndarray)) or _number(x)):  # an array: `array + tensor` reflected
        raise DTypeError(f"{op}: argument {name!r} must be a tensor or a number, got {type(x).__name__}")


def _scaled(op, input, other, alpha):
    """`alpha * other`, with PyTorch's checks: alpha a number, and integral for integral operands."""
    _need_operand(op, "input", input)
    _need_operand(op, "other", other)
    if not _number(alpha):
        raise DTypeError(f"{op}: alpha must be a number, got {type(alpha).__name__}")
    kinds = [dtypes.dtype_of(x._data).kind if isinstance(x, Tensor) else dtypes.scalar_kind(x) for x in (input, other)]
    if isinstance(alpha, (bool, np.bool_)) and any(k != "b" for k in kinds):
        raise DTypeError(f"{op}: a bool alpha is only supported for bool results, got alpha={alpha}")
    if alpha == 1 and type(alpha) is not float:
        return other
    if "f" not in kinds and isinstance(alpha, (float, np.floating)):
        raise DTypeError(f"{op}: for integral input tensors, alpha must not be a floating point number, got {alpha}")
    if "f" not in kinds and "i" not in kinds and not isinstance(alpha, (bool, np.bool_)):
        raise DTypeError(f"{op}: for bool input tensors, alpha must be a bool, got {alpha}")
    if isinstance(other, Tensor) and isinstance(input, Tensor):  # alpha * other in the result's dtype
        dt = dtypes.result_type(input._data, other._data)
        if other.dtype is not dt:
            other = other.to(dt)
    return other * alpha


subtract = sub


@register("mul", binary_samples, Mul)
def mul(input, other):
    """`input * other`, broadcasting."""
    return Mul.apply(input, other)


multiply = mul


def _div_samples(make):
    return [Sample((make(3, 4), make.away(3, 4)), name="same"), Sample((make(3, 1), make.away(1, 4)), name="broadcast"),
            Sample((make(4, 3, noncontig=True), make.away(4, 3)), name="noncontig"),
            Sample((make(0, 3), make.away(1, 3)), name="empty"), Sample((make(3, 4), 1.5), name="scalar"),
            Sample((make(3, 4), make.away(3, 4)), {"rounding_mode": "floor"}, "floor")]


@register("div", _div_samples, Div)
def div(input, other, rounding_mode=None):
    """True division (`rounding_mode=None`), or `"trunc"`/`"floor"` rounding, as `torch.div`."""
    if rounding_mode is None:
        return Div.apply(input, other)
    if rounding_mode == "floor":
        q = floor_divide(input, other)
    elif rounding_mode == "trunc":
        int_divisor("div", data(input), data(other))
        q = Div.apply(input, other).trunc()
        dt = dtypes.result_type(*(getattr(x, "_data", x) for x in (input, other)))
        q = q.to(dt)
    else:
        raise ArgumentError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    return q


divide = true_divide = div


@register("floor_divide", lambda make: [Sample((make(3, 4), make.away(3, 4)), name="same"),
                                        Sample((make(3, 4), 0.7), name="scalar")], FloorDivide, grad=False)
def floor_divide(input, other):
    """Division rounded toward negative infinity (Python's `//`)."""
    return FloorDivide.apply(input, other)


@register("remainder", lambda make: [Sample((make(3, 4), make.away(3, 4)), name="same"),
                                     Sample((make(3, 4), 0.7), name="scalar")], Remainder)
def remainder(input, other):
    """Python's `%`: the result has the sign of the divisor."""
    return Remainder.apply(input, other)


def _pow_samples(make):
    return [Sample((make(3, 4, low=0.5, high=2), make(3, 4)), name="same"),
            Sample((make(3, 1, low=0.5, high=2), make(1, 4)), name="broadcast"),
            Sample((make(3, 4), 2.0), name="square"), Sample((make(3, 4, low=0.5, high=2), -1.5), name="negative"),
            Sample((make(4, 3, low=0.5, high=2, noncontig=True), 3.0), name="noncontig"),
            Sample((make(0, 3), 2.0), name="empty")]


@register("pow", _pow_samples, Pow)
def pow(input, exponent):
    """`input ** exponent`; either may be a number."""
    return Pow.apply(input, exponent)


@register("maximum", lambda make: binary_samples(make, scalar=None), Maximum)
def maximum(input, other):
    """Elementwise maximum (ties share the gradient)."""
    return Maximum.apply(input, other)


@register("minimum", lambda make: binary_samples(make, scalar=None), Minimum)
def minimum(input, other):
    """Elementwise minimum (ties share the gradient)."""
    return Minimum.apply(input, other)


def _where_samples(make):
    return [Sample((make.bools(3, 4), make(3, 4), make(3, 4)), name="same"),
            Sample((make.bools(3, 1), make(1, 4), make(3, 4)), name="broadcast"),
            Sample((make.bools(3, 4), make(3, 4), 0.0), name="scalar")]


@register("where", _where_samples, Where)
def where(condition, input=None, other=None):
    """`input` where `condition` holds, else `other`. With one argument, `nonzero(as_tuple=True)`."""
    if input is None and other is None:
        return condition.nonzero(as_tuple=True)
    return Where.apply(condition, input, other)


def _lerp_samples(make):
    return [Sample((make(3, 4), make(3, 4), 0.3), name="scalar-weight"),
            Sample((make(3, 4), make(3, 4), make(3, 4)), name="tensor-weight"),
            Sample((make(3, 1), make(1, 4), 0.5), name="broadcast")]


@register("lerp", _lerp_samples)
def lerp(input, end, weight):
    """`input + weight * (end - input)`, of floating tensors of one dtype (a weight may be a number)."""
    if not isinstance(end, Tensor):
        raise DTypeError(f"lerp: end must be a tensor, got {type(end).__name__}")
    need_float("lerp", input)
    same_dtype("lerp", input=input, end=end, weight=weight if getattr(weight, "ndim", 0) else None)
    # all three in their result dtype first (a bfloat16 difference with a float32 weight: PyTorch's is float32)
    if isinstance(weight, Tensor):
        (input, end, weight), _ = common(input, end, weight)
    diff = end - input
    # from the nearer end, as PyTorch: lerp(x, inf, 0.9) is inf - inf * 0.1 (NaN), lerp(-inf, x, 0.9) is -inf
    if not isinstance(weight, Tensor):
        if not _number(weight):
            raise DTypeError(f"lerp: weight must be a number or a tensor, got {type(weight).__name__}")
        return input + weight * diff if abs(weight) < 0.5 else end - diff * (1 - weight)
    near = weight.abs() < 0.5
    # each branch sees the weight only where it is taken, so an inf difference in the other branch does not
    # turn the weight's gradient into 0 * inf
    return where(near, input + where(near, weight, 0.0) * diff, end - diff * (1 - where(near, 1.0, weight)))


def _isx(name):
    cls = type(name.title(), (Function,), {"differentiable": False, "name": name,
                                           "forward": lambda self, x: getattr(self.xp, name)(x)})

    def op(input):
        return cls.apply(input)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise `{name}`: a bool tensor."

    def samples(make):
        return [Sample((np.array([0.0, np.nan, np.inf, -np.inf, 1.5], dtype=make.dtype),), name="special")]
    return register(name, samples, cls, grad=False)(op)


isnan = _isx("isnan")
isinf = _isx("isinf")
isfinite = _isx("isfinite")


class Not(Function):
    differentiable = False
    fn = None

    def forward(self, x):
        return getattr(self.xp, self.fn)(x)


class LogicalNot(Not):
    fn = "logical_not"


class BitwiseNot(Not):
    fn = "invert"


@register("logical_not", lambda make: [Sample((make(3, 4),)), Sample((make.bools(3, 4),))], LogicalNot, grad=False)
def logical_not(input):
    return LogicalNot.apply(input)


@register("bitwise_not", lambda make: [Sample((make.ints(3, 4, high=16),)), Sample((make.bools(3, 4),))],
          BitwiseNot, grad=False)
def bitwise_not(input):
    _need_integral("bitwise_not", input)
    return BitwiseNot.apply(input)


def addcmul(input, tensor1, tensor2, *, value=1):
    """`input + value * tensor1 * tensor2` (an optimizer's update step). With integer tensors, a
    float `value` is truncated to an integer, as in PyTorch.

        >>> ember.addcmul(ember.ones(2), ember.ones(2), ember.full((2,), 3.0), value=0.5)
        tensor([2.5000, 2.5000])
    """
    for name, x in (("input", input), ("tensor1", tensor1), ("tensor2", tensor2)):
        if not isinstance(x, Tensor):
            raise DTypeError(f"addcmul: argument {name!r} must be a tensor, got {type(x).__name__}")
    value = _value_for("addcmul", value, input, tensor1, tensor2)
    tensor1, tensor2 = _common(input, tensor1, tensor2)
    product = mul(tensor1, tensor2)
    return add(input, product if value == 1 else product * value)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """`input + value * tensor1 / tensor2` (an optimizer's update step); integer tensors are refused,
    as in PyTorch (use `floor_divide`)."""
    for name, x in (("input", input), ("tensor1", tensor1), ("tensor2", tensor2)):
        if not isinstance(x, Tensor):
            raise DTypeError(f"addcdiv: argument {name!r} must be a tensor, got {type(x).__name__}")
    if not (tensor1.dtype.is_floating_point or tensor2.dtype.is_floating_point):
        raise DTypeError(f"addcdiv: integer division of tensors with addcdiv is not supported "
                         f"(got {tensor1.dtype} and {tensor2.dtype}); use true division or floor_divide")
    value = _value_for("addcdiv", value, input, tensor1, tensor2)
    tensor1, tensor2 = _common(input, tensor1, tensor2)
    quotient = div(tensor1, tensor2)
    return add(input, quotient if value == 1 else quotient * value)


def _common(input, tensor1, tensor2):
    """tensor1 and tensor2 in the dtype of the whole expression, so the product is not rounded twice."""
    dt = dtypes.result_type(input._data, tensor1._data, tensor2._data)
    return tuple(t if t.dtype is dt else t.to(dt) for t in (tensor1, tensor2))


def _value_for(op, value, *tensors):
    """A scalar coefficient in the result's dtype category: truncated for integer results."""
    if not _number(value):
        raise DTypeError(f"{op}: value must be a number, got {type(value).__name__}")
    if isinstance(value, np.generic):
        value = value.item()
    dt = dtypes.result_type(*(t._data for t in tensors))
    if dt.kind == "i" and isinstance(value, float):
        return int(value)
    if dt.kind == "b" and not isinstance(value, bool):
        return bool(value) if isinstance(value, int) else value
    return value
