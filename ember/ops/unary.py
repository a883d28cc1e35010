"""Elementwise functions of one tensor: exp/log family, trigonometry, activations, rounding.

Integer and bool inputs of float-valued functions compute in the default
float dtype, as in PyTorch.

    >>> import ember
    >>> ember.exp(ember.tensor([0.0, 1.0]))
    tensor([1.    , 2.7183])
"""
import math

import numpy as np

from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.errors import ArgumentError, DTypeError
from ember.backend import dtypes, special
from ember.ops import _epilogue, binary
from ember.ops._util import const, fits, floating
from ember.ops.registry import Sample, register, unary_samples

__all__ = ["exp", "exp2", "expm1", "log", "log2", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan",
           "tanh", "sigmoid", "relu", "abs", "neg", "negative", "reciprocal", "erf", "sign",
           "floor", "ceil", "trunc", "fix", "round", "clamp", "clip", "square"]

# Tensor methods (bound in tensor_methods.py) and the ones with an in-place `name_` form.
METHODS = "exp exp2 expm1 log log2 log1p sqrt rsqrt sin cos tan tanh sigmoid relu abs neg negative reciprocal erf sign floor ceil trunc fix round clamp clip square"
INPLACE = ("exp log sqrt sigmoid tanh relu neg abs sin cos floor ceil round trunc reciprocal sign clamp clip square "
           "erf exp2 expm1 log1p log2 rsqrt tan fix negative")

LN2 = math.log(2.0)


class Exp(Function):
    save_inputs = False

    def forward(self, x):
        self.y = self.xp.exp(floating(x))
        return self.y

    def backward(self, g):
        return g * self.output(self.y)


class Exp2(Function):
    save_inputs = False

    def forward(self, x):
        self.y = self.xp.exp2(floating(x))
        return self.y

    def backward(self, g):
        return g * self.output(self.y) * LN2


class Expm1(Function):
    save_inputs = False

    def forward(self, x):
        self.y = self.xp.expm1(floating(x))
        return self.y

    def backward(self, g):
        return g * (self.output(self.y) + 1)


class Log(Function):
    def forward(self, x):
        return self.xp.log(floating(x))

    def backward(self, g):
        return g / self.inputs[0]


class Log2(Function):
    def forward(self, x):
        return self.xp.log2(floating(x))

    def backward(self, g):
        return g / (self.inputs[0] * LN2)


class Log1p(Function):
    def forward(self, x):
        return self.xp.log1p(floating(x))

    def backward(self, g):
        return g / (self.inputs[0] + 1)


class Sqrt(Function):
    save_inputs = False

    def forward(self, x):
        self.y = self.xp.sqrt(floating(x))
        return self.y

    def backward(self, g):
        return g / (2 * self.output(self.y))


class Rsqrt(Function):
    save_inputs = False

    def forward(self, x):
        x = floating(x)
        self.y = 1 / self.xp.sqrt(x)
        return self.y.astype(x.dtype, copy=False)

    def backward(self, g):
        return g * -0.5 * self.output(self.y) ** 3


class Sin(Function):
    def forward(self, x):
        return self.xp.sin(floating(x))

    def backward(self, g):
        return g * self.inputs[0].cos()


class Cos(Function):
    def forward(self, x):
        return self.xp.cos(floating(x))

    def backward(self, g):
        return -g * self.inputs[0].sin()


class Tan(Function):
    save_inputs = False

    def forward(self, x):
        self.y = self.xp.tan(floating(x))
        return self.y

    def backward(self, g):
        return g * (1 + self.output(self.y) ** 2)


class Tanh(Function):
    save_inputs = False

    def forward(self, x):
        self.y = self.xp.tanh(floating(x))
        return self.y

    def backward(self, g):
        return g * (1 - self.output(self.y) ** 2)


class Sigmoid(Function):
    save_inputs = False

    def forward(self, x):
        x = floating(x)
        # exp of -|x| only: finite for every x, and as exact as the direct formula
        e = self.xp.exp(-self.xp.abs(x))
        self.y = self.xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        return self.y

    def backward(self, g):
        y = self.output(self.y)
        return g * y * (1 - y)


class Relu(Function):
    save_inputs = False

    def forward(self, x):
        self.y = _epilogue.relu(self.xp, x) if x.dtype.kind != "b" else x
        return self.y

    def backward(self, g):
        # from the output, as PyTorch does: y > 0 where x > 0, and a NaN x passes its gradient on
        return ReluGrad.apply(g, self.output(self.y))


class ReluGrad(Function):
    """0 where y <= 0, else g: ReLU's gradient from its output y (PyTorch's threshold_backward): one pass
    (ember/ops/_epilogue.py), a primitive a compiled graph records and fuses (pool_relu_fusion)."""
    internal = True  # reached only through relu's gradient, tested there

    def forward(self, g, y):
        return _epilogue.relu_grad(self.xp, g, y)

    def backward(self, gg):
        return ReluGrad.apply(gg, self.inputs[1]), None


class Abs(Function):
    def forward(self, x):
        if x.dtype == bool:
            raise DTypeError("abs: not defined for bool tensors")
        return self.xp.abs(x)

    def backward(self, g):
        return g * self.inputs[0].sign()


class Neg(Function):
    save_inputs = False

    def forward(self, x):
        if x.dtype.kind == "b":
            raise DTypeError("neg: negation of a bool tensor is not supported; use logical_not() or ~")
        return -x

    def backward(self, g):
        return -g


class Reciprocal(Function):
    save_inputs = False

    def forward(self, x):
        x = floating(x)
        self.y = (1 / x).astype(x.dtype, copy=False)
        return self.y

    def backward(self, g):
        y = self.output(self.y)
        return -g * y * y


class Erf(Function):
    def forward(self, x):
        return special.erf(self.xp, floating(x))

    def backward(self, g):
        x = self.inputs[0]
        return g * (2 / math.sqrt(math.pi)) * (-x * x).exp()


class _Piecewise(Function):
    """Functions whose derivative is zero wherever it exists: the gradient is zero, as in PyTorch."""
    save_inputs = False
    fn = None

    def forward(self, x):
        if x.dtype.kind == "b":  # PyTorch has no rounding kernels for bool
            raise DTypeError(f"{self.fn}: not implemented for bool tensors")
        return x if x.dtype.kind in "iu" else getattr(self.xp, self.fn)(x)

    def backward(self, g):
        return g * 0


class Sign(_Piecewise):
    fn = "sign"

    def forward(self, x):
        if x.dtype.kind in "biu":
            return x if x.dtype.kind == "b" else self.xp.sign(x)
        y = self.xp.sign(x)
        return self.xp.where(self.xp.isnan(x), self.xp.zeros((), y.dtype), y)  # sign(NaN) is 0 in PyTorch


class Floor(_Piecewise):
    fn = "floor"


class Ceil(_Piecewise):
    fn = "ceil"


class Trunc(_Piecewise):
    fn = "trunc"


class Round(_Piecewise):
    fn = "round"

    def forward(self, x, decimals=0):
        if x.dtype.kind == "b":
            raise DTypeError("round: not implemented for bool tensors")
        if x.dtype.kind in "biu":
            return x
        if not decimals:
            return self.xp.round(x)
        # PyTorch's form, whatever the size of decimals: 10**|decimals| in the compute dtype (inf past its range,
        # 0 below it: NaN then, as PyTorch), x scaled, rounded half to even, scaled back; float16/bfloat16 in float32
        xp = self.xp
        w = x.astype(xp.float32) if x.dtype.itemsize == 2 else x
        with np.errstate(all="ignore"):
            ten = xp.power(xp.asarray(10.0, w.dtype), xp.asarray(float(decimals if decimals > 0 else -decimals), w.dtype))
            out = xp.rint(w * ten) / ten if decimals > 0 else xp.rint(w / ten) * ten
        return out.astype(x.dtype, copy=False)


class Clamp(Function):
    name = "clamp"

    def forward(self, x, min=None, max=None):
        if min is None and max is None:
            raise ArgumentError("clamp: at least one of min and max must be given")
        self.keep = True
        dt = dtypes.result_type(x, *(v for v in (min, max) if v is not None)).np
        y = x.astype(dt, copy=False)  # PyTorch's result type: clamp(int8, min=0.0) is the default float
        fits("clamp", y, min)
        fits("clamp", y, max)
        if min is not None:
            self.keep = x >= min
            y = self.xp.maximum(y, self.xp.asarray(min, dtype=dt))
        if max is not None:
            upper = x <= max
            self.keep = upper if min is None else self.keep & upper
            y = self.xp.minimum(y, self.xp.asarray(max, dtype=dt))
        return y

    def backward(self, g):
        return g * const(self.keep, g)


def _unary_op(name, cls, low=-2.0, high=2.0, samples=None, **info):
    def op(input):
        return cls.apply(input)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name}, as `torch.{name}`."
    return register(name, samples or (lambda make: unary_samples(make, low, high)), cls, **info)(op)


def _positive(make):
    return unary_samples(make, 0.3, 3.0)


def _away_from_zero(make):
    return [Sample((make.away(3, 4),), name="2d"), Sample((make.away(4, 3, noncontig=True),), name="noncontig"),
            Sample((make(0, 2),), name="empty"), Sample((make.away(2, 2, 2),), name="3d")]


def _extreme(make):
    """Inputs up to 1e4 in magnitude: exp-based ops must stay finite where PyTorch does."""
    big = np.array([-1e4, -100.0, -20.0, 0.0, 20.0, 100.0, 1e4], dtype=make.dtype)
    return unary_samples(make) + [Sample((big,), name="extreme")]


exp = _unary_op("exp", Exp)
exp2 = _unary_op("exp2", Exp2)
expm1 = _unary_op("expm1", Expm1)
log = _unary_op("log", Log, samples=_positive)
log2 = _unary_op("log2", Log2, samples=_positive)
log1p = _unary_op("log1p", Log1p, samples=lambda make: unary_samples(make, -0.7, 3.0))
sqrt = _unary_op("sqrt", Sqrt, samples=_positive)
rsqrt = _unary_op("rsqrt", Rsqrt, samples=_positive)
sin = _unary_op("sin", Sin)
cos = _unary_op("cos", Cos)
tan = _unary_op("tan", Tan, samples=lambda make: unary_samples(make, -1.2, 1.2))
tanh = _unary_op("tanh", Tanh, samples=_extreme)
sigmoid = _unary_op("sigmoid", Sigmoid, samples=_extreme)
relu = _unary_op("relu", Relu, samples=_away_from_zero, gradgrad=False)
abs = _unary_op("abs", Abs, samples=_away_from_zero)
neg = _unary_op("neg", Neg)
negative = neg
reciprocal = _unary_op("reciprocal", Reciprocal, samples=_away_from_zero)
erf = _unary_op("erf", Erf)
sign = _unary_op("sign", Sign, samples=_away_from_zero, gradgrad=False)
floor = _unary_op("floor", Floor, samples=_away_from_zero, gradgrad=False)
ceil = _unary_op("ceil", Ceil, samples=_away_from_zero, gradgrad=False)
trunc = _unary_op("trunc", Trunc, samples=_away_from_zero, gradgrad=False)
fix = trunc


@register("round", lambda make: unary_samples(make) + [Sample((make(3, 4),), {"decimals": 2}, "decimals")],
          Round, gradgrad=False)
def round(input, *, decimals=0):
    """Round half to even, as `torch.round`; `decimals` rounds to that many places."""
    if not isinstance(decimals, int) or isinstance(decimals, bool):
        raise DTypeError(f"round: decimals must be an int, got {type(decimals).__name__}")
    if decimals and not input.is_floating_point():
        raise DTypeError(f"round: decimals={decimals} is not implemented for {input.dtype} tensors (as in PyTorch)")
    return Round.apply(input, decimals=decimals)


def _clamp_samples(make):
    return [Sample((make.away(3, 4),), {"min": -1.0, "max": 1.0}, "both"),
            Sample((make.away(3, 4),), {"min": 0.0}, "min"),
            Sample((make.away(4, 3, noncontig=True),), {"max": 0.0}, "max"),
            Sample((make(0, 3),), {"min": -1.0, "max": 1.0}, "empty")]


@register("clamp", _clamp_samples, Clamp)
def clamp(input, min=None, max=None):
    """Limit values to [min, max]; `min`/`max` may be numbers or tensors (broadcast)."""
    if min is None and max is None:
        raise ArgumentError("clamp: at least one of min and max must be given")
    for name, v in (("min", min), ("max", max)):
        if not (v is None or isinstance(v, Tensor) or dtypes.scalar_kind(v) is not None):
            raise DTypeError(f"clamp: {name} must be a number or a tensor, got {type(v).__name__}")
    if hasattr(min, "_data") or hasattr(max, "_data"):
        return _clamp_by_tensors(input, min, max)
    return Clamp.apply(input, min=min, max=max)


def _clamp_by_tensors(x, lo, hi):
    """`min(max(x, lo), hi)` with PyTorch's gradients: to x where lo <= x <= hi, to lo where x < lo,
    to hi where x > hi (ties go to x; a NaN anywhere gives NaN and no gradient)."""
    detach = lambda v: v.detach() if hasattr(v, "_data") else v  # noqa: E731
    value = detach(x)  # the value, NaNs included, without a gradient
    value = value if lo is None else binary.maximum(value, detach(lo))
    value = value if hi is None else binary.minimum(value, detach(hi))
    keep = True
    if lo is not None:
        keep = (x >= lo).detach()
    if hi is not None:
        keep = keep & (x <= hi).detach()
    rest = value
    if lo is not None:  # (with lo > hi, PyTorch's value there is hi)
        rest = binary.where((x < lo).detach(), lo if hi is None else binary.minimum(lo, hi), rest)
    if hi is not None:
        rest = binary.where((x > hi).detach(), hi, rest)
    return binary.where(keep, x, rest)


clip = clamp


@register("square", unary_samples)
def square(input):
    """`input * input`; a bool input gives int64, as `torch.square` (it is `pow(input, 2)`)."""
    if isinstance(input, Tensor) and input.dtype is dtypes.bool_:
        input = input.to(dtypes.int64)
    return input * input
