"""Two deterministic image preprocessing layers of Keras: `ContrastLimitedAdaptiveHistogramEqualization`
(CLAHE, per tile and channel, bilinearly blended between tiles) and `MaxNumBoundingBoxes` (a fixed
number of boxes per image, for batching). Both apply in training and at inference, as in Keras.

    >>> clahe = keras.layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
    >>> clahe(ember.rand(1, 8, 8, 1) * 255).shape
    ember.Size([1, 8, 8, 1])
    >>> boxes = {"boxes": ember.ones(2, 1, 4), "labels": ember.ones(2, 1)}
    >>> pad = keras.layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    >>> pad({"images": ember.ones(2, 4, 4, 3), "bounding_boxes": boxes})["bounding_boxes"]["labels"].tolist()
    [[1.0, -1.0, -1.0], [1.0, -1.0, -1.0]]
"""
import numpy as np

from ember.errors import ArgumentError, ShapeError
from ember.nn import functional as F
from ember.ops.creation import as_tensor
from ember.keras.layers.augment import _Augmentation
from ember.keras.layers.base import Layer

__all__ = ["ContrastLimitedAdaptiveHistogramEqualization", "MaxNumBoundingBoxes", "clahe"]


def _tile_maps(tiles, clip_limit):
    """(n, gh, gw, c, pixels) integer tiles -> each tile's clipped, equalized 0..255 map (..., 256)."""
    n, gh, gw, c, pixels = tiles.shape
    offsets = np.arange(n * gh * gw * c).reshape(n, gh, gw, c, 1) * 256
    hists = np.bincount((offsets + tiles).ravel(), minlength=n * gh * gw * c * 256)
    hists = hists.reshape(n, gh, gw, c, 256).astype(np.float32)
    if clip_limit > 0:
        clipped = np.clip(hists, 0, np.float32(clip_limit * pixels / 256.0))
        hists = clipped + (hists - clipped).sum(-1, keepdims=True) / np.float32(256.0)
    cdf = np.cumsum(hists, -1, dtype=np.float32)
    cdf_min = cdf.min(-1, keepdims=True)
    denominator = np.float32(pixels) - cdf_min
    return np.clip((cdf - cdf_min) * np.float32(255.0) / np.where(denominator == 0, 1, denominator), 0, 255)


def clahe(images, clip_limit, tile_grid_size, pad_mode="symmetric"):
    """Keras's CLAHE of (n, h, w, c) float32 NumPy images on the 0..255 scale; images that the grid does
    not divide are padded at the bottom and right by `pad_mode` (NumPy's modes)."""
    n, h, w, c = images.shape
    gh, gw = tile_grid_size
    th, tw = -(-h // gh), -(-w // gw)
    padded = np.pad(images, [(0, 0), (0, th * gh - h), (0, tw * gw - w), (0, 0)], mode=pad_mode)
    tiles = padded.reshape(n, gh, th, gw, tw, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, gh, gw, c, th * tw)
    maps = np.pad(_tile_maps(np.clip(tiles.astype(np.int32), 0, 255), clip_limit),
                  [(0, 0), (1, 1), (1, 1), (0, 0), (0, 0)], mode="edge")  # a border of copied tiles
    pixels = np.clip(padded, 0, 255).astype(np.int32)
    b, ch = np.arange(n).reshape(n, 1, 1, 1), np.arange(c).reshape(1, 1, 1, c)
    corners = []
    for size, tile, grid in ((th * gh, th, gh), (tw * gw, tw, gw)):
        at = (np.arange(size, dtype=np.float32) - np.float32(tile / 2.0)) / np.float32(tile) + np.float32(1.0)
        low = np.floor(at)
        corners.append((np.clip(low, 0, grid + 1).astype(np.int64), np.clip(low + 1, 0, grid + 1).astype(np.int64),
                        at - low))
    (y0, y1, wy), (x0, x1, wx) = corners
    y0, y1, wy = (a.reshape(1, -1, 1, 1) for a in (y0, y1, wy))
    x0, x1, wx = (a.reshape(1, 1, -1, 1) for a in (x0, x1, wx))
    top = maps[b, y0, x0, ch, pixels] * (1 - wx) + maps[b, y0, x1, ch, pixels] * wx
    bottom = maps[b, y1, x0, ch, pixels] * (1 - wx) + maps[b, y1, x1, ch, pixels] * wx
    return (top * (1 - wy) + bottom * wy)[:, :h, :w].astype(np.float32)


class ContrastLimitedAdaptiveHistogramEqualization(_Augmentation):
    """Equalizes each channel's histogram per tile of a `tile_grid_size` grid, each histogram clipped
    at `clip_limit` times the mean bin count (the excess spread over all bins; 0 turns clipping off),
    and blends the neighbouring tiles' maps bilinearly."""

    def __init__(self, value_range=(0, 255), clip_limit=4.0, tile_grid_size=(8, 8), data_format=None, **kwargs):
        super().__init__(value_range, None, data_format, **kwargs)
        if not isinstance(clip_limit, (int, float)) or clip_limit < 0:
            raise ArgumentError(f"ContrastLimitedAdaptiveHistogramEqualization: clip_limit must be a number >= 0, "
                                f"got {clip_limit!r}")
        grid = tuple(tile_grid_size) if isinstance(tile_grid_size, (tuple, list)) else ()
        if len(grid) != 2 or not all(isinstance(g, int) and g > 0 for g in grid):
            raise ArgumentError(f"ContrastLimitedAdaptiveHistogramEqualization: tile_grid_size must be two positive "
                                f"ints, got {tile_grid_size!r}")
        self.clip_limit, self.tile_grid_size = float(clip_limit), grid

    def call(self, inputs, training=True):
        return super().call(inputs, training=True)

    def augment(self, x):
        low, high = self.value_range
        images = (x.detach().numpy().astype(np.float32) - low) / np.float32(high - low) * np.float32(255.0)
        out = clahe(images, self.clip_limit, self.tile_grid_size) / np.float32(255.0) * np.float32(high - low) + low
        return as_tensor(out.astype(np.float32)).to(x.dtype)

    def get_config(self):
        config = super().get_config()
        del config["seed"]
        return {**config, "clip_limit": self.clip_limit, "tile_grid_size": list(self.tile_grid_size)}


class MaxNumBoundingBoxes(Layer):
    """Truncates or pads (with `fill_value`) the `bounding_boxes` of a `{"images": ..., "bounding_boxes":
    {"boxes": (batch, n, 4), "labels": (batch, n)}}` input to `max_number` boxes; images (and a plain
    image input) pass through."""

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(max_number, int) or isinstance(max_number, bool) or max_number <= 0:
            raise ArgumentError(f"MaxNumBoundingBoxes: max_number must be a positive int, got {max_number!r}")
        self.max_number, self.fill_value = max_number, int(fill_value)
        self.bounding_box_format = bounding_box_format  # boxes are only cut or padded: any format

    def _maybe_build(self, inputs):
        self.built = True

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict) or "bounding_boxes" not in inputs:
            return inputs
        if self.bounding_box_format is None:
            raise ArgumentError(f"MaxNumBoundingBoxes {self.name!r}: the input has bounding_boxes; give the layer "
                                "their format, e.g. bounding_box_format='xyxy'")
        boxes = inputs["bounding_boxes"]
        extra = set(boxes) - {"boxes", "labels"}
        if extra:
            raise ArgumentError(f"MaxNumBoundingBoxes {self.name!r}: bounding_boxes may hold only 'boxes' and "
                                f"'labels', got also {sorted(extra)}")
        b, labels = boxes["boxes"], boxes["labels"]
        if b.ndim != 3 or b.shape[-1] != 4 or labels.ndim != 2 or tuple(labels.shape) != tuple(b.shape[:2]):
            raise ShapeError(f"MaxNumBoundingBoxes {self.name!r}: boxes {tuple(b.shape)} and labels "
                             f"{tuple(labels.shape)}: expected (batch, n, 4) and (batch, n)")
        pad = max(self.max_number - b.shape[1], 0)
        out = dict(inputs)
        out["bounding_boxes"] = {
            "boxes": F.pad(b[:, :self.max_number], (0, 0, 0, pad), value=self.fill_value),
            "labels": F.pad(labels[:, :self.max_number], (0, pad), value=self.fill_value)}
        return out

    def get_config(self):
        return {**super().get_config(), "max_number": self.max_number, "fill_value": self.fill_value,
                "bounding_box_format": self.bounding_box_format}
