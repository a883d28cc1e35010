"""Bernoulli and Categorical, as in `torch.distributions`: given `probs` or `logits` (exactly one), the
other computed as PyTorch does (probabilities clamped to [eps, 1 - eps] before the log).

    >>> import ember
    >>> ember.distributions.Categorical(probs=ember.tensor([0.25, 0.75])).entropy()
    tensor(0.5623)
"""
import numpy as np

from ember.autograd.tensor import Tensor
from ember.distributions.distribution import Distribution, broadcast_all
from ember.errors import ArgumentError, ShapeError
from ember.ops.creation import arange, bernoulli, full, multinomial
from ember.ops.loss import binary_cross_entropy_with_logits
from ember.ops.shape import broadcast_tensors

__all__ = ["Bernoulli", "Categorical"]


# torch.finfo(dtype).eps and .min, by dtype name
EPS = {"float16": 0.0009765625, "bfloat16": 0.0078125, "float32": 1.1920928955078125e-07,
       "float64": 2.220446049250313e-16}
LOWEST = {"float16": -65504.0, "bfloat16": -3.3895313892515355e+38, "float32": -3.4028234663852886e+38,
          "float64": -1.7976931348623157e+308}


def _eps(t):
    return EPS[str(t.dtype).split(".")[-1]]


def _one_of(name, probs, logits):
    if (probs is None) == (logits is None):
        raise ArgumentError(f"{name}: either `probs` or `logits` must be specified, but not both")


class Bernoulli(Distribution):
    """1 with probability `probs` (or sigmoid(`logits`)), else 0."""
    arg_constraints = {"probs": ("Interval(lower_bound=0.0, upper_bound=1.0)", lambda self, v: (v >= 0) & (v <= 1))}
    support = ("Boolean()", lambda self, v: (v == 0) | (v == 1))

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Bernoulli", probs, logits)
        if probs is not None:
            (self.probs,) = broadcast_all(probs)
            p = self.probs.clamp(_eps(self.probs), 1 - _eps(self.probs))
            self.logits = p.log() - (-p).log1p()
            self._given = "probs"
        else:
            (self.logits,) = broadcast_all(logits)
            self.probs = self.logits.sigmoid()
            self._given = "logits"
        super().__init__(self.probs.shape, (), validate_args)
        if self._given == "logits":
            self.arg_constraints = {}

    mean = property(lambda self: self.probs)
    mode = property(lambda self: (self.probs >= 0.5).to(self.probs.dtype)
                    .masked_fill(self.probs == 0.5, float("nan")))
    variance = property(lambda self: self.probs * (1 - self.probs))

    def sample(self, sample_shape=()):
        return bernoulli(self.probs.detach().expand(self._extended_shape(sample_shape)))

    def log_prob(self, value):
        self._validate_sample(value)
        logits, value = broadcast_tensors(self.logits, value.to(self.logits.dtype))
        return -binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")


class Categorical(Distribution):
    """One of K categories (the last dim of `probs`/`logits`; probs are normalized, logits shifted to
    log-probabilities); samples are int64 indices."""
    arg_constraints = {"probs": ("Simplex()", lambda self, v: (v >= 0).all(-1) & ((v.sum(-1) - 1).abs() < 1e-6))}

    def __init__(self, probs=None, logits=None, validate_args=None):
        _one_of("Categorical", probs, logits)
        given = probs if probs is not None else logits
        if not isinstance(given, Tensor) or given.ndim < 1:
            raise ShapeError("Categorical: `probs`/`logits` must be a tensor of at least one dim (the categories)")
        if probs is not None:
            self.probs = probs / probs.sum(-1, keepdim=True)
            self.logits = self.probs.clamp(_eps(self.probs), 1 - _eps(self.probs)).log()
        else:
            self.logits = logits - logits.logsumexp(-1, keepdim=True)
            self.probs = self.logits.softmax(-1)
            self.arg_constraints = {}
        self._num_events = given.shape[-1]
        self.support = ("IntegerInterval(lower_bound=0, upper_bound={})".format(self._num_events - 1),
                        lambda self, v: (v == v.floor()) & (v >= 0) & (v < self._num_events))
        super().__init__(given.shape[:-1], (), validate_args)

    param_shape = property(lambda self: self.probs.shape)
    mean = property(lambda self: full(self._extended_shape(), float("nan"), dtype=self.probs.dtype))
    variance = mean
    mode = property(lambda self: self.probs.argmax(-1))

    def sample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        n = int(np.prod(tuple(sample_shape) if not isinstance(sample_shape, int) else (sample_shape,)))
        rows = self.probs.detach().reshape(-1, self._num_events)
        draws = multinomial(rows, max(n, 1), True).T  # (n, batch)
        return draws[:n].reshape(shape)

    def log_prob(self, value):
        self._validate_sample(value)
        value, log_pmf = broadcast_tensors(value.long().unsqueeze(-1), self.logits)
        return log_pmf.gather(-1, value[..., :1]).squeeze(-1)

    def entropy(self):
        low = LOWEST[str(self.logits.dtype).split(".")[-1]]
        return -(self.logits.clamp(min=low) * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        """The categories 0..K-1 along a new first dim, expanded over the batch."""
        values = arange(self._num_events).reshape((self._num_events,) + (1,) * len(self._batch_shape))
        return values.expand((self._num_events,) + tuple(self._batch_shape)) if expand else values
