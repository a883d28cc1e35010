"""Keras's rectangle augmentations: `RandomErasing` (a random rectangle of each image filled) and
`CutMix` (a random rectangle of each image replaced by the same rectangle of another image of the
batch, and the labels mixed by the area kept). Channels-last images; both pass images through at
inference. The rectangle's sides are `sqrt(w) * width` and `sqrt(w) * height` for a drawn weight
`w`, at a uniformly drawn place, covering the pixels whose coordinates fall inside it, as Keras.

    >>> cutmix = keras.layers.CutMix(seed=0)
    >>> out = cutmix({"images": ember.rand(4, 8, 8, 3), "labels": ember.eye(4)})
    >>> out["images"].shape, out["labels"].sum(-1).tolist()
    (ember.Size([4, 8, 8, 3]), [1.0, 1.0, 1.0, 1.0])
"""
import numpy as np

from ember.errors import ArgumentError, ShapeError
from ember.ops.creation import as_tensor
from ember.keras.layers.augment import _Augmentation, factor_range

__all__ = ["RandomErasing", "CutMix"]


def rectangle_masks(shape, x_range, y_range):
    """(n, h, w, 1) bool masks of the rectangles [x0, x1) x [y0, y1) (float pixel coordinates)."""
    n, h, w = shape[:3]
    ys, xs = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij")
    (x0, x1), (y0, y1) = ((a.astype(np.float32).reshape(n, 1, 1) for a in r) for r in (x_range, y_range))
    return ((xs >= x0) & (xs < x1) & (ys >= y0) & (ys < y1))[..., None]


class _Rectangles(_Augmentation):
    def bounds(self, n, length, ratio):
        """Start and end of a span of `ratio * length` placed uniformly in [0, length)."""
        span = (ratio * length).astype(np.float32)
        start = self.uniform((n,)).astype(np.float32) * (length - span)
        return start, start + span


class RandomErasing(_Rectangles):
    """Fills a rectangle of each image, with probability U(factor), by `fill_value` (a number, three
    numbers (RGB), or None: Gaussian noise times the top of `value_range`), clipped to `value_range`.
    The rectangle's area fraction per side squared is drawn from U(scale)."""

    def __init__(self, factor=1.0, scale=(0.02, 0.33), fill_value=None, value_range=(0, 255), seed=None,
                 data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "RandomErasing")
        self.scale = factor_range(scale, (0.0, 1.0), "RandomErasing (scale)")
        if fill_value is not None and not (isinstance(fill_value, (int, float)) or (
                isinstance(fill_value, (tuple, list)) and len(fill_value) == 3)):
            raise ArgumentError(f"RandomErasing: fill_value must be None, a number or three numbers, got "
                                f"{fill_value!r}")
        self.fill_value = fill_value

    def augment(self, x):
        images = x.detach().numpy().astype(np.float32)
        n, h, w, c = images.shape
        weight = np.sqrt(self.uniform((n, 2), *self.scale))
        masks = rectangle_masks(images.shape, self.bounds(n, w, weight[:, 0]), self.bounds(n, h, weight[:, 1]))
        erase = self.uniform((n,)) < self.uniform((n,), *self.factor)
        if self.fill_value is None:
            noise = self._rng.standard_normal(images.shape) if self._rng is not None else \
                np.random.default_rng(int(self.uniform((1,))[0] * 2 ** 31)).standard_normal(images.shape)
            fill = noise * self.value_range[1]
        else:
            fill = np.broadcast_to(np.asarray(self.fill_value, np.float64), images.shape)
            if np.ndim(self.fill_value) and c != 3:
                raise ShapeError(f"RandomErasing {self.name!r}: three fill values need 3 channels, got {c}")
        fill = np.clip(fill, *self.value_range).astype(np.float32)
        out = np.where(masks & erase.reshape(n, 1, 1, 1), fill, images)
        return as_tensor(out).to(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "fill_value": self.fill_value}


class CutMix(_Rectangles):
    """Pastes into each image a rectangle of another image of the batch (a random permutation); the
    area kept, `lam`, starts from Beta(alpha, alpha) with alpha ~ U(factor). Given
    `{"images": ..., "labels": ...}`, returns both, labels mixed as `lam * y + (1 - lam) * y[perm]`."""

    def __init__(self, factor=1.0, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "CutMix")

    def call(self, inputs, training=True):
        labels = None
        if isinstance(inputs, dict):
            if "images" not in inputs:
                raise ArgumentError(f"CutMix {self.name!r}: a dict input needs 'images' (and may have 'labels'), "
                                    f"got keys {sorted(inputs)}")
            inputs, labels = inputs["images"], inputs.get("labels")
        x = inputs if inputs.dtype.is_floating_point else inputs.float()
        if not training or x.ndim == 3:  # one image has nothing to mix with, as Keras
            return x if labels is None else {"images": x, "labels": labels}
        if x.ndim != 4:
            raise ShapeError(f"CutMix {self.name!r}: images of shape {tuple(x.shape)}: expected (batch, height, "
                             "width, channels)")
        images, lam, perm = self.mix(x)
        if labels is None:
            return images
        y = labels if labels.dtype.is_floating_point else labels.float()
        lam_t = as_tensor(lam.reshape(-1, *([1] * (y.ndim - 1)))).to(y.dtype)
        return {"images": images, "labels": lam_t * y + (1.0 - lam_t) * y.index_select(0, as_tensor(perm))}

    def mix(self, x):
        """(mixed images, the area fraction each image keeps, the permutation)."""
        images = x.detach().numpy().astype(np.float32)
        n, h, w, _ = images.shape
        rng = self._rng if self._rng is not None else np.random.default_rng(int(self.uniform((1,))[0] * 2 ** 31))
        alpha = rng.uniform(*self.factor) + 1e-6
        ratio = np.sqrt(1.0 - rng.beta(alpha, alpha, n)).astype(np.float32)
        (x0, x1), (y0, y1) = self.bounds(n, w, ratio), self.bounds(n, h, ratio)
        masks = rectangle_masks(images.shape, (x0, x1), (y0, y1))
        lam = 1.0 - (x1 - x0) * (y1 - y0) / (w * h)
        perm = rng.permutation(n)
        return as_tensor(np.where(masks, images[perm], images)).to(x.dtype), lam, perm

    def get_config(self):
        config = super().get_config()
        del config["value_range"]
        return {**config, "factor": list(self.factor)}
