"""Keras's augmentation policies built from the other augmentation layers: `RandAugment` (`num_ops`
operations drawn at random for the batch, applied in turn) and `AugMix` (`num_chains` chains of up to
`chain_depth` random operations, mixed with Dirichlet(alpha) weights, then blended with the original
by a Beta(alpha, alpha) weight). The operations are Keras's: shear, translation, rotation,
posterization, solarization, auto-contrast and equalization, plus brightness, colour degeneration,
contrast and sharpness (RandAugment always; AugMix with `all_ops=True`), each with strength `factor`.

    >>> keras.layers.RandAugment(num_ops=2, seed=0)(ember.rand(2, 8, 8, 3) * 255).shape
    ember.Size([2, 8, 8, 3])
"""
import numpy as np

from ember.errors import ArgumentError
from ember.keras.layers.augment import (AutoContrast, RandomBrightness, RandomColorDegeneration, RandomContrast,
                                        RandomPosterization, RandomSharpness, Solarization, _Augmentation,
                                        factor_range)
from ember.keras.layers.augment_affine import RandomRotation, RandomShear, RandomTranslation
from ember.keras.layers.augment_filters import Equalization

__all__ = ["RandAugment", "AugMix"]

# name -> function of (factor, value_range, interpolation, seed) making the operation, in Keras's order
OPERATIONS = {
    "random_shear": lambda f, vr, i, s: RandomShear(f, f, interpolation=i, seed=s),
    "random_translation": lambda f, vr, i, s: RandomTranslation(f, f, interpolation=i, seed=s),
    "random_rotation": lambda f, vr, i, s: RandomRotation(f, interpolation=i, seed=s),
    "random_posterization": lambda f, vr, i, s: RandomPosterization(max(1, int(8 * f[1])), vr, seed=s),
    "solarization": lambda f, vr, i, s: Solarization(f, f, vr, seed=s),
    "auto_contrast": lambda f, vr, i, s: AutoContrast(vr),
    "equalization": lambda f, vr, i, s: Equalization(vr),
    "random_brightness": lambda f, vr, i, s: RandomBrightness(f, vr, seed=s),
    "random_color_degeneration": lambda f, vr, i, s: RandomColorDegeneration(f, vr, seed=s),
    "random_contrast": lambda f, vr, i, s: RandomContrast(f, vr, seed=s),
    "random_sharpness": lambda f, vr, i, s: RandomSharpness(f, vr, seed=s),
}
BASIC = list(OPERATIONS)[:7]  # AugMix without all_ops


def _operations(names, factor, value_range, interpolation, seed):
    """The operation layers, each with its own generator (seeded from `seed` when one is given)."""
    seeds = [None] * len(names) if seed is None else \
        [int(s) for s in np.random.default_rng(seed).integers(0, 2 ** 31, len(names))]
    return [OPERATIONS[name](factor, value_range, interpolation, s) for name, s in zip(names, seeds)]


def _check_count(value, what, where, low=0):
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ArgumentError(f"{where}: {what} must be an int >= {low}, got {value!r}")
    return value


class RandAugment(_Augmentation):
    """Applies `num_ops` operations, each drawn uniformly from the eleven, to the whole batch in turn."""

    def __init__(self, value_range=(0, 255), num_ops=2, factor=0.5, interpolation="bilinear", seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.num_ops = _check_count(num_ops, "num_ops", "RandAugment")
        self.factor = factor_range(factor, (0.0, 1.0), "RandAugment")
        self.interpolation = interpolation
        self._ops = _operations(list(OPERATIONS), self.factor, self.value_range, interpolation, seed)

    def augment(self, x):
        picks = np.floor(self.uniform((self.num_ops,), 0, len(self._ops))).astype(np.int64)
        for pick in picks:
            x = self._ops[min(int(pick), len(self._ops) - 1)].augment(x)
        return x

    def get_config(self):
        return {**super().get_config(), "num_ops": self.num_ops, "factor": list(self.factor),
                "interpolation": self.interpolation}


class AugMix(_Augmentation):
    """`w * x + (1 - w) * sum_k m_k chain_k(x)`, clipped to `value_range`: each chain applies up to
    `chain_depth` operations (each step picks one of the operations or none), m ~ Dirichlet(alpha)
    over the chains and w ~ Beta(alpha, alpha), drawn once per call."""

    def __init__(self, value_range=(0, 255), num_chains=3, chain_depth=3, factor=0.3, alpha=1.0, all_ops=True,
                 interpolation="bilinear", seed=None, data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.num_chains = _check_count(num_chains, "num_chains", "AugMix", 1)
        self.chain_depth = _check_count(chain_depth, "chain_depth", "AugMix")
        self.factor = factor_range(factor, (0.0, 1.0), "AugMix")
        if not isinstance(alpha, (int, float)) or alpha <= 0:
            raise ArgumentError(f"AugMix: alpha must be a positive number, got {alpha!r}")
        self.alpha, self.all_ops, self.interpolation = float(alpha), bool(all_ops), interpolation
        names = list(OPERATIONS) if self.all_ops else BASIC
        self._ops = _operations(names, self.factor, self.value_range, interpolation, seed)

    def augment(self, x):
        rng = self._rng if self._rng is not None else np.random.default_rng(int(self.uniform((1,))[0] * 2 ** 31))
        weights = rng.dirichlet([self.alpha] * self.num_chains)
        keep = rng.beta(self.alpha, self.alpha)
        mixed = 0.0
        for weight in weights:
            chain = x
            for pick in rng.integers(0, len(self._ops) + 1, self.chain_depth):  # len(ops): this step does nothing
                if pick < len(self._ops):
                    chain = self._ops[pick].augment(chain)
            mixed = mixed + chain * float(weight)
        return self.clip(x * float(keep) + mixed * (1.0 - float(keep)))

    def get_config(self):
        return {**super().get_config(), "num_chains": self.num_chains, "chain_depth": self.chain_depth,
                "factor": list(self.factor), "alpha": self.alpha, "all_ops": self.all_ops,
                "interpolation": self.interpolation}
