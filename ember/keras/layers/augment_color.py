"""Keras's colour augmentation layers in HSV space: `RandomHue`, `RandomSaturation`, and
`RandomColorJitter` (brightness, contrast, saturation and hue in that order, each optional).
Channels-last RGB images; like the other augmentation layers they pass images through at inference.

`rgb_to_hsv`/`hsv_to_rgb` are Keras's (TensorFlow's) conversions, hue and saturation in [0, 1).
As in Keras, `RandomSaturation` converts the images as they are (not scaled to [0, 1]) and clips the
scaled saturation to `value_range`; `RandomHue` works on images scaled to [0, 1] and clips the result.

    >>> hue = keras.layers.RandomHue((0.5, 0.5), value_range=(0, 1), seed=0)
    >>> hue(ember.rand(2, 4, 4, 3)).shape
    ember.Size([2, 4, 4, 3])
"""
import numpy as np

from ember.errors import ArgumentError
from ember.ops.creation import as_tensor
from ember.keras.layers.augment import RandomBrightness, RandomContrast, _Augmentation, factor_range

__all__ = ["rgb_to_hsv", "hsv_to_rgb", "RandomHue", "RandomSaturation", "RandomColorJitter"]

_EPSILON = 1e-7  # Keras's backend epsilon in RandomSaturation's factor / (1 - factor + epsilon)


def rgb_to_hsv(images):
    """(..., 3) RGB NumPy array -> (..., 3) HSV, Keras's conversion."""
    images = np.where(np.abs(images) < np.finfo(images.dtype).eps, 0.0, images).astype(images.dtype)
    r, g, b = images[..., 0], images[..., 1], images[..., 2]
    value = np.maximum(np.maximum(r, g), b)
    spread = value - np.minimum(np.minimum(r, g), b)
    saturation = np.where(value > 0, spread / np.where(value > 0, value, 1.0), 0.0)
    norm = 1.0 / (6.0 * np.where(spread > 0, spread, 1.0))
    hue = np.where(value == g, norm * (b - r) + 2.0 / 6.0, norm * (r - g) + 4.0 / 6.0)
    hue = np.where(value == r, norm * (g - b), hue)
    hue = np.where(spread > 0, hue, 0.0) + (hue < 0.0)
    return np.stack([hue, saturation, value], -1).astype(images.dtype)


def hsv_to_rgb(images):
    """(..., 3) HSV NumPy array -> (..., 3) RGB, Keras's conversion."""
    hue, saturation, value = images[..., 0], images[..., 1], images[..., 2]
    dh = np.remainder(hue, 1.0) * 6.0
    channels = (np.clip(np.abs(dh - 3.0) - 1.0, 0.0, 1.0), np.clip(2.0 - np.abs(dh - 2.0), 0.0, 1.0),
                np.clip(2.0 - np.abs(dh - 4.0), 0.0, 1.0))
    return np.stack([value * (1.0 - saturation + saturation * d) for d in channels], -1).astype(images.dtype)


def _numpy(x):
    return x.detach().numpy().astype(np.float32)


class RandomHue(_Augmentation):
    """Shifts each image's hue by ±U(factor)/2 (the sign drawn with even odds), wrapping around."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "RandomHue")

    def draw(self, n):
        sign = np.where(self.uniform((n,)) > 0.5, -1.0, 1.0)
        return sign * self.uniform((n,), *self.factor) * 0.5

    def augment(self, x, shift=None):
        shift = self.draw(x.shape[0]) if shift is None else shift
        low, high = self.value_range
        hsv = rgb_to_hsv((_numpy(x) - low) / (high - low))
        h = hsv[..., 0] + shift.reshape(-1, 1, 1).astype(np.float32)
        h = np.where(h > 1.0, h - 1.0, h)
        hsv[..., 0] = np.where(h < 0.0, h + 1.0, h)
        out = np.clip(hsv_to_rgb(hsv), 0, 1) * (high - low) + low
        return as_tensor(out.astype(np.float32)).to(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomSaturation(_Augmentation):
    """Scales each image's saturation by f / (1 - f), f ~ U(factor) in [0, 1] (f = 0.5 leaves it unchanged;
    f = 1 saturates fully, f = 0 gives grayscale)."""

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
            raise ArgumentError(f"RandomSaturation: value_range must be (low, high), got {value_range!r}")
        super().__init__(tuple(sorted(value_range)), seed, data_format, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "RandomSaturation")

    def draw(self, n):
        f = self.uniform((n,), *self.factor)
        return f / (1 - f + _EPSILON)

    def augment(self, x, scale=None):
        scale = self.draw(x.shape[0]) if scale is None else scale
        hsv = rgb_to_hsv(_numpy(x))
        hsv[..., 1] = np.clip(hsv[..., 1] * scale.reshape(-1, 1, 1).astype(np.float32), *self.value_range)
        return as_tensor(hsv_to_rgb(hsv)).to(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomColorJitter(_Augmentation):
    """Applies, in order, `RandomBrightness(brightness_factor)`, `RandomContrast(contrast_factor)`,
    `RandomSaturation(saturation_factor)` and `RandomHue(hue_factor)` — those whose factor is given."""

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None, saturation_factor=None,
                 hue_factor=None, seed=None, data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        steps = ((RandomBrightness, brightness_factor), (RandomContrast, contrast_factor),
                 (RandomSaturation, saturation_factor), (RandomHue, hue_factor))
        # each step draws from its own generator, seeded from this layer's seed when one is given
        seeds = [None] * 4 if seed is None else list(np.random.default_rng(seed).integers(0, 2 ** 31, 4))
        self._steps = [cls(factor, value_range=value_range, seed=None if s is None else int(s))
                       for (cls, factor), s in zip(steps, seeds) if factor is not None]

    def augment(self, x):
        for step in self._steps:
            x = step.augment(x)
        return x

    def get_config(self):
        return {**super().get_config(), "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor, "saturation_factor": self.saturation_factor,
                "hue_factor": self.hue_factor}
