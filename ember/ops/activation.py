"""Activation functions with PyTorch's names and arguments: GELU, SiLU, Mish, Softplus, the
ELU family, the hard and shrinking functions, GLU and PReLU (softmax is in ember.ops.softmax).

Each exp-based function is computed stably (exponentials of non-positive numbers
only), so float32 inputs up to 1e4 in magnitude give finite values and gradients.
`inplace=True` overwrites the input, as in PyTorch.

    >>> import ember
    >>> ember.nn.functional.gelu(ember.tensor([-1.0, 0.0, 1.0]))
    tensor([-0.1587,  0.    ,  0.8413])
"""
import math

import numpy as np

from ember.autograd.checks import normalize_dim
from ember.autograd.function import Function
from ember.autograd.tensor import Tensor
from ember.backend import special
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops import binary
from ember.ops._args import same_dtype
from ember.ops._util import const
from ember.ops.registry import Sample, register, unary_samples

__all__ = ["selu", "celu", "prelu"]
METHODS = "prelu"
INPLACE = ""
FUNCTIONAL = ("gelu silu mish softplus leaky_relu leaky_relu_ elu elu_ selu selu_ "
              "celu celu_ hardtanh hardtanh_ relu6 hardsigmoid hardswish logsigmoid softsign tanhshrink glu prelu")

SQRT_2_PI = math.sqrt(2.0 / math.pi)
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946


def need_float(op, input):
    if not isinstance(input, Tensor):
        raise DTypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not input.dtype.is_floating_point:
        raise DTypeError(f"{op}: expected a floating point input, got {input.dtype}; use .float()")


def _sigmoid(xp, x):
    e = xp.exp(-xp.abs(x))
    return xp.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)


def _stable_softplus(xp, z):
    """log(1 + exp(z)) without overflow: max(z, 0) + log1p(exp(-|z|))."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


class Gelu(Function):
    def forward(self, x, approximate="none"):
        xp = self.xp
        if approximate == "tanh":
            return (0.5 * x * (1 + xp.tanh(SQRT_2_PI * (x + 0.044715 * x ** 3)))).astype(x.dtype, copy=False)
        return (0.5 * x * (1 + special.erf(xp, x * (1 / math.sqrt(2.0))))).astype(x.dtype, copy=False)

    def backward(self, g):
        x = self.inputs[0]
        if self.attrs.get("approximate") == "tanh":
            t = (SQRT_2_PI * (x + 0.044715 * x ** 3)).tanh()
            return g * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_PI * (1 + 3 * 0.044715 * x * x))
        cdf = 0.5 * (1 + (x * (1 / math.sqrt(2.0))).erf())
        pdf = (-0.5 * x * x).exp() * (1 / math.sqrt(2 * math.pi))
        return g * (cdf + x * pdf)


class Silu(Function):
    def forward(self, x):
        return x * _sigmoid(self.xp, x)

    def backward(self, g):
        x = self.inputs[0]
        s = x.sigmoid()
        return g * s * (1 + x * (1 - s))


class Mish(Function):
    def forward(self, x):
        return x * self.xp.tanh(_stable_softplus(self.xp, x))

    def backward(self, g):
        x = self.inputs[0]
        t = softplus(x, threshold=math.inf).tanh()
        return g * (t + x * x.sigmoid() * (1 - t * t))


class Softplus(Function):
    def forward(self, x, beta=1.0, threshold=20.0):
        z = x * beta
        self.linear = z > threshold
        return self.xp.where(self.linear, x, _stable_softplus(self.xp, z) / beta).astype(x.dtype, copy=False)

    def backward(self, g):
        x = self.inputs[0]
        return g * binary.where(const(self.linear, g), 1.0, (x * self.attrs.get("beta", 1.0)).sigmoid())


class LogSigmoid(Function):
    def forward(self, x):
        return self.xp.minimum(x, 0) - self.xp.log1p(self.xp.exp(-self.xp.abs(x)))

    def backward(self, g):
        return g * (-self.inputs[0]).sigmoid()


class Elu(Function):
    """PyTorch's ELU family in one: `scale * (x if x > 0 else alpha * (exp(x * input_scale) - 1))`."""

    def forward(self, x, alpha=1.0, scale=1.0, input_scale=1.0):
        self.positive = ~(x <= 0)  # a NaN takes the linear branch's gradient, as in PyTorch
        neg = self.xp.expm1(self.xp.minimum(x, 0) * input_scale) * alpha
        return (self.xp.where(self.positive, x, neg) * scale).astype(x.dtype, copy=False)

    def backward(self, g):
        x, a = self.inputs[0], self.attrs
        alpha, scale, inscale = a.get("alpha", 1.0), a.get("scale", 1.0), a.get("input_scale", 1.0)
        slope = (x.clamp(max=0) * inscale).exp() * (alpha * inscale * scale)
        return g * binary.where(const(self.positive, g), scale, slope)


# --- piecewise-linear activations --------------------------------------------------

class LeakyRelu(Function):
    save_inputs = False

    def forward(self, x, negative_slope=0.01):
        self.positive = x > 0
        return self.xp.where(self.positive, x, x * negative_slope).astype(x.dtype, copy=False)

    def backward(self, g):
        slope = self.attrs.get("negative_slope", 0.01)
        return g * const(self.xp.where(self.positive, 1.0, slope).astype(g._data.dtype), g)


class Hardtanh(Function):
    save_inputs = False

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.inside = ~((x <= min_val) | (x >= max_val))  # a NaN passes its gradient, as in PyTorch
        return self.xp.clip(x, min_val, max_val).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * const(self.inside, g)


class Hardsigmoid(Function):
    save_inputs = False

    def forward(self, x):
        self.inside = (x > -3) & (x < 3)
        return (self.xp.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    def backward(self, g):
        return g * const(self.inside, g) * (1 / 6)


class Hardswish(Function):
    def forward(self, x):
        return (x * self.xp.clip(x + 3, 0, 6) / 6).astype(x.dtype, copy=False)

    def backward(self, g):
        x = self.inputs[0]
        xd = x._data  # PyTorch's slopes: 0 up to -3, x/3 + 1/2 strictly between, 1 from 3 on (and for NaN)
        middle = (xd > -3) & (xd < 3)
        return g * binary.where(const(middle, g), x / 3 + 0.5, const((~middle & ~(xd <= -3)).astype(xd.dtype), g))


# --- the public functions -----------------------------------------------------------

def _run(op, cls, input, inplace=False, **attrs):
    """`cls` on a floating `input`; with `inplace`, the result is written back into `input`."""
    need_float(op, input)
    for name, value in attrs.items():
        if name == "approximate":
            continue
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise ArgumentError(f"{op}: {name} must be a number, got {type(value).__name__} {value!r}")
    if not inplace:
        return cls.apply(input, **attrs)
    record = input.requires_grad
    return input._inplace(cls.apply(input._snapshot(record) if record else input, **attrs), op + "_")


_EXTREME = [-1e4, -1e3, -88.7, -20.0, -1.5, 0.5, 20.0, 88.7, 1e3, 1e4]


def _samples(low=-2.0, high=2.0, extreme=True, **kwargs):
    """Elementwise samples (STYLE.md 3), with `kwargs` on each, and values up to 1e4 with `extreme`."""
    def samples(make):
        out = [Sample(s.args, dict(kwargs), s.name) for s in unary_samples(make, low, high)]
        if extreme:
            out.append(Sample((np.array(_EXTREME, make.dtype),), dict(kwargs), "extreme"))
        return out
    return samples


def _kinked(*points, low=-2.0, high=2.0, **kwargs):
    """Samples of a piecewise function whose kinks (`points`) they keep away from."""
    def samples(make):
        out = _samples(low, high, **kwargs)(make)
        for s in out:
            for p in points:
                near = np.abs(s.args[0] - p) < 1e-3
                s.args[0][near] += np.asarray(0.01, make.dtype)
        return out
    return samples


@register("gelu", lambda make: _samples()(make) + _samples(approximate="tanh")(make), Gelu, ref="nn.functional.gelu")
def gelu(input, approximate="none"):
    """`x * Phi(x)` with Phi the standard normal CDF; `approximate='tanh'` uses the tanh formula.

        >>> ember.nn.functional.gelu(ember.tensor([1.0]), approximate="tanh")
        tensor([0.8412])
    """
    if approximate not in ("none", "tanh"):
        raise ArgumentError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return _run("gelu", Gelu, input, approximate=approximate)


@register("silu", _samples(), Silu, ref="nn.functional.silu")
def silu(input, inplace=False):
    """`x * sigmoid(x)` (also called swish)."""
    return _run("silu", Silu, input, inplace)


@register("mish", _samples(), Mish, ref="nn.functional.mish")
def mish(input, inplace=False):
    """`x * tanh(softplus(x))`."""
    return _run("mish", Mish, input, inplace)


@register("softplus", lambda make: _samples()(make) + _samples(beta=2.0, threshold=3.0)(make)[:2],
          Softplus, ref="nn.functional.softplus")
def softplus(input, beta=1.0, threshold=20.0):
    """`log(1 + exp(beta * x)) / beta`, and `x` itself where `beta * x > threshold`."""
    if beta == 0:
        raise ArgumentError("softplus: beta must be non-zero")
    return _run("softplus", Softplus, input, beta=beta, threshold=threshold)


@register("logsigmoid", _samples(), LogSigmoid, ref="nn.functional.logsigmoid")
def logsigmoid(input):
    """`log(sigmoid(x))`, finite for every finite x."""
    return _run("logsigmoid", LogSigmoid, input)


@register("elu", lambda make: _samples()(make) + _samples(alpha=0.5)(make)[:1], Elu, ref="nn.functional.elu")
def elu(input, alpha=1.0, inplace=False):
    """`x` for x > 0, else `alpha * (exp(x) - 1)`."""
    return _run("elu", Elu, input, inplace, alpha=alpha)


@register("selu", _samples(), ref="selu")
def selu(input, inplace=False):
    """`scale * elu(x, alpha)` with the self-normalizing constants of Klambauer et al. (2017)."""
    return _run("selu", Elu, input, inplace, alpha=SELU_ALPHA, scale=SELU_SCALE)


@register("celu", lambda make: _samples()(make) + _samples(alpha=2.0)(make)[:1], ref="celu")
def celu(input, alpha=1.0, inplace=False):
    """`max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`; alpha must be non-zero."""
    if isinstance(alpha, (int, float)) and alpha == 0:
        raise ArgumentError("celu: alpha must be non-zero (it divides the input)")
    return _run("celu", Elu, input, inplace, alpha=alpha, input_scale=1.0 / alpha if alpha else 1.0)


@register("leaky_relu",
          lambda make: _kinked(0.0)(make) + _kinked(0.0, negative_slope=0.2)(make)[:1], LeakyRelu, ref="nn.functional.leaky_relu")
def leaky_relu(input, negative_slope=0.01, inplace=False):
    """`x` for x > 0, else `negative_slope * x`."""
    return _run("leaky_relu", LeakyRelu, input, inplace, negative_slope=negative_slope)


@register("hardtanh",
          lambda make: _kinked(-1.0, 1.0)(make) + _kinked(-0.5, 1.5, min_val=-0.5, max_val=1.5)(make)[:1],
          Hardtanh, ref="nn.functional.hardtanh")
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """`x` clipped to [min_val, max_val]; the gradient is 1 strictly inside, else 0."""
    if isinstance(min_val, (int, float)) and isinstance(max_val, (int, float)) and max_val < min_val:
        raise ArgumentError(f"hardtanh: max_val ({max_val}) must be greater than or equal to min_val ({min_val})")
    return _run("hardtanh", Hardtanh, input, inplace, min_val=min_val, max_val=max_val)


@register("relu6", _kinked(0.0, 6.0, low=-8.0, high=8.0), ref="nn.functional.relu6")
def relu6(input, inplace=False):
    """`min(max(0, x), 6)`."""
    return _run("relu6", Hardtanh, input, inplace, min_val=0.0, max_val=6.0)


@register("hardsigmoid", _kinked(-3.0, 3.0, low=-4.0, high=4.0), Hardsigmoid, ref="nn.functional.hardsigmoid")
def hardsigmoid(input, inplace=False):
    """`relu6(x + 3) / 6`."""
    return _run("hardsigmoid", Hardsigmoid, input, inplace)


@register("hardswish", _kinked(-3.0, 3.0, low=-4.0, high=4.0), Hardswish, ref="nn.functional.hardswish")
def hardswish(input, inplace=False):
    """`x * relu6(x + 3) / 6`."""
    return _run("hardswish", Hardswish, input, inplace)


def leaky_relu_(input, negative_slope=0.01):
    """In-place `leaky_relu`."""
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input, alpha=1.0):
    """In-place `elu`."""
    return elu(input, alpha, inplace=True)


def selu_(input):
    """In-place `selu`."""
    return selu(input, inplace=True)


def celu_(input, alpha=1.0):
    """In-place `celu`."""
    return celu(input, alpha, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place `hardtanh`."""
    return hardtanh(input, min_val, max_val, inplace=True)


# --- composites ----------------------------------------------------------------------

@register("softsign", _samples(), ref="nn.functional.softsign")
def softsign(input):
    """`x / (1 + |x|)`."""
    need_float("softsign", input)
    return input / (input.abs() + 1)


@register("tanhshrink", _samples(), ref="nn.functional.tanhshrink")
def tanhshrink(input):
    """`x - tanh(x)`."""
    need_float("tanhshrink", input)
    return input - input.tanh()


def _glu_samples(make):
    return [Sample((make(3, 4),), name="last"), Sample((make(4, 3),), {"dim": 0}, "dim0"),
            Sample((make(2, 6, 3, noncontig=True),), {"dim": 1}, "noncontig"),
            Sample((make(0, 4),), name="empty")]


@register("glu", _glu_samples, ref="nn.functional.glu")
def glu(input, dim=-1):
    """`a * sigmoid(b)` where `a` and `b` are the two halves of `input` along `dim`.

        >>> ember.nn.functional.glu(ember.tensor([1.0, 0.0])).shape
        ember.Size([1])
    """
    need_float("glu", input)
    if input.ndim == 0:
        raise ShapeError("glu: does not support 0-d tensors; the input needs a dimension to halve")
    d = normalize_dim(dim, input.ndim, "glu")
    n = input.shape[d]
    if n % 2:
        raise ShapeError(f"glu: the halved dimension must be even, but dim {d} of the input of shape "
                         f"{tuple(input.shape)} has size {n}")
    a, b = input.narrow(d, 0, n // 2), input.narrow(d, n // 2, n // 2)  # split(0) of an empty dim is one piece
    return a * b.sigmoid()


def _prelu_samples(make):
    return [Sample((make.away(3, 4), make(4)), name="channels"), Sample((make.away(3, 4), make(1)), name="shared"),
            Sample((make.away(2, 3, 4, noncontig=True), make(3)), name="noncontig-3d"),
            Sample((make.away(2, 3, 2, 2), make(3)), name="4d"), Sample((make.away(5), make(1)), name="1d"),
            Sample((make(0, 4), make(4)), name="empty")]


@register("prelu", _prelu_samples)
def prelu(input, weight):
    """`x` for x > 0, else `weight * x`; `weight` has one entry, or one per channel (dim 1).

        >>> ember.prelu(ember.tensor([[-2.0, 3.0]]), ember.tensor([0.25]))
        tensor([[-0.5,  3. ]])
    """
    need_float("prelu", input)
    if not isinstance(weight, Tensor):
        raise DTypeError(f"prelu: weight must be a Tensor, got {type(weight).__name__}")
    same_dtype("prelu", input=input, weight=weight)
    if weight.ndim > 1:
        raise ShapeError(f"prelu: weight must be 0-d or 1-d, got shape {tuple(weight.shape)}")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.numel() != 1 and weight.numel() != channels:
        raise ShapeError(f"prelu: weight of shape {tuple(weight.shape)} has {weight.numel()} entries; it needs 1 "
                         f"or one per channel ({channels} for the input of shape {tuple(input.shape)})")
    if weight.numel() != 1 or weight.ndim > input.ndim:
        weight = weight.reshape([channels if i == 1 else 1 for i in range(input.ndim)] if input.ndim >= 2
                                else [1] * input.ndim)
    positive = input > 0
    # weight scales the negative part only, so its gradient is 0 (not 0 * inf) where input is +inf, as PyTorch
    return binary.where(positive, input, weight * binary.where(positive, 0, input))
