"""Keras's weight initializers, by name or object: `Dense(8, kernel_initializer="he_normal")`.

Fans follow Keras's layouts: a Dense kernel is (in, out); a Conv2D kernel is (kh, kw, in, out),
so fan_in = kh * kw * in and fan_out = kh * kw * out. Random numbers come from ember's default
generator (`ember.manual_seed` or `keras.utils.set_random_seed` make them repeatable).

    >>> w = ember.empty(3, 4)
    >>> _ = keras.initializers.get("glorot_uniform")(w)
    >>> bool((w.abs() <= (6 / 7) ** 0.5).all())
    True
"""
import math

from ember.autograd import no_grad
from ember.errors import ArgumentError
from ember.nn import init

__all__ = ["Initializer", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
           "RandomUniform", "RandomNormal", "Zeros", "Ones", "Constant", "get"]

_TRUNC_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]: Keras rescales by it


def compute_fans(shape):
    """(fan_in, fan_out) of a weight of Keras layout `shape`."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class Initializer:
    """Base class: `initializer(tensor)` fills `tensor` in place and returns it."""

    def __call__(self, tensor):
        with no_grad():
            self.fill(tensor)
        return tensor

    def fill(self, tensor):
        raise NotImplementedError

    def get_config(self):
        return {}


class _VarianceScaling(Initializer):
    scale, mode, distribution = 1.0, "fan_in", "uniform"

    def fill(self, tensor):
        fan_in, fan_out = compute_fans(tensor.shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            init.uniform_(tensor, -limit, limit)
        else:
            std = math.sqrt(variance) / _TRUNC_STD
            init.trunc_normal_(tensor, 0.0, std, -2 * std, 2 * std)


class GlorotUniform(_VarianceScaling):
    """U(-limit, limit) with limit = sqrt(6 / (fan_in + fan_out)): Keras's default kernel initializer."""
    scale, mode, distribution = 1.0, "fan_avg", "uniform"


class GlorotNormal(_VarianceScaling):
    """Truncated normal with std sqrt(2 / (fan_in + fan_out))."""
    scale, mode, distribution = 1.0, "fan_avg", "normal"


class HeUniform(_VarianceScaling):
    """U(-limit, limit) with limit = sqrt(6 / fan_in)."""
    scale, mode, distribution = 2.0, "fan_in", "uniform"


class HeNormal(_VarianceScaling):
    """Truncated normal with std sqrt(2 / fan_in)."""
    scale, mode, distribution = 2.0, "fan_in", "normal"


class LecunUniform(_VarianceScaling):
    """U(-limit, limit) with limit = sqrt(3 / fan_in)."""
    scale, mode, distribution = 1.0, "fan_in", "uniform"


class LecunNormal(_VarianceScaling):
    """Truncated normal with std sqrt(1 / fan_in)."""
    scale, mode, distribution = 1.0, "fan_in", "normal"


class RandomUniform(Initializer):
    """U(minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05):
        self.minval, self.maxval = minval, maxval

    def fill(self, tensor):
        init.uniform_(tensor, self.minval, self.maxval)


class RandomNormal(Initializer):
    """N(mean, stddev^2)."""

    def __init__(self, mean=0.0, stddev=0.05):
        self.mean, self.stddev = mean, stddev

    def fill(self, tensor):
        init.normal_(tensor, self.mean, self.stddev)


class Constant(Initializer):
    """Every element equal to `value`."""

    def __init__(self, value=0.0):
        self.value = value

    def fill(self, tensor):
        init.constant_(tensor, self.value)


class Zeros(Constant):
    """All zeros: Keras's default bias initializer."""

    def __init__(self):
        super().__init__(0.0)


class Ones(Constant):
    """All ones."""

    def __init__(self):
        super().__init__(1.0)


INITIALIZERS = {"glorot_uniform": GlorotUniform, "glorot_normal": GlorotNormal, "he_uniform": HeUniform,
                "he_normal": HeNormal, "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
                "random_uniform": RandomUniform, "random_normal": RandomNormal, "zeros": Zeros, "ones": Ones,
                "constant": Constant}


def get(identifier):
    """An initializer for a name (`"glorot_uniform"`), an `Initializer` or a callable filling a tensor."""
    if isinstance(identifier, str):
        cls = INITIALIZERS.get(identifier) or INITIALIZERS.get(_snake(identifier))
        if cls is None:
            raise ArgumentError(f"keras.initializers.get: unknown initializer {identifier!r}; "
                                f"known names: {', '.join(sorted(INITIALIZERS))}")
        return cls()
    if callable(identifier):
        return identifier
    raise ArgumentError(f"keras.initializers.get: expected a name or a callable, got {type(identifier).__name__}")


def _snake(name):
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
