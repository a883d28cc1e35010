"""More elementwise math with PyTorch's names: special functions (`erfc`, `erfinv`, `lgamma`, `digamma`,
`polygamma`, `mvlgamma`, `i0`), logs (`log10`, `logit`, `xlogy`, `logaddexp`, `logaddexp2`), and
binary functions (`fmod`, `copysign`, `fmax`, `fmin`, `heaviside`, `gcd`, `lcm`, `ldexp`,
`float_power`, `nextafter`), `frac`, `nan_to_num`, `positive`, `rsub`.

The special functions run on SciPy (the `fast` extra); without it they raise with the install hint.

    >>> import ember
    >>> ember.logaddexp(ember.tensor([0.0]), ember.tensor([0.0]))
    tensor([0.6931])
"""
import math

import ml_dtypes
import numpy as np

from ember.autograd.checks import broadcast_shapes
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.errors import ArgumentError, DTypeError, EmberError
from ember.ops import binary, unary
from ember.ops._args import need_number, same_dtype
from ember.ops._util import common, const, data, float_arrays, floating, int_divisor, opmath, operands
from ember.ops.registry import Sample, binary_samples, register, unary_samples

__all__ = ["erfc", "erfinv", "lgamma", "digamma", "polygamma", "mvlgamma", "i0", "log10", "logit", "xlogy",
           "logaddexp", "logaddexp2", "fmod", "copysign", "fmax", "fmin", "heaviside", "gcd", "lcm", "ldexp",
           "float_power", "nextafter", "frac", "nan_to_num", "positive", "rsub"]
METHODS = ("erfc erfinv lgamma digamma mvlgamma i0 log10 logit xlogy logaddexp logaddexp2 fmod copysign "
           "fmax fmin heaviside gcd lcm ldexp float_power nextafter frac nan_to_num positive")
INPLACE = ("erfc erfinv lgamma digamma mvlgamma i0 log10 logit xlogy fmod copysign heaviside gcd lcm ldexp "
           "float_power nextafter frac nan_to_num")


def _scipy(name):
    try:
        from scipy import special
    except ImportError:
        raise EmberError(f"{name}: this special function needs SciPy; install it with `pip install ember[fast]`") \
            from None
    return getattr(special, name)


class _Special(Function):
    fn = None

    def forward(self, x, **kw):
        if self.xp is not np:
            from cupyx.scipy import special as gpu_special
            return getattr(gpu_special, self.fn)(floating(x), **kw)
        x = floating(x)
        return _scipy(self.fn)(x, **kw).astype(x.dtype, copy=False)


class Erfc(_Special):
    fn = "erfc"

    def backward(self, g):
        x = self.inputs[0]
        return g * (-2 / math.sqrt(math.pi)) * (-x * x).exp()


class Erfinv(_Special):
    fn = "erfinv"
    save_inputs = False

    def forward(self, x):
        self.y = super().forward(x)
        return self.y

    def backward(self, g):
        y = self.output(self.y)
        return g * (math.sqrt(math.pi) / 2) * (y * y).exp()


class Lgamma(_Special):
    fn = "gammaln"

    def forward(self, x):
        y = super().forward(x)
        return self.xp.where(x == -math.inf, math.inf, y).astype(y.dtype, copy=False)  # C's lgamma(-inf) (SciPy: -inf)

    def backward(self, g):
        return g * digamma(self.inputs[0])


class Digamma(_Special):
    fn = "digamma"

    def backward(self, g):
        return g * polygamma(1, self.inputs[0])


class Polygamma(Function):
    def forward(self, x, n=0):
        x = floating(x)
        out = _scipy("polygamma")(n, x).astype(x.dtype, copy=False)
        if n == 1 and bool((x < 0).any()):
            # PyTorch's trigamma for x < 0: the reflection pi**2 / sin(pi x)**2 - trigamma(1 - x), in x's
            # dtype; at the poles sin(pi x) is not quite 0, so it is huge rather than inf there (digamma's
            # gradient too)
            w = x.astype(np.float32) if x.dtype.itemsize == 2 else x  # float16/bfloat16 in float32, as PyTorch
            with np.errstate(all="ignore"):
                reflected = np.pi ** 2 / np.sin(np.pi * w) ** 2 - _scipy("polygamma")(1, 1 - w).astype(w.dtype)
            out = np.where(x < 0, reflected.astype(x.dtype, copy=False), out)
        if n >= 2:  # PyTorch's Hurwitz zeta is NaN at +inf (SciPy gives the limit, 0)
            out = np.where(x == np.inf, np.nan, out).astype(out.dtype, copy=False)
        return out

    def backward(self, g):
        return g * Polygamma.apply(self.inputs[0], n=self.attrs["n"] + 1)


class I0(_Special):
    fn = "i0"

    def backward(self, g):
        return g * I1.apply(self.inputs[0])


class I1(_Special):
    fn = "i1"
    internal = True  # i0's derivative; tested through it

    def backward(self, g):
        x = self.inputs[0]  # i1'(x) = i0(x) - i1(x) / x
        return g * (I0.apply(x) - I1.apply(x) / x)


class Fmod(Function):
    def forward(self, a, b):
        int_divisor("fmod", a, b)
        a, b = operands("fmod", a, b)
        return self.xp.fmod(a, b)

    def backward(self, g):
        a, b = self.inputs
        return g, (-g * (a / b).trunc() if hasattr(b, "_data") else None)


class Copysign(Function):
    def forward(self, a, b):
        a, b = operands("copysign", *float_arrays(a, b))
        self.y = self.xp.copysign(a, b).astype(a.dtype, copy=False)
        return self.y

    def backward(self, g):
        # PyTorch's formula: y / x (0 where x is 0, NaN where x is inf or NaN); other gets zeros
        a, b = self.inputs
        x = data(a).astype(self.y.dtype, copy=False)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = self.xp.where(x == 0, 0, self.y / self.xp.where(x == 0, 1, x))
        gb = const(self.xp.zeros(b.shape, b.dtype.np), g) if hasattr(b, "_data") else None
        return g * const(ratio.astype(g.dtype.np, copy=False), g), gb


class _NanIgnoring(Function):
    """fmax/fmin: the other operand where one is NaN; a tie gives input the gradient, as PyTorch."""
    fn = None

    def forward(self, a, b):
        a, b = operands(self.fn, a, b)
        return getattr(self.xp, self.fn)(a, b)

    def backward(self, g):
        a, b = data(self.inputs[0]), data(self.inputs[1])
        first = ((a >= b) if self.fn == "fmax" else (a <= b)) | self.xp.isnan(b)
        w = const(self.xp.broadcast_to(first, g.shape).astype(g.dtype.np), g)
        return g * w, g * (1 - w)


class Fmax(_NanIgnoring):
    fn = "fmax"


class Fmin(_NanIgnoring):
    fn = "fmin"


class _Integral(Function):
    """Functions of integers or with piecewise-constant results: no gradient."""
    differentiable = False
    fn = None

    def forward(self, a, b):
        a, b = operands(self.name, a, b)
        return getattr(self.xp, self.fn)(a, b)


class Heaviside(_Integral):
    name, fn = "heaviside", "heaviside"

    def forward(self, a, b):
        a, b = operands(self.name, a, b)
        # PyTorch's `a == 0 ? b : a > 0`: NaN gives 0 (NumPy's heaviside gives NaN, and a float for integers)
        return self.xp.where(a == 0, b, a > 0).astype(a.dtype, copy=False)


class Gcd(_Integral):
    name, fn = "gcd", "gcd"


class Lcm(_Integral):
    name, fn = "lcm", "lcm"


class Nextafter(_Integral):
    name, fn = "nextafter", "nextafter"


def _unary(name, cls, samples):
    def op(input):
        return cls.apply(input)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name}, as `torch.{name}`."
    return register(name, samples, cls)(op)


erfc = _unary("erfc", Erfc, unary_samples)
erfinv = _unary("erfinv", Erfinv, lambda make: unary_samples(make, -0.9, 0.9))
lgamma = _unary("lgamma", Lgamma, lambda make: unary_samples(make, 0.3, 4.0))
digamma = _unary("digamma", Digamma, lambda make: unary_samples(make, 0.3, 4.0))
i0 = _unary("i0", I0, lambda make: unary_samples(make, 0.2, 3.0))


@register("polygamma", lambda make: [Sample((1, make(3, 4, low=0.3, high=4.0)), name="n1"),
                                     Sample((2, make(4, 3, low=0.5, high=3.0, noncontig=True)), name="n2"),
                                     Sample((0, make(0, 3, low=0.3, high=4.0)), name="empty")], Polygamma)
def polygamma(n, input):
    """The n-th derivative of digamma."""
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise ArgumentError(f"polygamma: n must be a non-negative int, got {n!r}")
    return Polygamma.apply(input, n=n)


def polygamma_method(self, n):
    """`Tensor.polygamma(n)`: the method takes n after the tensor."""
    return polygamma(n, self)


@register("mvlgamma", lambda make: [Sample((make(3, 4, low=2.0, high=4.0),), {"p": 2}, "p2"),
                                    Sample((make(4, 3, low=2.5, high=4.0, noncontig=True),), {"p": 3}, "p3")])
def mvlgamma(input, p):
    """The multivariate log-gamma of dimension p: `sum_i lgamma(x - i/2) + p(p-1)/4 log(pi)`."""
    if not isinstance(p, int) or isinstance(p, bool) or p < 1:
        raise ArgumentError(f"mvlgamma: p must be a positive int, got {p!r}")
    if bool((input <= (p - 1) / 2).any()):
        raise ArgumentError(f"mvlgamma: all elements must be greater than (p-1)/2 = {(p - 1) / 2}")
    total = lgamma(input)
    for i in range(1, p):
        total = total + lgamma(input - i / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


@register("log10", lambda make: unary_samples(make, 0.3, 3.0))
def log10(input):
    """Base-10 logarithm."""
    return unary.log(input) / math.log(10)


@register("logit", lambda make: unary_samples(make, 0.05, 0.95) + [Sample((make(3, 4, low=0.0, high=1.0),),
                                                                           {"eps": 0.1}, "eps")])
def logit(input, eps=None):
    """`log(p / (1 - p))`; with `eps` (>= 0; PyTorch ignores a negative one), p is clamped to [eps, 1 - eps]."""
    eps = None if eps is None else need_number("logit", "eps", eps)
    x = input if input.is_floating_point() else input.float()
    if eps is None or eps < 0:  # outside [0, 1] the value and (as PyTorch) the gradient are NaN
        p = x + binary.where((x < 0) | (x > 1), float("nan"), 0.0).to(x.dtype).detach()
    else:  # outside [eps, 1 - eps] the value is the bound's and the gradient 0 (1/(x(1-x)) inside, as PyTorch)
        inside = ~((x < eps) | (x > 1 - eps))  # NaN counts as inside: NaN value and gradient
        p = binary.where(inside, x, 0.5) + 0.0  # + 0.0: -0.0 becomes 0.0, as PyTorch's clamp makes it (grad +inf)
        bound = binary.where(x < eps, x.new_full((), eps), x.new_full((), 1 - eps))  # (eps > 1/2: below first)
        return binary.where(inside, unary.log(p) - unary.log1p(-p), unary.log(bound) - unary.log1p(-bound))
    return unary.log(p) - unary.log1p(-p)


class Xlogy(Function):
    """`x * log(y)`, 0 where x is 0 and y is not NaN. PyTorch's gradients: log(y) to x (0 where x is 0 and
    y <= 0), x / y to y (NaN at x = y = 0)."""

    def forward(self, x, y, low=None):
        if x.shape != y.shape:
            broadcast_shapes("xlogy", x.shape, y.shape)
        with np.errstate(all="ignore"):
            log = self.xp.log(y)
            if low is not None:
                log = log.astype(getattr(dtypes, low).np).astype(log.dtype)
            return self.xp.where((x == 0) & ~self.xp.isnan(y), x.dtype.type(0), x * log)

    def backward(self, g):
        x, y = self.inputs
        return g * binary.where((x == 0) & (y <= 0), 0.0, unary.log(y)), g * x / y


@register("xlogy", lambda make: [Sample((make(3, 4), make(3, 4, low=0.3, high=2.0)), name="same"),
                                 Sample((np.zeros((2, 3), make.dtype), make(2, 3, low=0.3, high=2.0)), name="zeros",
                                        nograd=(0,))], Xlogy)
def xlogy(input, other):
    """`input * log(other)`, and 0 where input is 0 (unless other is NaN)."""
    (x, y), dt = common(input, other, to_float=True)
    like = x if hasattr(x, "_data") else y
    x, y = (v.to(opmath(dt)) if hasattr(v, "_data") else like.new_full((), float(v), dtype=opmath(dt)) for v in (x, y))
    # float16/bfloat16: PyTorch's kernel rounds log(y) to that dtype before the product
    return Xlogy.apply(x, y, low=dt.name if opmath(dt) is not dt else None).to(dt)


@register("logaddexp", lambda make: binary_samples(make, scalar=None))
def logaddexp(input, other):
    """`log(exp(input) + exp(other))`, computed stably."""
    input, other = _promoted(input, other)
    big = binary.maximum(input, other)
    return big + unary.log1p(unary.exp(-unary.abs(input - other)))


def _promoted(a, b):
    """Both tensors in their result dtype (a bool operand has no subtraction)."""
    dt = dtypes.result_type(data(a), data(b))
    return a.to(dt), b.to(dt)


@register("logaddexp2", lambda make: binary_samples(make, scalar=None))
def logaddexp2(input, other):
    """`log2(2**input + 2**other)`, computed stably."""
    input, other = _promoted(input, other)
    big = binary.maximum(input, other)
    return big + unary.log1p(unary.exp2(-unary.abs(input - other))) / math.log(2)


@register("fmod", lambda make: [Sample((make(3, 4), make.away(3, 4)), name="same"),
                                Sample((make(3, 4), 0.7), name="scalar")], Fmod)
def fmod(input, other):
    """C's `fmod`: the remainder with the sign of the dividend."""
    return Fmod.apply(input, other)


@register("copysign", lambda make: [Sample((make.away(3, 4), make.away(3, 4)), name="same"),
                                    Sample((make.away(3, 1), make.away(1, 4)), name="broadcast")], Copysign)
def copysign(input, other):
    """`|input|` with the sign of `other`."""
    return Copysign.apply(input, other)


def _nan_samples(make):
    a, b = make(3, 4), make(3, 4)
    a[0, 0], b[1, 1] = np.nan, np.nan
    return [Sample((a, b), name="nan"), Sample((make(3, 1), make(1, 4)), name="broadcast")]


@register("fmax", _nan_samples, Fmax)
def fmax(input, other):
    """Elementwise maximum that ignores NaN (NaN only where both are NaN)."""
    return Fmax.apply(input, other)


@register("fmin", _nan_samples, Fmin)
def fmin(input, other):
    """Elementwise minimum that ignores NaN (NaN only where both are NaN)."""
    return Fmin.apply(input, other)


@register("heaviside", lambda make: [Sample((make.ints(3, 4, low=-2, high=3).astype(make.dtype),
                                             make(3, 4)), name="same")], Heaviside, grad=False)
def heaviside(input, values):
    """0 where input < 0, 1 where input > 0, `values` where input == 0 (both of one dtype)."""
    same_dtype("heaviside", input=input, values=values)
    return Heaviside.apply(input, values)


def _int_pairs(make):
    return [Sample((make.ints(3, 4, low=-12, high=13), make.ints(3, 4, low=-12, high=13)), name="ints")]


@register("gcd", _int_pairs, Gcd, grad=False)
def gcd(input, other):
    """Greatest common divisor of integers."""
    _integers("gcd", input, other)
    return Gcd.apply(input, other)


@register("lcm", _int_pairs, Lcm, grad=False)
def lcm(input, other):
    """Least common multiple of integers."""
    _integers("lcm", input, other)
    return Lcm.apply(input, other)


def _integers(op, *xs):
    for x in xs:
        if hasattr(x, "dtype") and (x.dtype.is_floating_point or x.dtype.name == "bool"):
            raise DTypeError(f"{op}: expected integer tensors, got {x.dtype}")


@register("ldexp", lambda make: [Sample((make(3, 4), make.ints(3, 4, low=-3, high=4).astype(make.dtype)),
                                        name="same", nograd=(1,))])
def ldexp(input, other):
    """`input * 2**other`, as PyTorch computes it: exactly, in input's dtype, for a float input and an
    integer exponent; else `input * p` with `p = 2**other`, where `p` is `pow(2.0, other)` for an
    integer or float32 input and a 0-d `2` of input's dtype to the power `other` otherwise (so a
    float64 or float16 input with a 0-d exponent computes `p` in its own precision)."""
    if isinstance(other, Tensor) and other.dtype.name == "bool" and input.is_floating_point():
        raise DTypeError("ldexp: a bool exponent is not supported (as in PyTorch)")
    if not hasattr(input, "_data") or not hasattr(other, "_data"):
        return input * binary.pow(2.0, other)
    if input.is_floating_point() and not other.is_floating_point():
        wide = opmath(input.dtype)  # powers of two are exact there
        return (input.to(wide) * binary.pow(2.0, other.to(wide))).to(input.dtype)
    if not input.is_floating_point() or input.dtype is dtypes.float32:
        return input * binary.pow(2.0, other)
    return input * binary.pow(input.new_full((), 2.0), other)


@register("float_power", lambda make: [Sample((make(3, 4, low=0.5, high=2.0), make(3, 4)), name="same"),
                                       Sample((make(3, 4, low=0.5, high=2.0), 2.5), name="scalar")])
def float_power(input, exponent):
    """`input ** exponent` computed in float64, as PyTorch does."""
    x = input.double() if isinstance(input, Tensor) else float(input)
    e = exponent.double() if hasattr(exponent, "_data") else exponent
    return binary.pow(x, e)


@register("nextafter", lambda make: [Sample((make(3, 4), make(3, 4)), name="same")], Nextafter, grad=False)
def nextafter(input, other):
    """The next representable float after `input` towards `other`."""
    return Nextafter.apply(input, other)


@register("frac", lambda make: [Sample((make.away(3, 4) * 2.3,), name="2d"), Sample((make(0, 3),), name="empty")])
def frac(input):
    """The fractional part, `input - trunc(input)`, with the input's sign."""
    return input - unary.trunc(input).detach()


def _nan_to_num_samples(make):
    a = make(3, 4)
    a[0, 0], a[1, 1], a[2, 2] = np.nan, np.inf, -np.inf
    return [Sample((a,), name="default"), Sample((a,), {"nan": 1.5, "posinf": 9.0, "neginf": -9.0}, "values")]


@register("nan_to_num", _nan_to_num_samples)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """NaN, +inf and -inf replaced by `nan`, `posinf` (default: the dtype's max) and `neginf` (its min)."""
    nan = 0.0 if nan is None else need_number("nan_to_num", "nan", nan)
    for name, v in (("posinf", posinf), ("neginf", neginf)):
        if v is not None:
            need_number("nan_to_num", name, v)
    if not input.is_floating_point():
        return input.clone()
    info = ml_dtypes.finfo(input.dtype.np)  # knows bfloat16 too
    out = binary.where(binary.isnan(input), float(nan), input)
    out = binary.where(out == math.inf, float(info.max if posinf is None else posinf), out)
    return binary.where(out == -math.inf, float(info.min if neginf is None else neginf), out)


@register("positive", unary_samples)
def positive(input):
    """`input` itself (PyTorch refuses bool tensors)."""
    if input.dtype.name == "bool":
        raise DTypeError("positive: bool tensors are not supported")
    return input


@register("rsub", lambda make: binary_samples(make, scalar=None))
def rsub(input, other, alpha=1):
    """`other - alpha * input`."""
    return binary.sub(other, input, alpha=alpha)
