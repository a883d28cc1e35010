"""Gamma, Beta, Dirichlet, Poisson and Geometric, as in `torch.distributions` (PyTorch's parameters,
formulas and supports). Samples come from ember's generator through NumPy's samplers; PyTorch's
reparameterized `rsample` of Gamma, Beta and Dirichlet (implicit gradients) is not here: `rsample`
raises, `sample` works.

    >>> import ember
    >>> ember.distributions.Gamma(2.0, 3.0).mean
    tensor(0.6667)
"""
import numpy as np

from ember.backend.random import default_generator
from ember.distributions.distribution import Distribution, broadcast_all
from ember.errors import ArgumentError, ShapeError
from ember.ops.binary import where
from ember.ops.creation import tensor
from ember.ops.loss import binary_cross_entropy_with_logits

__all__ = ["Gamma", "Beta", "Dirichlet", "Poisson", "Geometric"]

_POSITIVE = ("GreaterThan(lower_bound=0.0)", lambda self, v: v > 0)


def _draw(d, sample_shape, like, fn):
    """`fn(numpy_generator, shape)` drawn on ember's generator, as a tensor like `like`."""
    shape = tuple(d._extended_shape(sample_shape))
    return tensor(np.asarray(fn(default_generator.np, shape)), dtype=like.dtype, device=like.device)


class Gamma(Distribution):
    """Gamma(concentration, rate): density r^c x^(c-1) e^(-r x) / Gamma(c)."""
    arg_constraints = {"concentration": _POSITIVE, "rate": _POSITIVE}
    support = ("GreaterThanEq(lower_bound=0.0)", lambda self, v: v >= 0)

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.rate.shape, (), validate_args)

    mean = property(lambda self: self.concentration / self.rate)
    mode = property(lambda self: ((self.concentration - 1) / self.rate).clamp(min=0))
    variance = property(lambda self: self.concentration / self.rate ** 2)

    def sample(self, sample_shape=()):
        c, r = self.concentration.detach().numpy(), self.rate.detach().numpy()
        return _draw(self, sample_shape, self.rate, lambda g, s: g.gamma(np.broadcast_to(c, s)) / r)

    def log_prob(self, value):
        self._validate_sample(value)
        c, r = self.concentration, self.rate
        return c.xlogy(r) + (c - 1).xlogy(value) - r * value - c.lgamma()

    def entropy(self):
        c = self.concentration
        return c - self.rate.log() + c.lgamma() + (1.0 - c) * c.digamma()


class Dirichlet(Distribution):
    """Dirichlet(concentration) over the probability simplex of the last dim."""
    arg_constraints = {"concentration": ("IndependentConstraint(GreaterThan(lower_bound=0.0), 1)",
                                         lambda self, v: (v > 0).all(-1))}
    support = ("Simplex()", lambda self, v: (v >= 0).all(-1) & ((v.sum(-1) - 1).abs() < 1e-6))

    def __init__(self, concentration, validate_args=None):
        if concentration.ndim < 1:
            raise ShapeError("Dirichlet: concentration must have at least one dim (the categories)")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args)

    mean = property(lambda self: self.concentration / self.concentration.sum(-1, keepdim=True))
    variance = property(lambda self: self._variance())

    def _variance(self):
        c, c0 = self.concentration, self.concentration.sum(-1, keepdim=True)
        return c * (c0 - c) / (c0 ** 2 * (c0 + 1))

    def sample(self, sample_shape=()):
        c = self.concentration.detach().numpy()

        def draw(g, shape):
            x = g.gamma(np.broadcast_to(c, shape))
            return x / x.sum(-1, keepdims=True)
        return _draw(self, sample_shape, self.concentration, draw)

    def log_prob(self, value):
        self._validate_sample(value)
        c = self.concentration
        return (c - 1).xlogy(value).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1)

    def entropy(self):
        c = self.concentration
        k, a0 = c.shape[-1], c.sum(-1)
        return c.lgamma().sum(-1) - a0.lgamma() - (k - a0) * a0.digamma() - ((c - 1.0) * c.digamma()).sum(-1)


class Beta(Distribution):
    """Beta(concentration1, concentration0) on [0, 1]."""
    arg_constraints = {"concentration1": _POSITIVE, "concentration0": _POSITIVE}
    support = ("Interval(lower_bound=0.0, upper_bound=1.0)", lambda self, v: (v >= 0) & (v <= 1))

    def __init__(self, concentration1, concentration0, validate_args=None):
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        super().__init__(self.concentration1.shape, (), validate_args)

    mean = property(lambda self: self.concentration1 / (self.concentration1 + self.concentration0))
    variance = property(lambda self: self.concentration1 * self.concentration0 / (
        (self.concentration1 + self.concentration0) ** 2 * (self.concentration1 + self.concentration0 + 1)))

    def sample(self, sample_shape=()):
        a, b = self.concentration1.detach().numpy(), self.concentration0.detach().numpy()
        return _draw(self, sample_shape, self.concentration1,
                     lambda g, s: g.beta(np.broadcast_to(a, s), np.broadcast_to(b, s)))

    def log_prob(self, value):
        self._validate_sample(value)
        a, b = self.concentration1, self.concentration0
        return (a - 1).xlogy(value) + (b - 1).xlogy(1 - value) + (a + b).lgamma() - a.lgamma() - b.lgamma()

    def entropy(self):
        a, b = self.concentration1, self.concentration0
        t = a + b
        return a.lgamma() + b.lgamma() - t.lgamma() - (a - 1) * a.digamma() - (b - 1) * b.digamma() \
            + (t - 2) * t.digamma()


class Poisson(Distribution):
    """Poisson(rate) over the counts 0, 1, 2, ..."""
    arg_constraints = {"rate": ("GreaterThanEq(lower_bound=0.0)", lambda self, v: v >= 0)}
    support = ("IntegerGreaterThan(lower_bound=0)", lambda self, v: (v >= 0) & (v == v.floor()))

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    mean = property(lambda self: self.rate)
    mode = property(lambda self: self.rate.floor())
    variance = property(lambda self: self.rate)

    def sample(self, sample_shape=()):
        r = self.rate.detach().numpy()
        return _draw(self, sample_shape, self.rate, lambda g, s: g.poisson(np.broadcast_to(r, s)))

    def log_prob(self, value):
        self._validate_sample(value)
        return value.xlogy(self.rate) - self.rate - (value + 1).lgamma()


class Geometric(Distribution):
    """The number of failures before the first success of Bernoulli(probs) trials."""
    arg_constraints = {"probs": ("Interval(lower_bound=0.0, upper_bound=1.0)", lambda self, v: (v > 0) & (v <= 1))}
    support = ("IntegerGreaterThan(lower_bound=0)", lambda self, v: (v >= 0) & (v == v.floor()))

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ArgumentError("Geometric: either `probs` or `logits` must be specified, but not both")
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            eps = 1.1920928955078125e-07 if self.probs.dtype.itemsize <= 4 else 2.220446049250313e-16
            p = self.probs.clamp(eps, 1 - eps)
            self.logits = p.log() - (-p).log1p()
        else:
            (self.logits,) = broadcast_all(logits)
            self.probs = self.logits.sigmoid()
            self.arg_constraints = {}
        super().__init__(self.probs.shape, (), validate_args)

    mean = property(lambda self: 1.0 / self.probs - 1.0)
    mode = property(lambda self: self.probs * 0)
    variance = property(lambda self: (1.0 / self.probs - 1.0) / self.probs)

    def sample(self, sample_shape=()):
        p = self.probs.detach().numpy()
        return _draw(self, sample_shape, self.probs, lambda g, s: g.geometric(np.broadcast_to(p, s)) - 1)

    def log_prob(self, value):
        self._validate_sample(value)
        p = where((self.probs == 1) & (value == 0), 0.0, self.probs)
        return value * (-p).log1p() + self.probs.log()

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none") / self.probs
