"""Inverse trigonometric and hyperbolic functions, `atan2`, and the composites built on them
(`hypot`, `sinc`, `deg2rad`, `rad2deg`), with NumPy's aliases (`arcsin`, ...) as PyTorch has them.

    >>> import ember
    >>> ember.atan2(ember.tensor([1.0]), ember.tensor([-1.0]))
    tensor([2.3562])
"""
import math

from ember.autograd.function import Function
from ember.autograd.checks import broadcast_shapes
from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.ops import binary, unary
from ember.ops._util import common, float_arrays, floating, operands
from ember.ops.registry import Sample, binary_samples, register, unary_samples

__all__ = ["sinh", "cosh", "asin", "acos", "atan", "asinh", "acosh", "atanh", "atan2", "arcsin", "arccos", "arctan",
           "arcsinh", "arccosh", "arctanh", "arctan2", "hypot", "sinc", "deg2rad", "rad2deg"]
METHODS = ("sinh cosh asin acos atan asinh acosh atanh atan2 arcsin arccos arctan arcsinh arccosh arctanh arctan2 "
           "hypot sinc deg2rad rad2deg")
INPLACE = ("sinh cosh asin acos atan asinh acosh atanh atan2 arcsin arccos arctan arcsinh arccosh arctanh arctan2 "
           "hypot sinc deg2rad rad2deg")


class Sinh(Function):
    def forward(self, x):
        return self.xp.sinh(floating(x))

    def backward(self, g):
        return g * self.inputs[0].cosh()


class Cosh(Function):
    def forward(self, x):
        return self.xp.cosh(floating(x))

    def backward(self, g):
        return g * self.inputs[0].sinh()


class Asin(Function):
    def forward(self, x):
        return self.xp.arcsin(floating(x))

    def backward(self, g):
        x = self.inputs[0]
        return g * (1 - x * x).rsqrt()


class Acos(Function):
    def forward(self, x):
        return self.xp.arccos(floating(x))

    def backward(self, g):
        x = self.inputs[0]
        return -g * (1 - x * x).rsqrt()


class Atan(Function):
    def forward(self, x):
        return self.xp.arctan(floating(x))

    def backward(self, g):
        x = self.inputs[0]
        return g / (1 + x * x)


class Asinh(Function):
    def forward(self, x):
        return self.xp.arcsinh(floating(x))

    def backward(self, g):
        x = self.inputs[0]
        return g * (x * x + 1).rsqrt()


class Acosh(Function):
    def forward(self, x):
        return self.xp.arccosh(floating(x))

    def backward(self, g):
        x = self.inputs[0]
        return g * (x * x - 1).rsqrt()


class Atanh(Function):
    def forward(self, x):
        return self.xp.arctanh(floating(x))

    def backward(self, g):
        x = self.inputs[0]
        return g / (1 - x * x)


class Atan2(Function):
    def forward(self, a, b):
        a, b = operands("atan2", *float_arrays(a, b))
        return self.xp.arctan2(floating(a), floating(b))

    def backward(self, g):
        a, b = self.inputs
        denom = a * a + b * b
        return g * b / denom, -g * a / denom  # the engine sums broadcast gradients back to each input's shape


def _unary(name, cls, low=-2.0, high=2.0):
    def op(input):
        return cls.apply(input)
    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise {name}, as `torch.{name}`."
    return register(name, lambda make: unary_samples(make, low, high), cls)(op)


sinh = _unary("sinh", Sinh)
cosh = _unary("cosh", Cosh)
asin = _unary("asin", Asin, -0.9, 0.9)
acos = _unary("acos", Acos, -0.9, 0.9)
atan = _unary("atan", Atan)
asinh = _unary("asinh", Asinh)
acosh = _unary("acosh", Acosh, 1.2, 3.0)
atanh = _unary("atanh", Atanh, -0.9, 0.9)


@register("atan2", lambda make: binary_samples(make, 0.3, 2.0, scalar=None), Atan2)
def atan2(input, other):
    """The angle of the point (other, input), in (-pi, pi]: `atan(input / other)` in the right quadrant."""
    return Atan2.apply(input, other)


arcsin, arccos, arctan, arcsinh, arccosh, arctanh, arctan2 = asin, acos, atan, asinh, acosh, atanh, atan2


class Hypot(Function):
    """C's hypot (inf with a NaN is inf; no overflow in the squares). PyTorch's gradients: x / out, y / out."""

    def forward(self, a, b):
        if a.shape != b.shape:
            broadcast_shapes("hypot", a.shape, b.shape)
        self.y = self.xp.hypot(a, b)
        return self.y

    def backward(self, g):
        a, b = self.inputs
        y = self.output(self.y)
        return g * a / y, g * b / y


@register("hypot", lambda make: binary_samples(make, 0.3, 2.0, scalar=None), Hypot)
def hypot(input, other):
    """`sqrt(input**2 + other**2)`, elementwise with broadcasting, as C's hypot (computed in float64 and
    rounded once, as PyTorch computes float16/bfloat16 in float32)."""
    (a, b), dt = common(input, other, to_float=True)
    like = a if isinstance(a, Tensor) else b
    a, b = (v.double() if isinstance(v, Tensor) else like.new_full((), float(v), dtype=dtypes.float64)
            for v in (a, b))
    return Hypot.apply(a, b).to(dt)


@register("sinc", lambda make: unary_samples(make, 0.2, 2.0) + [Sample((make.away(3, 4),), name="signs")])
def sinc(input):
    """`sin(pi x) / (pi x)`, and 1 at x = 0 (the normalized sinc)."""
    x = floating_tensor(input) * math.pi
    safe = binary.where(x == 0, 1.0, x)
    return binary.where(x == 0, 1.0, unary.sin(safe) / safe)


@register("deg2rad", unary_samples)
def deg2rad(input):
    """Degrees to radians."""
    return floating_tensor(input) * (math.pi / 180)


@register("rad2deg", unary_samples)
def rad2deg(input):
    """Radians to degrees."""
    return floating_tensor(input) * (180 / math.pi)


def floating_tensor(x):
    """An integer or bool tensor in the default float dtype (as PyTorch's float-valued ops compute)."""
    return x if x.is_floating_point() else x.float()
