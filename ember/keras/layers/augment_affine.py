"""Keras's geometric augmentation layers: `RandomCrop`, and `RandomTranslation`, `RandomZoom`,
`RandomRotation`, each an
affine map of pixel coordinates sampled as Keras's `affine_transform` samples it (bilinear or nearest,
the points outside filled by `fill_mode`: "reflect" (d c b a | a b c d | d c b a, the default),
"wrap", "nearest" or "constant" (`fill_value`); `affine_transform` also takes "mirror" (d c b | a b c d | c b a)).
Augmentation is preprocessing: these outputs carry no gradient to the images.

    >>> shift = keras.layers.RandomTranslation((0.5, 0.5), 0.0, fill_mode="constant")
    >>> shift(ember.ones(1, 4, 4, 1))[0, :2, 0, 0].tolist()
    [0.0, 0.0]
"""
import math

import numpy as np

from ember.errors import ArgumentError
from ember.ops.creation import as_tensor
from ember.keras.layers.augment import _Augmentation
from ember.keras.layers.preprocessing import _resize

__all__ = ["affine_transform", "RandomTranslation", "RandomZoom", "RandomRotation", "RandomCrop", "RandomShear"]

FILL_MODES = ("reflect", "mirror", "wrap", "nearest", "constant")


def _mirror(index, size):
    s = max(size - 1, 1)
    return np.abs((index + s) % (2 * s) - s)


INDEX_FIXERS = {"constant": lambda i, n: np.clip(i, 0, n - 1), "nearest": lambda i, n: np.clip(i, 0, n - 1),
                "wrap": lambda i, n: i % n, "mirror": _mirror,
                "reflect": lambda i, n: (_mirror(2 * i + 1, 2 * n + 1) - 1) // 2}


def _nodes(coordinate, interpolation):
    """[(index, weight)] of one axis: the two neighbours (bilinear) or the nearest point."""
    if interpolation == "nearest":
        return [(np.round(coordinate).astype(np.int64), np.ones_like(coordinate))]
    lower = np.floor(coordinate)
    upper_weight = coordinate - lower
    return [(lower.astype(np.int64), 1 - upper_weight), (lower.astype(np.int64) + 1, upper_weight)]


def affine_transform(images, transforms, interpolation="bilinear", fill_mode="constant", fill_value=0.0):
    """(N, H, W, C) NumPy images, each resampled at (x', y') = (a0 x + a1 y + a2, b0 x + b1 y + b2)
    for its transform [a0, a1, a2, b0, b1, b2, c0, c1] (c0 = c1 = 0)."""
    if fill_mode not in FILL_MODES:
        raise ArgumentError(f"affine_transform: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    if interpolation not in ("bilinear", "nearest"):
        raise ArgumentError(f"affine_transform: interpolation must be 'bilinear' or 'nearest', got {interpolation!r}")
    n, h, w, _ = images.shape
    y, x = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    fix = INDEX_FIXERS[fill_mode]
    out = np.zeros(images.shape, np.float64)
    for i in range(n):
        a0, a1, a2, b0, b1, b2 = (float(v) for v in transforms[i][:6])
        rows = _nodes(b0 * x + b1 * y + b2, interpolation)
        cols = _nodes(a0 * x + a1 * y + a2, interpolation)
        for r, wr in rows:
            for c, wc in cols:
                value = images[i][fix(r, h), fix(c, w)]
                if fill_mode == "constant":
                    valid = (r >= 0) & (r < h) & (c >= 0) & (c < w)
                    value = np.where(valid[..., None], value, fill_value)
                out[i] += (wr * wc)[..., None] * value
    return out


def _symmetric(factor, where_):
    """Keras's `height_factor`-style argument: f gives (-f, f); a pair (lower, upper) as given."""
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2 or factor[0] > factor[1]:
            raise ArgumentError(f"{where_}: expected a number or (lower, upper), got {factor!r}")
        return float(factor[0]), float(factor[1])
    if not isinstance(factor, (int, float)):
        raise ArgumentError(f"{where_}: expected a number or (lower, upper), got {factor!r}")
    return -abs(float(factor)), abs(float(factor))


LAYER_FILL_MODES = ("reflect", "wrap", "constant", "nearest")  # Keras's layers take these (its op also "mirror")


class _Affine(_Augmentation):
    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if fill_mode not in LAYER_FILL_MODES:
            raise ArgumentError(f"{type(self).__name__}: fill_mode must be one of {LAYER_FILL_MODES}, got "
                                f"{fill_mode!r}")
        if interpolation not in ("bilinear", "nearest"):
            raise ArgumentError(f"{type(self).__name__}: interpolation must be 'bilinear' or 'nearest', got "
                                f"{interpolation!r}")
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, float(fill_value)

    def augment(self, x):
        transforms = self.transforms(x.shape[0], x.shape[1], x.shape[2])
        out = affine_transform(x.detach().numpy().astype(np.float64), transforms, self.interpolation, self.fill_mode,
                               self.fill_value)
        return as_tensor(out).to(x.dtype)

    def get_config(self):
        config = super().get_config()
        del config["value_range"]
        return {**config, "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class RandomTranslation(_Affine):
    """Shifts each image by U(height_factor) * height rows and U(width_factor) * width columns."""

    def __init__(self, height_factor, width_factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor = _symmetric(height_factor, "RandomTranslation")
        self.width_factor = _symmetric(width_factor, "RandomTranslation")

    def transforms(self, n, h, w):
        dy = self.uniform((n,), *self.height_factor) * h
        dx = self.uniform((n,), *self.width_factor) * w
        return [[1.0, 0.0, -dx[i], 0.0, 1.0, -dy[i]] for i in range(n)]

    def get_config(self):
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": list(self.width_factor)}


class RandomZoom(_Affine):
    """Zooms each image about its centre by 1 + U(height_factor) (and width, `width_factor` or the same):
    above 1 zooms out, below 1 zooms in."""

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.height_factor = _symmetric(height_factor, "RandomZoom")
        self.width_factor = None if width_factor is None else _symmetric(width_factor, "RandomZoom")

    def transforms(self, n, h, w):
        zy = 1.0 + self.uniform((n,), *self.height_factor)
        zx = zy if self.width_factor is None else 1.0 + self.uniform((n,), *self.width_factor)
        return [[zx[i], 0.0, (w - 1) / 2 * (1 - zx[i]), 0.0, zy[i], (h - 1) / 2 * (1 - zy[i])] for i in range(n)]

    def get_config(self):
        return {**super().get_config(), "height_factor": list(self.height_factor),
                "width_factor": None if self.width_factor is None else list(self.width_factor)}


class RandomRotation(_Affine):
    """Rotates each image about its centre by U(factor) * 360 degrees."""

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None, fill_value=0.0,
                 value_range=(0, 255), **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, **kwargs)
        self.factor = _symmetric(factor, "RandomRotation")

    def transforms(self, n, h, w):
        angles = self.uniform((n,), self.factor[0] * 360.0, self.factor[1] * 360.0) * math.pi / 180.0
        cx, cy = 0.5 * (w - 1), 0.5 * (h - 1)
        out = []
        for a in angles:
            a0, a1, b0, b1 = math.cos(a), -math.sin(a), math.sin(a), math.cos(a)
            out.append([a0, a1, cx - cx * a0 - cy * a1, b0, b1, cy - cx * b0 - cy * b1])
        return out

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor)}


class RandomCrop(_Augmentation):
    """In training, one random (height, width) window of the batch's images (resized to that size if
    the images are smaller); at inference the images pass through unchanged, as in Keras 3."""

    def __init__(self, height, width, seed=None, data_format=None, name=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, name=name, **kwargs)
        self.height, self.width = int(height), int(width)

    def augment(self, x):
        h, w = x.shape[1], x.shape[2]
        top = int(self.uniform((1,), 0, max(h - self.height + 1, 1))[0]) if h > self.height else 0
        left = int(self.uniform((1,), 0, max(w - self.width + 1, 1))[0]) if w > self.width else 0
        out = x[:, top:top + self.height, left:left + self.width, :]
        if tuple(out.shape[1:3]) != (self.height, self.width):
            out = _resize(out, self.height, self.width, "bilinear")
        return out

    def get_config(self):
        config = super().get_config()
        del config["value_range"]
        return {**config, "height": self.height, "width": self.width}


class RandomShear(_Affine):
    """Shears each image by factors drawn from U(x_factor) and U(y_factor) (each in [0, 1]), with a
    random sign per image: x' = x + s_x y, y' = s_y x + y."""

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format=data_format, **kwargs)
        self.x_factor, self.y_factor = (_unit_symmetric(f, "RandomShear") for f in (x_factor, y_factor))

    def transforms(self, n, h, w):
        sign = np.where(self.uniform((n,)) > 0.5, -1.0, 1.0)
        sy, sx = self.uniform((n,), *self.y_factor) * sign, self.uniform((n,), *self.x_factor) * sign
        return [[1.0, sx[i], 0.0, sy[i], 1.0, 0.0] for i in range(n)]

    def get_config(self):
        return {**super().get_config(), "x_factor": list(self.x_factor), "y_factor": list(self.y_factor)}


def _unit_symmetric(factor, where_):
    """RandomShear's factors: numbers in [0, 1]; f gives (-f, f), a pair is sorted."""
    values = factor if isinstance(factor, (tuple, list)) else (factor,)
    if len(values) not in (1, 2) or any(not isinstance(v, (int, float)) or not 0 <= v <= 1 for v in values):
        raise ArgumentError(f"{where_}: a factor must be a number or two numbers in [0, 1], got {factor!r}")
    return tuple(sorted(float(v) for v in factor)) if len(values) == 2 else (-float(factor), float(factor))
