"""Keras's random image augmentation layers, channels-last, values in `value_range` ((0, 255) by
default). As in Keras they augment when called directly or in training, and pass images through
unchanged at inference (`training=False`, e.g. inside `predict`). Each draw is per image, from the
layer's `seed` (repeatable) or ember's default generator.

    >>> flip = keras.layers.RandomFlip("horizontal", seed=1)
    >>> flip(ember.ones(2, 4, 4, 3), training=False).shape
    ember.Size([2, 4, 4, 3])
"""
import numpy as np

from ember.errors import ArgumentError, ShapeError
from ember.ops.binary import where
from ember.ops.creation import as_tensor, rand
from ember.keras.layers.base import Layer
from ember.keras.ops_nn import depthwise_conv

__all__ = ["RandomFlip", "RandomBrightness", "RandomContrast", "RandomGrayscale", "RandomInvert", "Solarization",
           "RandomPosterization", "AutoContrast", "RandomColorDegeneration", "MixUp", "RandomSharpness", "grayscale"]

GRAY = (0.2989, 0.587, 0.114)  # Keras's rgb_to_grayscale weights


def grayscale(images):
    """(..., 3) RGB -> (..., 1) luminance with Keras's weights."""
    return images[..., 0:1] * GRAY[0] + images[..., 1:2] * GRAY[1] + images[..., 2:3] * GRAY[2]


def factor_range(factor, bounds, where_):
    """Keras's `factor`: a number f gives (max(-f, low), f); a pair is sorted; both within `bounds`."""
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > bounds[1] or factor[1] < bounds[0]:
            raise ArgumentError(f"{where_}: factor must be a number or two numbers in {list(bounds)}, got {factor!r}")
        return tuple(sorted(float(f) for f in factor))
    if not isinstance(factor, (int, float)) or not bounds[0] <= factor <= bounds[1]:
        raise ArgumentError(f"{where_}: factor must be a number or two numbers in {list(bounds)}, got {factor!r}")
    factor = abs(float(factor))
    return max(-factor, bounds[0]), factor


class _Augmentation(Layer):
    """The shared parts: `value_range`, the seeded draws, batching of one image, training by default."""
    training_by_default = True  # Keras's preprocessing layers augment when called directly

    def __init__(self, value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ArgumentError(f"{type(self).__name__}: only channels_last images are supported")
        if len(value_range) != 2 or value_range[0] >= value_range[1]:
            raise ArgumentError(f"{type(self).__name__}: value_range must be (low, high) with low < high, got "
                                f"{value_range!r}")
        self.value_range, self.seed = (float(value_range[0]), float(value_range[1])), seed
        self._rng = None if seed is None else np.random.default_rng(seed)

    def uniform(self, shape, low=0.0, high=1.0):
        """U(low, high) draws of `shape` (a NumPy array)."""
        draws = self._rng.random(shape) if self._rng is not None else rand(*shape).numpy().astype(np.float64)
        return low + (high - low) * draws

    def call(self, inputs, training=True):
        x = inputs if inputs.dtype.is_floating_point else inputs.float()
        if not training:
            return x
        single = x.ndim == 3
        if single:
            x = x.unsqueeze(0)
        if x.ndim != 4:
            raise ShapeError(f"{type(self).__name__} {self.name!r}: images of shape {tuple(inputs.shape)}: expected "
                             "(height, width, channels) or (batch, height, width, channels)")
        out = self.augment(x)
        return out.squeeze(0) if single else out

    def per_image(self, values, x):
        """(batch,) values as a tensor broadcasting over (batch, h, w, c) images."""
        return as_tensor(np.asarray(values, np.float64).reshape(-1, 1, 1, 1)).to(x.dtype)

    def clip(self, x):
        return x.clamp(*self.value_range)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range), "seed": self.seed}


class RandomFlip(_Augmentation):
    """Flips each image left-right ("horizontal"), up-down ("vertical") or both (the default) with
    probability one half."""

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if mode not in ("horizontal", "vertical", "horizontal_and_vertical"):
            raise ArgumentError(f"RandomFlip: mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical', "
                                f"got {mode!r}")
        self.mode = mode

    def augment(self, x):
        flips = as_tensor(self.uniform((x.shape[0], 1, 1, 1)) <= 0.5)
        if self.mode != "vertical":
            x = where(flips, x.flip(2), x)
        if self.mode != "horizontal":
            x = where(flips, x.flip(1), x)
        return x

    def get_config(self):
        config = super().get_config()
        del config["value_range"]
        return {**config, "mode": self.mode}


class RandomBrightness(_Augmentation):
    """Adds U(factor) * (high - low) to each image, clipped to `value_range`."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.factor = factor_range(factor, (-1.0, 1.0), "RandomBrightness")

    def augment(self, x):
        delta = self.uniform((x.shape[0],), *self.factor) * (self.value_range[1] - self.value_range[0])
        return self.clip(x + self.per_image(delta, x))

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomContrast(_Augmentation):
    """`(x - mean) * c + mean` per image and channel, c ~ U(1 - lower, 1 + upper), clipped."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.factor = (float(factor), float(factor)) if isinstance(factor, (int, float)) else tuple(
            float(f) for f in factor)
        if len(self.factor) != 2 or min(self.factor) < 0:
            raise ArgumentError(f"RandomContrast: factor must be a number >= 0 or two of them, got {factor!r}")

    def augment(self, x):
        c = self.per_image(self.uniform((x.shape[0],), 1.0 - self.factor[0], 1.0 + self.factor[1]), x)
        mean = x.mean((1, 2), keepdim=True)
        return self.clip((x - mean) * c + mean)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomGrayscale(_Augmentation):
    """Turns each image to grayscale (kept in 3 channels) with probability `factor`."""

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if not 0 <= factor <= 1:
            raise ArgumentError(f"RandomGrayscale: factor must be in [0, 1], got {factor!r}")
        self.factor = float(factor)

    def augment(self, x):
        apply = as_tensor(self.uniform((x.shape[0], 1, 1, 1)) < self.factor)
        return where(apply, grayscale(x).expand(*x.shape), x)

    def get_config(self):
        config = super().get_config()
        del config["value_range"]
        return {**config, "factor": self.factor}


class RandomInvert(_Augmentation):
    """`high - x` for each image with a probability drawn from U(factor)."""

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "RandomInvert")

    def augment(self, x):
        n = x.shape[0]
        apply = self.uniform((n,)) < self.uniform((n,), *self.factor)
        return where(as_tensor(apply.reshape(-1, 1, 1, 1)), self.value_range[1] - x, x)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


def _to_255(x, value_range):
    low, high = value_range
    return (x - low) * (255.0 / (high - low))


def _from_255(x, value_range):
    low, high = value_range
    return x * ((high - low) / 255.0) + low


class Solarization(_Augmentation):
    """Adds U(addition_factor) * 255 to each image, then inverts (255 - x) the values at or above a
    threshold drawn from U(threshold_factor) * 255 (on the 0..255 scale of `value_range`)."""

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.addition_factor = factor_range(addition_factor, (0.0, 1.0), "Solarization")
        self.threshold_factor = factor_range(threshold_factor, (0.0, 1.0), "Solarization")

    def augment(self, x):
        n = x.shape[0]
        add = self.per_image(self.uniform((n,), self.addition_factor[0], self.addition_factor[1] * 255), x)
        cut = self.per_image(self.uniform((n,), self.threshold_factor[0], self.threshold_factor[1] * 255), x)
        y = (_to_255(x, self.value_range) + add).clamp(0, 255)
        return _from_255(where(y < cut, y, 255 - y), self.value_range)

    def get_config(self):
        return {**super().get_config(), "addition_factor": list(self.addition_factor),
                "threshold_factor": list(self.threshold_factor)}


class RandomPosterization(_Augmentation):
    """Keeps the top `bits` bits of each 8-bit value, `bits` drawn per image from [factor[0], factor[1])."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.factor = factor_range(factor, (1, 8), "RandomPosterization")

    def augment(self, x):
        low, high = int(self.factor[0]), int(self.factor[1])
        n = x.shape[0]
        bits = np.full(n, low) if low == high else np.floor(self.uniform((n,), low, high)).astype(np.int64)
        shift = (8 - bits).reshape(-1, 1, 1, 1).astype(np.uint8)
        values = _to_255(x, self.value_range).detach().numpy().astype(np.uint8)
        posterized = as_tensor(((values >> shift) << shift).astype(np.float32)).to(x.dtype)
        return _from_255(posterized, self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class AutoContrast(_Augmentation):
    """Stretches each image's channels to the full value range (min to 0, max to 255 on that scale);
    deterministic, applied in training and at inference alike, as Keras does."""

    def call(self, inputs, training=True):
        return super().call(inputs, training=True)

    def augment(self, x):
        y = _to_255(x, self.value_range)
        low, high = y.amin((1, 2), keepdim=True), y.amax((1, 2), keepdim=True)
        scale = 255.0 / (high - low)
        out = _from_255((y * scale - low * scale).clamp(0, 255), self.value_range)
        return where(out.isnan(), x, out)


class RandomColorDegeneration(_Augmentation):
    """Blends each image toward its grayscale by a factor drawn from U(factor)."""

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(value_range, seed, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "RandomColorDegeneration")

    def augment(self, x):
        f = self.per_image(self.uniform((x.shape[0],), *self.factor), x)
        return self.clip(x + f * (grayscale(x) - x))

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class MixUp(_Augmentation):
    """Mixes each image with another of the batch: `lam * x + (1 - lam) * x[perm]`, lam ~ Beta(alpha, alpha)."""

    def __init__(self, alpha=0.2, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.alpha = float(alpha)

    def augment(self, x):
        rng = self._rng if self._rng is not None else np.random.default_rng(int(self.uniform((1,))[0] * 2 ** 31))
        n = x.shape[0]
        lam = rng.beta(self.alpha, self.alpha, n)
        perm = as_tensor(rng.permutation(n))
        return self.per_image(lam, x) * x + self.per_image(1 - lam, x) * x.index_select(0, perm)

    def get_config(self):
        config = super().get_config()
        del config["value_range"]
        return {**config, "alpha": self.alpha}


class RandomSharpness(_Augmentation):
    """Blends each image with a smoothed copy (3x3 kernel, 5/13 at the centre, 1/13 around):
    `x + (1 - 2f) * (smooth - x)`, f ~ U(factor) in [0, 1] (f = 0.5 leaves the image unchanged)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "RandomSharpness")

    def augment(self, x):
        f = self.per_image(self.uniform((x.shape[0],), *self.factor) * 2, x)
        kernel = np.full((3, 3, x.shape[-1], 1), 1 / 13.0)
        kernel[1, 1] = 5 / 13.0
        smooth = depthwise_conv(x, as_tensor(kernel.astype(np.float32)).to(x.dtype), padding="same")
        return self.clip(x + (1.0 - f) * (smooth - x))

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}
