"""Keras's numeric and image preprocessing layers: `Normalization` (fixed or adapted mean and
variance), `Discretization` (bucket indices), `CategoryEncoding` (one-hot, multi-hot, counts),
`Resizing` and `CenterCrop` (channels-last images, PyTorch's interpolation as Keras's torch backend),
and `Pipeline` (layers applied in turn).

    >>> norm = keras.layers.Normalization()
    >>> norm.adapt(np.array([[1.0], [3.0]]))
    >>> norm(np.array([[2.0]]))
    tensor([[0.]])
"""
import numpy as np

from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.creation import as_tensor, tensor
from ember.keras.layers.base import Layer
from ember.keras.layers._util import deserialize_layer, serialize_layer
from ember.keras.layers.conv import to_channels_first, to_channels_last
from ember.keras.ops_nn import multi_hot

__all__ = ["Normalization", "Discretization", "CategoryEncoding", "Resizing", "CenterCrop", "Pipeline"]

EPSILON = 1e-7


def _values(data):
    """A NumPy float array of `data` (arrays, tensors, or an iterable of batches)."""
    if hasattr(data, "detach"):
        return data.detach().numpy().astype(np.float64)
    if isinstance(data, (np.ndarray, list, tuple)):
        return np.asarray(data, dtype=np.float64)
    return np.concatenate([_values(batch) for batch in data])


class Normalization(Layer):
    """`(x - mean) / sqrt(variance)` per feature along `axis` (the last by default); the statistics
    are given or computed by `adapt(data)`. `invert=True` undoes the normalization. As in Keras,
    adapted statistics are non-trainable weights (`mean`, `variance`, `count`), so a saved model
    keeps them; before `adapt` they are 0 and 1."""

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if (mean is None) != (variance is None):
            raise ArgumentError("Normalization: give both mean and variance, or neither (then call adapt)")
        self.axis = (axis,) if isinstance(axis, int) else tuple(axis or ())
        self.invert, self.input_mean, self.input_variance = bool(invert), mean, variance
        self._fixed = None if mean is None else (np.asarray(mean, np.float64), np.asarray(variance, np.float64))

    def build(self, input_shape):
        if self._fixed is not None:
            return
        shape = tuple(input_shape[a % len(input_shape)] for a in sorted(a % len(input_shape) for a in self.axis))
        if any(d is None for d in shape):
            raise ShapeError(f"Normalization {self.name!r}: axis {self.axis} of the input shape {tuple(input_shape)} "
                             "must be known")
        self.mean = self.add_weight(shape, "zeros", trainable=False, name="mean")
        self.variance = self.add_weight(shape, "ones", trainable=False, name="variance")
        self.count = self.add_weight((), "zeros", trainable=False, name="count")

    def adapt(self, data, batch_size=None, steps=None):
        """Compute the mean and variance of `data` over every axis but `axis`."""
        x = _values(data)
        keep = {a % x.ndim for a in self.axis}
        reduce_axes = tuple(d for d in range(x.ndim) if d not in keep)
        if not self.built:
            self.build((None,) + x.shape[1:])
            self.built = True
        self.mean.assign(x.mean(reduce_axes).astype(np.float32))
        self.variance.assign(x.var(reduce_axes).astype(np.float32))

    def _broadcast(self, values, ndim):
        keep = sorted(a % ndim for a in self.axis)
        if values.ndim == 0 or not keep:
            return values
        shape = [1] * ndim
        for a, n in zip(keep, values.shape if values.ndim == len(keep) else [values.numel()]):
            shape[a] = n
        return values.reshape(shape)

    def call(self, inputs):
        x = inputs if inputs.dtype.is_floating_point else inputs.float()
        if self._fixed is not None:
            mean, variance = (tensor(v, dtype=x.dtype) for v in self._fixed)
        else:
            mean, variance = self.mean.detach().to(x.dtype), self.variance.detach().to(x.dtype)
        mean = self._broadcast(mean, x.ndim)
        std = self._broadcast(variance, x.ndim).sqrt().clamp(min=EPSILON)
        return mean + x * std if self.invert else (x - mean) / std

    def get_config(self):
        return {**super().get_config(), "axis": list(self.axis), "invert": self.invert,
                "mean": None if self.input_mean is None else np.asarray(self.input_mean).tolist(),
                "variance": None if self.input_variance is None else np.asarray(self.input_variance).tolist()}


def _encode(name, indices, num_tokens, output_mode, count_weights=None):
    """Integer indices -> "int" (as is), "one_hot", "multi_hot" or "count" rows of `num_tokens`."""
    if output_mode == "int":
        return indices
    t = indices.long()
    if output_mode == "one_hot":
        if t.ndim > 1 and t.shape[-1] == 1:
            t = t.squeeze(-1)
        return F.one_hot(t, num_tokens).float()
    if t.ndim == 0:
        t = t.reshape(1)
    if output_mode == "multi_hot":
        return multi_hot(t if t.ndim > 1 else t.reshape(1, -1), num_tokens).float().reshape(
            *(t.shape[:-1] if t.ndim > 1 else ()), num_tokens)
    if output_mode == "count":
        hot = F.one_hot(t, num_tokens).float()
        if count_weights is not None:
            hot = hot * as_tensor(np.asarray(count_weights, np.float32)).unsqueeze(-1)
        return hot.sum(-2)
    raise ArgumentError(f"{name}: output_mode must be 'int', 'one_hot', 'multi_hot' or 'count', got {output_mode!r}")


class Discretization(Layer):
    """Bucket indices of values: i where `bin_boundaries[i-1] <= x < bin_boundaries[i]`, encoded as
    `output_mode` ("int", "one_hot", "multi_hot", "count")."""

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if sparse:
            raise ArgumentError("Discretization: sparse outputs are not supported by ember")
        if bin_boundaries is None and num_bins is None:
            raise ArgumentError("Discretization: give bin_boundaries, or num_bins and call adapt(data)")
        self.bin_boundaries = None if bin_boundaries is None else [float(b) for b in bin_boundaries]
        self.num_bins, self.epsilon, self.output_mode = num_bins, epsilon, output_mode

    def adapt(self, data, batch_size=None, steps=None):
        """Boundaries at the quantiles of `data` splitting it into `num_bins` equal parts."""
        x = _values(data).reshape(-1)
        self.bin_boundaries = np.quantile(x, np.linspace(0, 1, self.num_bins + 1)[1:-1]).tolist()

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ArgumentError(f"Discretization {self.name!r}: call adapt(data) first (or give bin_boundaries)")
        x = inputs.detach().numpy()
        index = as_tensor(np.digitize(x, np.asarray(self.bin_boundaries)).astype(np.int32 if self.output_mode ==
                                                                                  "int" else np.int64))
        return _encode("Discretization", index, len(self.bin_boundaries) + 1, self.output_mode)

    def get_config(self):
        return {**super().get_config(), "bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": False}


class CategoryEncoding(Layer):
    """Integer categories in [0, num_tokens) as "one_hot", "multi_hot" (default) or "count" rows;
    `call(inputs, count_weights=None)` weighs the counts."""

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if sparse:
            raise ArgumentError("CategoryEncoding: sparse outputs are not supported by ember")
        if output_mode not in ("one_hot", "multi_hot", "count"):
            raise ArgumentError(f"CategoryEncoding: output_mode must be 'one_hot', 'multi_hot' or 'count', got "
                                f"{output_mode!r}")
        if not isinstance(num_tokens, int) or num_tokens <= 0:
            raise ArgumentError(f"CategoryEncoding: num_tokens must be a positive int, got {num_tokens!r}")
        self.num_tokens, self.output_mode = num_tokens, output_mode

    def call(self, inputs, count_weights=None):
        values = inputs.detach().numpy()
        if values.size and (values.min() < 0 or values.max() >= self.num_tokens):
            raise ArgumentError(f"CategoryEncoding {self.name!r}: values must be in [0, {self.num_tokens}), got "
                                f"{values.min()} to {values.max()}")
        return _encode("CategoryEncoding", inputs, self.num_tokens, self.output_mode, count_weights)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens, "output_mode": self.output_mode,
                "sparse": False}


def _crop_to_aspect(x, height, width):
    """The largest centred crop of channels-first `x` with the aspect ratio height:width."""
    h, w = x.shape[-2], x.shape[-1]
    crop_h, crop_w = min(h, int(w * height / width)), min(w, int(h * width / height))
    top, left = (h - crop_h) // 2, (w - crop_w) // 2
    return x[..., top:top + crop_h, left:left + crop_w]


def _resize(images, height, width, interpolation, crop_to_aspect_ratio=False):
    x = images if images.dtype.is_floating_point else images.float()
    batched = x.ndim == 4
    if not batched:
        x = x.unsqueeze(0)
    if x.ndim != 4:
        raise ShapeError(f"resize: images of shape {tuple(images.shape)}: expected (height, width, channels) or "
                         "(batch, height, width, channels)")
    x = to_channels_first(x)
    if crop_to_aspect_ratio:
        x = _crop_to_aspect(x, height, width)
    mode = "nearest-exact" if interpolation == "nearest" else interpolation  # Keras's nearest: pixel centres
    out = F.interpolate(x, size=(height, width), mode=mode,
                        align_corners=False if interpolation in ("bilinear", "bicubic") else None)
    out = to_channels_last(out)
    return out if batched else out.squeeze(0)


class Resizing(Layer):
    """Resizes (batch, height, width, channels) images to (height, width), "bilinear" (default),
    "nearest" or "bicubic"; `crop_to_aspect_ratio` first crops the centre to the target's aspect."""

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0, antialias=False, data_format=None,
                 **kwargs):
        super().__init__(**kwargs)
        if interpolation not in ("bilinear", "nearest", "bicubic"):
            raise ArgumentError(f"Resizing: interpolation must be 'bilinear', 'nearest' or 'bicubic', got "
                                f"{interpolation!r}")
        if pad_to_aspect_ratio or antialias or data_format not in (None, "channels_last"):
            raise ArgumentError("Resizing: pad_to_aspect_ratio, antialias and channels_first are not supported")
        self.height, self.width, self.interpolation = int(height), int(width), interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)

    def call(self, inputs):
        return _resize(inputs, self.height, self.width, self.interpolation, self.crop_to_aspect_ratio)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width,
                "interpolation": self.interpolation, "crop_to_aspect_ratio": self.crop_to_aspect_ratio}


class CenterCrop(Layer):
    """The central (height, width) crop of channels-last images; a smaller image is first cropped to
    the target's aspect ratio and resized up, as Keras does."""

    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(**kwargs)
        if data_format not in (None, "channels_last"):
            raise ArgumentError("CenterCrop: only channels_last is supported")
        self.height, self.width = int(height), int(width)

    def call(self, inputs):
        h, w = inputs.shape[-3], inputs.shape[-2]
        if h < self.height or w < self.width:
            return _resize(inputs, self.height, self.width, "bilinear", crop_to_aspect_ratio=True)
        top, left = (h - self.height) // 2, (w - self.width) // 2
        return inputs[..., top:top + self.height, left:left + self.width, :]

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class Pipeline(Layer):
    """Applies `layers` in turn (preprocessing chains: `Pipeline([Rescaling(1/255), CenterCrop(24, 24)])`)."""

    def __init__(self, layers, **kwargs):
        super().__init__(**kwargs)
        self.layers = list(layers)
        for i, layer in enumerate(self.layers):
            if isinstance(layer, Layer):
                self.add_module(f"layer_{i}", layer)

    def call(self, inputs, training=None):
        for layer in self.layers:
            inputs = layer(inputs, training=training) if isinstance(layer, Layer) else layer(inputs)
        return inputs

    def get_config(self):
        return {**super().get_config(), "layers": [serialize_layer(layer) for layer in self.layers]}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["layers"] = [deserialize_layer(c, "Pipeline") for c in config["layers"]]
        return cls(**config)
