"""`keras.preprocessing.image` (also in `keras.utils`): images as arrays and back, with Pillow
(the `images` extra), and `smart_resize`.

    >>> x = np.zeros((4, 6, 3), "float32")
    >>> keras.preprocessing.image.smart_resize(x, (2, 2)).shape
    (2, 2, 3)
"""
import os

import numpy as np

from ember.errors import ArgumentError

__all__ = ["img_to_array", "array_to_img", "load_img", "save_img", "smart_resize"]

_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}


def _pil():
    try:
        from PIL import Image
    except ImportError:
        raise ArgumentError("keras image helpers need Pillow: pip install 'ember[images]'") from None
    return Image


def _channels_last(data_format):
    if data_format not in (None, "channels_last", "channels_first"):
        raise ArgumentError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format != "channels_first"


def img_to_array(img, data_format=None, dtype=None):
    """A PIL image as a float32 array (height, width, channels)."""
    x = np.asarray(img, dtype=dtype or "float32")
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise ArgumentError(f"img_to_array: expected a 2-D or 3-D image, got shape {x.shape}")
    return x if _channels_last(data_format) else x.transpose(2, 0, 1)


def array_to_img(x, data_format=None, scale=True, dtype=None):
    """A (height, width, channels) array as a PIL image; with `scale`, values are stretched to 0..255."""
    x = np.asarray(x, dtype=dtype or "float32")
    if x.ndim != 3:
        raise ArgumentError(f"array_to_img: expected a 3-D array (height, width, channels), got shape {x.shape}")
    if not _channels_last(data_format):
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        top = x.max()
        if top != 0:
            x = x / top
        x = x * 255
    channels = x.shape[2]
    mode = {1: "L", 3: "RGB", 4: "RGBA"}.get(channels)
    if mode is None:
        raise ArgumentError(f"array_to_img: unsupported number of channels {channels} (1, 3 or 4)")
    x = x.astype("uint8")
    return _pil().fromarray(x[:, :, 0] if channels == 1 else x, mode)


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """The image file at `path` as a PIL image in `color_mode`, resized to `target_size` (height, width)."""
    if color_mode not in _MODES:
        raise ArgumentError(f"load_img: color_mode must be one of {sorted(_MODES)}, got {color_mode!r}")
    Image = _pil()
    if not os.path.exists(path):
        raise ArgumentError(f"load_img: no image file at {path!r}")
    with Image.open(path) as img:
        img = img.convert(_MODES[color_mode])
    if target_size is not None:
        width_height = (target_size[1], target_size[0])
        methods = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
                   "lanczos": Image.LANCZOS, "box": Image.BOX, "hamming": Image.HAMMING}
        if interpolation not in methods:
            raise ArgumentError(f"load_img: interpolation must be one of {sorted(methods)}, got {interpolation!r}")
        if img.size != width_height:
            if keep_aspect_ratio:
                img = img.crop(_center_box(img.size[1], img.size[0], *target_size))
            img = img.resize(width_height, methods[interpolation])
    return img


def _center_box(height, width, target_h, target_w):
    """(left, top, right, bottom) of the largest centred box with the target's aspect ratio."""
    crop_h = min(height, int(width * target_h / target_w))
    crop_w = min(width, int(height * target_w / target_h))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    return left, top, left + crop_w, top + crop_h


def save_img(path, x, data_format=None, file_format=None, scale=True, **kwargs):
    """Write the array `x` as an image file (format from `file_format` or the file name)."""
    img = array_to_img(x, data_format=data_format, scale=scale)
    if img.mode == "RGBA" and (file_format == "jpeg" or str(path).lower().endswith((".jpg", ".jpeg"))):
        img = img.convert("RGB")
    img.save(path, format=file_format, **kwargs)


def smart_resize(x, size, interpolation="bilinear", data_format="channels_last", backend_module=None):
    """Resize an image (or a batch) to `size` without distorting it: the largest centred crop with the
    target's aspect ratio, then a bilinear resize (half-pixel centres, as Keras)."""
    if interpolation != "bilinear":
        raise ArgumentError(f"smart_resize: ember supports interpolation='bilinear', got {interpolation!r}")
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ArgumentError(f"smart_resize: expected (height, width, channels) or a batch of them, got {x.shape}")
    last = _channels_last(data_format)
    h_axis = x.ndim - 3 if last else x.ndim - 2
    height, width = x.shape[h_axis], x.shape[h_axis + 1]
    target_h, target_w = size
    crop_h = min(height, int(width * target_h / target_w))
    crop_w = min(width, int(height * target_w / target_h))
    top, left = (height - crop_h) // 2, (width - crop_w) // 2
    index = [slice(None)] * x.ndim
    index[h_axis], index[h_axis + 1] = slice(top, top + crop_h), slice(left, left + crop_w)
    crop = x[tuple(index)].astype(np.float32)
    return _resize_axis(_resize_axis(crop, h_axis, target_h), h_axis + 1, target_w)


def _resize_axis(x, axis, size):
    """Linear interpolation along one axis with half-pixel centres (no antialiasing)."""
    n = x.shape[axis]
    pos = np.clip((np.arange(size) + 0.5) * n / size - 0.5, 0, n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = (pos - lo).reshape([-1 if i == axis else 1 for i in range(x.ndim)])
    return np.take(x, lo, axis) * (1 - frac) + np.take(x, hi, axis) * frac

