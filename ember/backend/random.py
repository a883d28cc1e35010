"""Seeded random number generators.

`ember.manual_seed(s)` reseeds the default generator; an `ember.Generator`
gives an independent, reproducible stream. Same seed, same numbers, every run
and every platform (NumPy's PCG64 bit generator).

    >>> import ember
    >>> g = ember.Generator().manual_seed(0)
    >>> a = ember.rand(3, generator=g)
    >>> bool((a == ember.rand(3, generator=ember.Generator().manual_seed(0))).all())
    True
"""
import numpy as np

from ember.errors import ArgumentError

_DEFAULT_SEED = 67280421310721


class Generator:
    """A random stream with PyTorch's `manual_seed`/`seed`/`initial_seed`/state API."""

    def __init__(self, device="cpu"):
        self.device = device
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        """Restart the stream from `seed` (an int); returns the generator."""
        try:
            seed = int(seed.__index__())
        except (AttributeError, TypeError):
            raise ArgumentError(f"manual_seed: seed must be an int, got {type(seed).__name__} {seed!r}") from None
        self._seed = seed
        self.np = np.random.Generator(np.random.PCG64(self._seed & 0xFFFF_FFFF_FFFF_FFFF))
        return self

    def seed(self):
        s = int(np.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(s)
        return s

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The generator's state as a plain dict (JSON-serializable)."""
        return {"seed": self._seed, "bit_generator": self.np.bit_generator.state}

    def set_state(self, state):
        self._seed = state["seed"]
        self.np.bit_generator.state = state["bit_generator"]
        return self


default_generator = Generator()


def manual_seed(seed):
    """Seed ember's default generator; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
