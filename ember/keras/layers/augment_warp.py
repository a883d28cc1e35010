"""Keras's non-affine warps: `RandomPerspective` (the corners of each image moved at random, the image
resampled through the homography between old and new corners) and `RandomElasticTransform` (each
pixel moved by a Gaussian-smoothed random field). Channels-last images; both pass images through
at inference. `perspective_transform` and `elastic_transform` are Keras's `ops.image` functions
on NumPy arrays (the elastic field's Gaussian noise is given, so a caller can pin it).

    >>> warp = keras.layers.RandomPerspective(scale=0.3, seed=0)
    >>> warp(ember.rand(2, 8, 8, 3) * 255).shape
    ember.Size([2, 8, 8, 3])
"""
import numpy as np

from ember.errors import ArgumentError
from ember.ops.creation import as_tensor
from ember.keras.layers.augment import _Augmentation, factor_range
from ember.keras.layers.augment_affine import FILL_MODES, INDEX_FIXERS, _nodes
from ember.keras.layers.augment_filters import gaussian_kernel

__all__ = ["perspective_transform", "elastic_transform", "RandomPerspective", "RandomElasticTransform"]


def sample(image, rows, cols, interpolation, fill_mode, fill_value):
    """(H, W, C) `image` read at float coordinates `rows`, `cols` (any equal shape), as Keras's
    `map_coordinates` (order 1 for bilinear, 0 for nearest)."""
    h, w = image.shape[:2]
    fix = INDEX_FIXERS[fill_mode]
    out = np.zeros(rows.shape + image.shape[2:], np.float64)
    for r, wr in _nodes(rows, interpolation):
        for c, wc in _nodes(cols, interpolation):
            value = image[fix(r, h), fix(c, w)]
            if fill_mode == "constant":
                valid = (r >= 0) & (r < h) & (c >= 0) & (c < w)
                value = np.where(valid[..., None], value, fill_value)
            out += (wr * wc)[..., None] * value
    return out


def homography(start, end):
    """The 8 coefficients mapping each of the 4 `end` points (x, y) onto its `start` point."""
    rows, rhs = [], []
    for (xs, ys), (xe, ye) in zip(start, end):
        rows += [[xe, ye, 1, 0, 0, 0, -xs * xe, -xs * ye], [0, 0, 0, xe, ye, 1, -ys * xe, -ys * ye]]
        rhs += [xs, ys]
    return np.linalg.solve(np.asarray(rows, np.float64), np.asarray(rhs, np.float64))


def perspective_transform(images, start_points, end_points, interpolation="bilinear", fill_value=0.0):
    """(N, H, W, C) NumPy images warped so that `start_points` (N, 4, 2) land on `end_points`."""
    n, h, w, _ = images.shape
    y, x = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    out = np.empty(images.shape, np.float64)
    for i in range(n):
        a0, a1, a2, a3, a4, a5, a6, a7 = homography(start_points[i], end_points[i])
        denominator = a6 * x + a7 * y + 1.0
        out[i] = sample(images[i], (a3 * x + a4 * y + a5) / denominator, (a0 * x + a1 * y + a2) / denominator,
                        interpolation, "constant", fill_value)
    return out


def _blur(field, sigma):
    """Keras's Gaussian blur of (N, H, W) fields: a (6 sigma | 1)-tap kernel, zero padding."""
    size = int(6 * sigma) | 1
    g, pad = gaussian_kernel(size, sigma), size // 2
    padded = np.pad(field, [(0, 0), (pad, pad), (pad, pad)])
    h, w = field.shape[1:]
    rows = sum(g[k] * padded[:, k:k + h, :] for k in range(size))
    return sum(g[k] * rows[:, :, k:k + w] for k in range(size))


def elastic_transform(images, alpha, sigma, noise_x, noise_y, interpolation="bilinear", fill_mode="reflect",
                      fill_value=0.0):
    """(N, H, W, C) NumPy images, each pixel read at its position plus `alpha` times the blurred
    `sigma * noise` fields (`noise_x`, `noise_y`: (N, H, W) standard normal draws)."""
    n, h, w, _ = images.shape
    if sigma <= 0:  # no field: every pixel stays
        return images.astype(np.float64)
    dx, dy = _blur(noise_x * sigma, sigma), _blur(noise_y * sigma, sigma)
    y, x = np.meshgrid(np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64), indexing="ij")
    return np.stack([sample(images[i], y + alpha * dy[i], x + alpha * dx[i], interpolation, fill_mode, fill_value)
                     for i in range(n)])


def _interpolation(value, where_):
    if value not in ("bilinear", "nearest"):
        raise ArgumentError(f"{where_}: interpolation must be 'bilinear' or 'nearest', got {value!r}")
    return value


class RandomPerspective(_Augmentation):
    """With probability U(factor) per image, moves each corner by U(-scale/2, scale/2) times its own
    coordinates and warps the image to match (outside pixels `fill_value`)."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "RandomPerspective")
        if not isinstance(scale, (int, float)) or not 0 <= scale <= 1:
            raise ArgumentError(f"RandomPerspective: scale must be a number in [0, 1], got {scale!r}")
        self.scale, self.fill_value = float(scale), float(fill_value)
        self.interpolation = _interpolation(interpolation, "RandomPerspective")

    def augment(self, x):
        images = x.detach().numpy().astype(np.float32)
        n, h, w, _ = images.shape
        apply = self.uniform((n,)) < self.uniform((n,), *self.factor)
        start = np.broadcast_to(np.array([[0, 0], [w - 1, 0], [0, h - 1], [w - 1, h - 1]], np.float64), (n, 4, 2))
        end = start + start * self.uniform((n, 4, 2), -0.5 * self.scale, 0.5 * self.scale)
        warped = perspective_transform(images, start, end, self.interpolation, self.fill_value)
        return as_tensor(np.where(apply.reshape(n, 1, 1, 1), warped, images).astype(np.float32)).to(x.dtype)

    def get_config(self):
        config = super().get_config()
        del config["value_range"]
        return {**config, "factor": list(self.factor), "scale": self.scale, "interpolation": self.interpolation,
                "fill_value": self.fill_value}


class RandomElasticTransform(_Augmentation):
    """With probability U(factor) per image, displaces the pixels by a random field smoothed with a
    Gaussian of sigma `0.05 * s * min(h, w)` and scaled by `0.1 * s * max(h, w)`, s ~ U(scale) once
    per call; the result is clipped to `value_range`."""

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect", fill_value=0.0,
                 value_range=(0, 255), seed=None, data_format=None, **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "RandomElasticTransform")
        self.scale = factor_range(scale, (0.0, 1.0), "RandomElasticTransform (scale)")
        if fill_mode not in FILL_MODES:
            raise ArgumentError(f"RandomElasticTransform: fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
        self.interpolation = _interpolation(interpolation, "RandomElasticTransform")
        self.fill_mode, self.fill_value = fill_mode, float(fill_value)

    def augment(self, x):
        if self.scale[1] == 0 or self.factor[1] == 0:
            return x
        images = x.detach().numpy().astype(np.float32)
        n, h, w, _ = images.shape
        apply = self.uniform((n,)) < self.uniform((n,), *self.factor)
        s = float(self.uniform((1,), *self.scale)[0])
        alpha, sigma = max(h, w) * 0.1 * s, min(h, w) * 0.05 * s
        rng = self._rng if self._rng is not None else np.random.default_rng(int(self.uniform((1,))[0] * 2 ** 31))
        noise = rng.standard_normal((2, n, h, w))
        warped = elastic_transform(images, alpha, sigma, noise[0], noise[1], self.interpolation, self.fill_mode,
                                   self.fill_value)
        out = np.clip(np.where(apply.reshape(n, 1, 1, 1), warped, images), *self.value_range)
        return as_tensor(out.astype(np.float32)).to(x.dtype)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "scale": list(self.scale),
                "interpolation": self.interpolation, "fill_mode": self.fill_mode, "fill_value": self.fill_value}
