"""`keras.random`: random tensors with Keras's names, arguments and seeding.

`seed` is None (ember's default generator, which `keras.utils.set_random_seed` seeds), an int (the
same values on every call with that seed, as Keras), or a `SeedGenerator` (a stream that advances
with each call). The distributions are Keras's; the bits are NumPy's PCG64, not torch's, so the
values differ from Keras's for the same seed.

    >>> seed = keras.random.SeedGenerator(42)
    >>> keras.random.normal((2, 3), seed=seed).shape
    ember.Size([2, 3])
    >>> bool((keras.random.uniform((5,), seed=1) == keras.random.uniform((5,), seed=1)).all())
    True
"""
import numpy as np

from ember.autograd import Tensor
from ember.backend import random as backend_random
from ember.backend.dtypes import as_dtype
from ember.errors import ArgumentError
from ember.ops.creation import tensor

__all__ = ["SeedGenerator", "normal", "uniform", "randint", "truncated_normal", "dropout", "shuffle", "categorical",
           "gamma", "binomial", "beta"]


class SeedGenerator:
    """A seed stream: each random call that takes it draws from the next state.

        >>> g = keras.random.SeedGenerator(0)
        >>> a, b = keras.random.uniform((2,), seed=g), keras.random.uniform((2,), seed=g)
        >>> bool((a == b).all())
        False
    """

    def __init__(self, seed=None, name=None, **kwargs):
        if seed is None:
            seed = int(backend_random.default_generator.np.integers(0, 2 ** 31))
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise ArgumentError(f"SeedGenerator: seed must be an int or None, got {seed!r}")
        self.seed, self.name = int(seed), name or "seed_generator"
        self.np = np.random.Generator(np.random.PCG64(self.seed))

    def next(self):
        return self.np

    def get_config(self):
        return {"seed": self.seed}


def _rng(seed, where):
    if seed is None:
        return backend_random.default_generator.np
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return np.random.Generator(np.random.PCG64(int(seed)))
    raise ArgumentError(f"keras.random.{where}: seed must be None, an int or a keras.random.SeedGenerator, "
                        f"got {seed!r}")


def _shape(shape, where):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in shape):
        raise ArgumentError(f"keras.random.{where}: shape must hold non-negative ints, got {shape!r}")
    return shape


def _out(values, dtype, default="float32"):
    return tensor(np.asarray(values).astype(as_dtype(dtype or default).np))


def _array(x):
    return x.detach().numpy() if isinstance(x, Tensor) else np.asarray(x)


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples of N(mean, stddev^2)."""
    return _out(_rng(seed, "normal").normal(mean, stddev, _shape(shape, "normal")), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples of U[minval, maxval)."""
    return _out(_rng(seed, "uniform").uniform(minval, maxval, _shape(shape, "uniform")), dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers in [minval, maxval)."""
    if not maxval > minval:
        raise ArgumentError(f"keras.random.randint: maxval ({maxval}) must be greater than minval ({minval})")
    return _out(_rng(seed, "randint").integers(minval, maxval, _shape(shape, "randint")), dtype, "int32")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """N(mean, stddev^2) samples, redrawn where beyond two standard deviations."""
    rng, shape = _rng(seed, "truncated_normal"), _shape(shape, "truncated_normal")
    values = rng.standard_normal(shape)
    bad = np.abs(values) > 2
    while bad.any():  # each redraw keeps ~95%: a handful of rounds
        values[bad] = rng.standard_normal(int(bad.sum()))
        bad = np.abs(values) > 2
    return _out(values * stddev + mean, dtype)


def dropout(inputs, rate, noise_shape=None, seed=None):
    """`inputs` with a fraction `rate` zeroed and the rest scaled by 1 / (1 - rate) (differentiable)."""
    if not 0 <= rate < 1:
        raise ArgumentError(f"keras.random.dropout: rate must be in [0, 1), got {rate!r}")
    x = inputs if isinstance(inputs, Tensor) else tensor(np.asarray(inputs, dtype=np.float32))
    shape = tuple(x.shape) if noise_shape is None else tuple(d or s for d, s in zip(noise_shape, x.shape))
    keep = _rng(seed, "dropout").random(shape) >= rate
    return x * tensor((keep / (1.0 - rate)).astype(x.dtype.np))


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order."""
    values = _array(x)
    order = _rng(seed, "shuffle").permutation(values.shape[axis])
    return tensor(np.take(values, order, axis=axis))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class indices per row of `logits` (batch, classes), drawn from softmax(logits)."""
    z = _array(logits).astype(np.float64)
    if z.ndim != 2:
        raise ArgumentError(f"keras.random.categorical: logits must be 2-D (batch, classes), got shape {z.shape}")
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    rng = _rng(seed, "categorical")
    return _out(np.stack([rng.choice(p.shape[1], num_samples, p=row) for row in p]), dtype, "int32")


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma(alpha, 1) samples."""
    return _out(_rng(seed, "gamma").gamma(alpha, 1.0, _shape(shape, "gamma")), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial(counts, probabilities) samples (as floats by default, as Keras)."""
    return _out(_rng(seed, "binomial").binomial(_array(counts).astype(np.int64), _array(probabilities),
                                                _shape(shape, "binomial")), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta(alpha, beta) samples."""
    return _out(_rng(seed, "beta").beta(_array(alpha), _array(beta), _shape(shape, "beta")), dtype)
