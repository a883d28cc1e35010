"""Exponential, Laplace, Cauchy, Gumbel, HalfNormal and LogNormal, as in `torch.distributions`: PyTorch's
parameters, formulas, supports and reparameterized sampling.

    >>> import ember
    >>> ember.distributions.Laplace(0.0, 1.0).entropy()
    tensor(1.6931)
"""
import math

from ember.distributions.continuous import _POSITIVE, _REAL, LocScale, Normal
from ember.distributions.distribution import Distribution, broadcast_all
from ember.ops.binary import where
from ember.ops.creation import rand

__all__ = ["Exponential", "Laplace", "Cauchy", "Gumbel", "HalfNormal", "LogNormal"]

_NONNEGATIVE = ("GreaterThanEq(lower_bound=0.0)", lambda self, v: v >= 0)
EULER = 0.57721566490153286060


def _uniform(d, sample_shape, like, low=0.0):
    """U[low, 1) samples of d's extended shape, in `like`'s dtype; never exactly `low`."""
    u = rand(d._extended_shape(sample_shape), dtype=like.dtype, device=like.device)
    tiny = 1e-7 if like.dtype.itemsize <= 4 else 1e-16
    return (u * (1 - low) + low).clamp(min=low + tiny)


class Exponential(Distribution):
    """Exponential(rate): density rate * exp(-rate * x) on x >= 0."""
    arg_constraints = {"rate": _POSITIVE}
    support = _NONNEGATIVE
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    mean = property(lambda self: self.rate.reciprocal())
    mode = property(lambda self: self.rate * 0)
    stddev = property(lambda self: self.rate.reciprocal())
    variance = property(lambda self: self.rate ** -2)

    def rsample(self, sample_shape=()):
        return -_uniform(self, sample_shape, self.rate).log() / self.rate

    def log_prob(self, value):
        self._validate_sample(value)
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        self._validate_sample(value)
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()


class Laplace(LocScale):
    """Laplace(loc, scale): density exp(-|x - loc| / scale) / (2 scale)."""
    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: math.sqrt(2) * self.scale)
    variance = property(lambda self: 2 * self.scale ** 2)

    def rsample(self, sample_shape=()):
        u = _uniform(self, sample_shape, self.loc, low=-1.0)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        self._validate_sample(value)
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        self._validate_sample(value)
        z = value - self.loc
        return 0.5 - 0.5 * z.sign() * (-z.abs() / self.scale).expm1()

    def icdf(self, value):
        term = value - 0.5
        return self.loc - self.scale * term.sign() * (-2 * term.abs()).log1p()

    def entropy(self):
        return 1 + (2 * self.scale).log()


class Cauchy(LocScale):
    """Cauchy(loc, scale): no mean or variance (NaN and inf, as PyTorch)."""
    mean = property(lambda self: self.loc * float("nan"))
    mode = property(lambda self: self.loc)
    variance = property(lambda self: self.loc * 0 + float("inf"))

    def rsample(self, sample_shape=()):
        u = _uniform(self, sample_shape, self.loc)
        return self.loc + self.scale * (math.pi * (u - 0.5)).tan()

    def log_prob(self, value):
        self._validate_sample(value)
        return -math.log(math.pi) - self.scale.log() - (((value - self.loc) / self.scale) ** 2).log1p()

    def cdf(self, value):
        self._validate_sample(value)
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value):
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc

    def entropy(self):
        return math.log(4 * math.pi) + self.scale.log()


class Gumbel(LocScale):
    """Gumbel(loc, scale): the distribution of maxima."""
    mean = property(lambda self: self.loc + self.scale * EULER)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: (math.pi / math.sqrt(6)) * self.scale)
    variance = property(lambda self: self.stddev ** 2)

    def rsample(self, sample_shape=()):
        u = _uniform(self, sample_shape, self.loc)
        return self.loc - self.scale * (-u.log()).log()

    def log_prob(self, value):
        self._validate_sample(value)
        z = (value - self.loc) / self.scale
        return -(self.scale.log() + z + (-z).exp())

    def entropy(self):
        return self.scale.log() + (1 + EULER)


class HalfNormal(Distribution):
    """|X| for X ~ Normal(0, scale)."""
    arg_constraints = {"scale": _POSITIVE}
    support = _NONNEGATIVE
    has_rsample = True

    def __init__(self, scale, validate_args=None):
        (self.scale,) = broadcast_all(scale)
        self.base_dist = Normal(0 * self.scale, self.scale, validate_args=False)
        super().__init__(self.scale.shape, (), validate_args)

    mean = property(lambda self: self.scale * math.sqrt(2 / math.pi))
    mode = property(lambda self: self.scale * 0)
    variance = property(lambda self: self.scale ** 2 * (1 - 2 / math.pi))

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value):
        self._validate_sample(value)
        lp = self.base_dist.log_prob(value) + math.log(2)
        return where(value >= 0, lp, float("-inf"))

    def cdf(self, value):
        self._validate_sample(value)
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob):
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self):
        return self.base_dist.entropy() - math.log(2)


class LogNormal(LocScale):
    """exp(X) for X ~ Normal(loc, scale)."""
    support = _POSITIVE

    def __init__(self, loc, scale, validate_args=None):
        super().__init__(loc, scale, validate_args)
        self.base_dist = Normal(self.loc, self.scale, validate_args=False)

    mean = property(lambda self: (self.loc + self.scale ** 2 / 2).exp())
    mode = property(lambda self: (self.loc - self.scale ** 2).exp())
    variance = property(lambda self: (self.scale ** 2).expm1() * (2 * self.loc + self.scale ** 2).exp())

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape).exp()

    def log_prob(self, value):
        self._validate_sample(value)
        return self.base_dist.log_prob(value.log()) - value.log()

    def entropy(self):
        return self.base_dist.entropy() + self.loc
