"""Keras's less common activations, as compositions of ember ops (differentiable, traceable);
`keras.activations` exports them with the common ones.

    >>> keras.activations.hard_sigmoid(ember.tensor([-3.0, 0.0, 3.0]))
    tensor([0.0000, 0.5000, 1.0000])
"""
from ember.nn import functional as F
from ember.keras.numerics import quietly
from ember.ops.binary import minimum, where
from ember.ops.unary import clamp

__all__ = ["celu", "exponential", "glu", "hard_sigmoid", "hard_silu", "hard_swish", "hard_tanh", "log_sigmoid", "mish",
           "relu6", "soft_shrink", "hard_shrink", "softsign", "tanh_shrink", "threshold", "squareplus",
           "sparse_plus", "sparse_sigmoid"]


@quietly
def celu(x, alpha=1.0):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""
    return F.relu(x) + minimum((x / alpha).exp() * alpha - alpha, x * 0)


@quietly
def exponential(x):
    """exp(x)."""
    return x.exp()


def glu(x, axis=-1):
    """a * sigmoid(b), with a and b the two halves of `x` along `axis`."""
    a, b = x.chunk(2, axis)
    return a * F.sigmoid(b)


def relu6(x):
    """min(max(x, 0), 6)."""
    return clamp(x, 0.0, 6.0)


def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    return relu6(x + 3.0) * (1.0 / 6.0)


def hard_silu(x):
    """x * hard_sigmoid(x)."""
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def hard_tanh(x):
    """x clipped to [-1, 1]."""
    return clamp(x, -1.0, 1.0)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -F.softplus(-x)


def mish(x):
    """x * tanh(softplus(x))."""
    return x * F.softplus(x).tanh()


def soft_shrink(x, threshold=0.5):
    """x - threshold above it, x + threshold below -threshold, 0 between."""
    return where(x > threshold, x - threshold, where(x < -threshold, x + threshold, x * 0))


def hard_shrink(x, threshold=0.5):
    """x where |x| > threshold, else 0."""
    return where(x.abs() > threshold, x, x * 0)


def softsign(x):
    """x / (1 + |x|)."""
    return x / (x.abs() + 1.0)


def tanh_shrink(x):
    """x - tanh(x)."""
    return x - x.tanh()


def threshold(x, threshold, default_value):
    """x where x > threshold, else default_value."""
    return where(x > threshold, x, x * 0 + default_value)


def squareplus(x, b=4):
    """(x + sqrt(x^2 + b)) / 2."""
    return (x + (x * x + b).sqrt()) * 0.5


def sparse_plus(x):
    """0 for x <= -1, x for x >= 1, (x + 1)^2 / 4 between."""
    return where(x <= -1, x * 0, where(x >= 1, x, (x + 1) * (x + 1) * 0.25))


def sparse_sigmoid(x):
    """0 for x <= -1, 1 for x >= 1, (x + 1) / 2 between."""
    return clamp((x + 1) * 0.5, 0.0, 1.0)


