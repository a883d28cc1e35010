"""Keras's filtering augmentations: `RandomGaussianBlur` (each image blurred with probability drawn
from U(factor), a Gaussian kernel of `kernel_size` and a sigma from U(sigma)) and `Equalization`
(histogram equalization per channel over the batch, deterministic in training, as Keras's).

    >>> keras.layers.Equalization()(ember.ones(1, 4, 4, 3)).shape
    ember.Size([1, 4, 4, 3])
"""
import numpy as np

from ember.errors import ArgumentError
from ember.ops.binary import where
from ember.ops.creation import as_tensor
from ember.keras.layers.augment import _Augmentation, factor_range
from ember.keras.ops_nn import depthwise_conv

__all__ = ["RandomGaussianBlur", "Equalization"]


def gaussian_kernel(size, sigma):
    """The normalized 1-d Gaussian of `size` taps (centred) and width `sigma`."""
    x = np.arange(size) - (size - 1) / 2
    k = np.exp(-0.5 * (x / sigma) ** 2)
    return k / k.sum()


class RandomGaussianBlur(_Augmentation):
    """Blurs each image, with a probability drawn from U(factor), by a `kernel_size` Gaussian whose
    sigmas (rows, columns) are drawn from U(sigma) once per call; the border is zero-padded, as Keras."""

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255), data_format=None, seed=None,
                 **kwargs):
        super().__init__(value_range, seed, data_format, **kwargs)
        self.factor = factor_range(factor, (0.0, 1.0), "RandomGaussianBlur")
        self.sigma = factor_range(sigma, (0.0, 1.0), "RandomGaussianBlur")
        sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size, kernel_size)
        if len(sizes) != 2 or any(int(s) % 2 == 0 for s in sizes):
            raise ArgumentError(f"RandomGaussianBlur: kernel_size must be odd (or two odd numbers), got "
                                f"{kernel_size!r}")
        self.kernel_size = tuple(int(s) for s in sizes)

    def augment(self, x):
        n = x.shape[0]
        apply = self.uniform((n,)) < self.uniform((n,), *self.factor)
        sigma_rows, sigma_cols = self.uniform((2,), *self.sigma) + 1e-6
        kh, kw = self.kernel_size
        kernel = np.outer(gaussian_kernel(kh, sigma_cols), gaussian_kernel(kw, sigma_rows))
        depthwise = np.repeat(kernel[:, :, None, None], x.shape[-1], axis=2).astype(np.float32)
        blurred = depthwise_conv(x, as_tensor(depthwise).to(x.dtype), padding="same")
        return where(as_tensor(apply.reshape(-1, 1, 1, 1)), blurred, x)

    def get_config(self):
        return {**super().get_config(), "factor": list(self.factor), "kernel_size": list(self.kernel_size),
                "sigma": list(self.sigma)}


class Equalization(_Augmentation):
    """Histogram equalization of each channel over the batch (`bins` bins on the 0..255 scale of
    `value_range`); images pass through at inference, as Keras's."""

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(value_range, None, data_format, **kwargs)
        self.bins = int(bins)

    def augment(self, x):
        low, high = self.value_range
        values = x.detach().numpy().astype(np.float64)
        out = np.empty_like(values)
        for c in range(values.shape[-1]):
            channel = (values[..., c] - low) * (255.0 / (high - low))
            out[..., c] = self._equalize(channel) * ((high - low) / 255.0) + low
        return as_tensor(out).to(x.dtype)

    def _equalize(self, channel):
        bins = self.bins
        index = np.clip((channel * (bins - 1) / 255.0).astype(np.int64), 0, bins - 1)
        hist = np.bincount(index.ravel(), minlength=bins)
        if np.count_nonzero(hist) <= 1:
            return channel
        cdf = np.cumsum(hist)
        cdf_min = cdf[np.nonzero(cdf)[0][0]]
        denominator = cdf[-1] - cdf_min or 1
        table = np.clip(np.round((cdf - cdf_min) * 255 / denominator), 0, 255)
        return table[np.clip((channel / 255.0 * (bins - 1)).astype(np.int64), 0, bins - 1)]

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        return {**config, "bins": self.bins}
