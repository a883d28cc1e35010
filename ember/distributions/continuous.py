"""Normal, Uniform and Independent, as in `torch.distributions` (same parameters, formulas and shapes).

    >>> import ember
    >>> d = ember.distributions.Normal(ember.tensor([0.0, 1.0]), ember.tensor([1.0, 2.0]))
    >>> d.log_prob(ember.tensor([0.0, 1.0]))
    tensor([-0.9189, -1.6121])
"""
import math

from ember.distributions.distribution import LOG_SQRT_2PI, Distribution, broadcast_all
from ember.errors import ArgumentError
from ember.ops.creation import rand, randn

__all__ = ["Normal", "Uniform", "Independent"]

_REAL = ("Real()", lambda self, v: v == v)  # not NaN
_POSITIVE = ("GreaterThan(lower_bound=0.0)", lambda self, v: v > 0)


class LocScale(Distribution):
    """A real distribution with a real `loc` and a positive `scale`, broadcast together, which samples
    with reparameterization (the base of Normal, Laplace, Cauchy, Gumbel, LogNormal)."""
    arg_constraints = {"loc": _REAL, "scale": _POSITIVE}
    support = _REAL
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)


class Normal(LocScale):
    """The normal distribution N(loc, scale^2); `rsample` is loc + scale * eps."""

    mean = property(lambda self: self.loc)
    mode = property(lambda self: self.loc)
    stddev = property(lambda self: self.scale)
    variance = property(lambda self: self.scale ** 2)

    def rsample(self, sample_shape=()):
        eps = randn(self._extended_shape(sample_shape), dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        self._validate_sample(value)
        return -((value - self.loc) ** 2) / (2 * self.scale ** 2) - self.scale.log() - LOG_SQRT_2PI

    def cdf(self, value):
        self._validate_sample(value)
        return 0.5 * (1 + ((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)).erf())

    def icdf(self, value):
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()


class Uniform(Distribution):
    """The uniform distribution on [low, high); `rsample` is low + (high - low) * u."""
    arg_constraints = {"low": ("LessThan(upper_bound=high)", lambda self, v: v < self.high),
                       "high": ("GreaterThan(lower_bound=low)", lambda self, v: v > self.low)}
    support = ("Interval(low, high)", lambda self, v: (self.low <= v) & (v <= self.high))
    has_rsample = True

    def __init__(self, low, high, validate_args=None):
        self.low, self.high = broadcast_all(low, high)
        super().__init__(self.low.shape, (), validate_args)

    mean = property(lambda self: (self.high + self.low) / 2)
    mode = property(lambda self: self.low * float("nan"))
    stddev = property(lambda self: (self.high - self.low) / 12 ** 0.5)
    variance = property(lambda self: (self.high - self.low) ** 2 / 12)

    def rsample(self, sample_shape=()):
        u = rand(self._extended_shape(sample_shape), dtype=self.low.dtype, device=self.low.device)
        return self.low + u * (self.high - self.low)

    def log_prob(self, value):
        self._validate_sample(value)
        inside = (self.low <= value).to(self.low.dtype) * (self.high > value).to(self.low.dtype)
        return inside.log() - (self.high - self.low).log()

    def cdf(self, value):
        self._validate_sample(value)
        return ((value - self.low) / (self.high - self.low)).clamp(0, 1)

    def icdf(self, value):
        return value * (self.high - self.low) + self.low

    def entropy(self):
        return (self.high - self.low).log()


class Independent(Distribution):
    """`base` with its rightmost `reinterpreted_batch_ndims` batch dims read as event dims: log_prob and
    entropy sum over them (a diagonal Normal as one multivariate event)."""

    def __init__(self, base_distribution, reinterpreted_batch_ndims, validate_args=None):
        n = reinterpreted_batch_ndims
        shape = tuple(base_distribution.batch_shape)
        if not 0 <= n <= len(shape):
            raise ArgumentError(f"Independent: reinterpreted_batch_ndims={n} must be in [0, {len(shape)}] for a "
                                f"batch shape {shape}")
        self.base_dist, self.reinterpreted_batch_ndims = base_distribution, n
        self.has_rsample = base_distribution.has_rsample
        super().__init__(shape[:len(shape) - n], shape[len(shape) - n:] + tuple(base_distribution.event_shape),
                         False if validate_args is None else validate_args)

    mean = property(lambda self: self.base_dist.mean)
    mode = property(lambda self: self.base_dist.mode)
    variance = property(lambda self: self.base_dist.variance)

    def _sum_rightmost(self, x):
        return x.sum(tuple(range(-self.reinterpreted_batch_ndims, 0))) if self.reinterpreted_batch_ndims else x

    def sample(self, sample_shape=()):
        return self.base_dist.sample(sample_shape)

    def rsample(self, sample_shape=()):
        return self.base_dist.rsample(sample_shape)

    def log_prob(self, value):
        return self._sum_rightmost(self.base_dist.log_prob(value))

    def entropy(self):
        return self._sum_rightmost(self.base_dist.entropy())
