"""Sample transforms with torchvision's names and semantics.

Images are HWC `uint8` NumPy arrays or PIL images until `ToTensor()` turns
them into CHW float32 tensors in [0, 1]; the other image transforms work on
tensors (`(..., H, W)`) and on PIL images. Random transforms draw from the
`generator` they are given, or else from ember's default generator, so
`ember.manual_seed` makes a pipeline reproducible.

    >>> import numpy as np, ember
    >>> from ember.data import transforms as T
    >>> tf = T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])
    >>> tf(np.full((2, 2), 255, dtype=np.uint8))
    tensor([[[1., 1.],
             [1., 1.]]])
"""
import numbers

import numpy as np

from ember.autograd.tensor import Tensor
from ember.backend import dtypes
from ember.backend.random import default_generator
from ember.errors import ArgumentError, DTypeError, ShapeError
from ember.ops.creation import from_numpy, tensor

__all__ = ["Compose", "ToTensor", "Normalize", "RandomCrop", "CenterCrop", "RandomHorizontalFlip",
           "RandomVerticalFlip", "Lambda", "OneHot"]


def _is_pil(img):
    return type(img).__module__.startswith("PIL.")


def _rng(generator):
    return (generator or default_generator).np


def _pair(size, name, what="size"):
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    if isinstance(size, (tuple, list)) and len(size) in (1, 2) and all(isinstance(s, numbers.Integral) for s in size):
        return (int(size[0]), int(size[0])) if len(size) == 1 else (int(size[0]), int(size[1]))
    raise ArgumentError(f"{name}: {what} must be an int or a sequence of 1 or 2 ints (h, w), got {size!r}")


def _check_image(name, img):
    """`img` as (array, wrap) where wrap turns a result array back into the input's kind."""
    if isinstance(img, Tensor):
        if img.ndim < 2:
            raise ShapeError(f"{name}: expected a tensor of shape (..., H, W), got shape {tuple(img.shape)}")
        return img.numpy(force=True), lambda a: tensor(a, device=img.device)
    if isinstance(img, np.ndarray):
        raise ArgumentError(f"{name}: got a NumPy array of shape {img.shape}; apply ToTensor() first "
                            f"(NumPy images are HWC, tensors are CHW) or pass a PIL image")
    raise DTypeError(f"{name}: expected an ember Tensor (..., H, W) or a PIL image, got {type(img).__name__}")


class Compose:
    """Apply `transforms` one after the other.

        >>> Compose([Lambda(lambda x: x + 1), Lambda(lambda x: 2 * x)])(3)
        8
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise ArgumentError(f"Compose: every transform must be callable, got {type(t).__name__}")

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self):
        inner = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"{type(self).__name__}({inner}\n)"


class ToTensor:
    """HWC (or HW) image -> CHW tensor; `uint8` (and PIL images) scaled to float32 in [0, 1].

    Other dtypes keep their values and dtype, as in torchvision.

        >>> ToTensor()(np.zeros((4, 5, 3), dtype=np.uint8)).shape
        ember.Size([3, 4, 5])
    """

    def __call__(self, pic):
        if _is_pil(pic):
            return self._from_pil(pic)
        if not isinstance(pic, np.ndarray):
            raise DTypeError(f"ToTensor: expected a NumPy array (H, W) or (H, W, C) or a PIL image, "
                             f"got {type(pic).__name__}")
        if pic.ndim not in (2, 3):
            raise ShapeError(f"ToTensor: expected an image of shape (H, W) or (H, W, C), got shape {pic.shape}")
        if pic.ndim == 2:
            pic = pic[:, :, None]
        return self._finish(np.ascontiguousarray(pic.transpose(2, 0, 1)))

    def _from_pil(self, pic):
        modes = {"I": np.int32, "I;16": np.int32, "F": np.float32}  # ember has no uint16: widen 16-bit images
        arr = np.array(pic, dtype=modes.get(pic.mode, np.uint8), copy=True)
        if pic.mode == "1":
            arr = arr * np.uint8(255)
        arr = arr.reshape(pic.size[1], pic.size[0], -1)
        return self._finish(np.ascontiguousarray(arr.transpose(2, 0, 1)))

    def _finish(self, chw):
        if chw.dtype == np.uint8:
            dt = dtypes.get_default_dtype().np
            return from_numpy(chw.astype(dt) / dt.type(255))
        return tensor(chw)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """Per-channel `(x - mean[c]) / std[c]` on a float tensor of shape (..., C, H, W).

        >>> import ember
        >>> Normalize((1.0,), (2.0,))(ember.ones(1, 1, 2))
        tensor([[[0., 0.]]])
    """

    def __init__(self, mean, std, inplace=False):
        self.mean = tuple(float(m) for m in np.atleast_1d(np.asarray(mean, dtype=np.float64)))
        self.std = tuple(float(s) for s in np.atleast_1d(np.asarray(std, dtype=np.float64)))
        self.inplace = inplace
        if len(self.mean) != len(self.std) and 1 not in (len(self.mean), len(self.std)):
            raise ArgumentError(f"Normalize: mean has {len(self.mean)} values and std {len(self.std)}; "
                                f"give one value per channel for both")

    def __call__(self, x):
        if not isinstance(x, Tensor):
            raise DTypeError(f"Normalize: expected a tensor (..., C, H, W), got {type(x).__name__}; "
                             f"apply ToTensor() first")
        if not x.is_floating_point():
            raise DTypeError(f"Normalize: expected a floating point tensor, got {x.dtype}; apply ToTensor() first")
        if x.ndim < 3:
            raise ShapeError(f"Normalize: expected a tensor of shape (..., C, H, W), got shape {tuple(x.shape)}")
        c = x.shape[-3]
        if max(len(self.mean), len(self.std)) not in (1, c):
            raise ShapeError(f"Normalize: the input has {c} channels (shape {tuple(x.shape)}) but mean has "
                             f"{len(self.mean)} values and std {len(self.std)}; give 1 or {c}")
        dt = x.numpy(force=True).dtype
        mean = np.asarray(self.mean, dtype=dt).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=dt).reshape(-1, 1, 1)
        if (std == 0).any():
            raise ArgumentError(f"Normalize: std {self.std} has a zero (in {x.dtype}), which would divide by zero")
        mean, std = tensor(mean, device=x.device), tensor(std, device=x.device)
        if self.inplace:
            return x.sub_(mean).div_(std)
        return (x - mean) / std

    def __repr__(self):
        return f"{type(self).__name__}(mean={list(self.mean)}, std={list(self.std)})"


def _crop(img, top, left, h, w):
    if _is_pil(img):
        return img.crop((left, top, left + w, top + h))
    arr, wrap = _check_image("crop", img)
    return wrap(np.ascontiguousarray(arr[..., top:top + h, left:left + w]))


def _size_of(img, name):
    if _is_pil(img):
        return img.size[1], img.size[0]
    arr, _ = _check_image(name, img)
    return arr.shape[-2], arr.shape[-1]


class CenterCrop:
    """Crop the middle `size` (int or (h, w)) of an image; torchvision's rounding."""

    def __init__(self, size):
        self.size = _pair(size, "CenterCrop")

    def __call__(self, img):
        h, w = _size_of(img, "CenterCrop")
        th, tw = self.size
        if th > h or tw > w:
            raise ShapeError(f"CenterCrop: crop size {self.size} is larger than the image ({h}, {w})")
        return _crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size})"


_PAD_MODES = ("constant", "edge", "reflect", "symmetric")


def _padding(padding):
    """torchvision's padding forms -> (left, top, right, bottom)."""
    if isinstance(padding, numbers.Integral):
        return (int(padding),) * 4
    if isinstance(padding, (tuple, list)) and all(isinstance(p, numbers.Integral) for p in padding):
        if len(padding) == 1:
            return (int(padding[0]),) * 4
        if len(padding) == 2:
            return int(padding[0]), int(padding[1]), int(padding[0]), int(padding[1])
        if len(padding) == 4:
            return tuple(int(p) for p in padding)
    raise ArgumentError(f"RandomCrop: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}")


def _pad(img, pad, fill, mode):
    """Pad (left, top, right, bottom); PIL images round-trip through NumPy (HWC)."""
    left, top, right, bottom = pad
    if _is_pil(img):
        from PIL import Image
        arr = np.asarray(img)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
        kw = {"constant_values": fill} if mode == "constant" else {}
        return Image.fromarray(np.pad(arr, widths, mode=mode, **kw), mode=img.mode)
    arr, wrap = _check_image("RandomCrop", img)
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    kw = {"constant_values": fill} if mode == "constant" else {}
    return wrap(np.pad(arr, widths, mode=mode, **kw))


class RandomCrop:
    """Crop a random `size` window, after optional `padding` (torchvision's arguments).

    `padding` is an int, (left/right, top/bottom) or (left, top, right, bottom);
    `padding_mode` is "constant" (with `fill`), "edge", "reflect" or "symmetric".

        >>> import ember
        >>> RandomCrop(28, padding=4)(ember.zeros(1, 28, 28)).shape
        ember.Size([1, 28, 28])
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant", generator=None):
        self.size = _pair(size, "RandomCrop")
        self.padding = None if padding is None else _padding(padding)
        if padding_mode not in _PAD_MODES:
            raise ArgumentError(f"RandomCrop: padding_mode must be one of {_PAD_MODES}, got {padding_mode!r}")
        self.pad_if_needed, self.fill, self.padding_mode, self.generator = pad_if_needed, fill, padding_mode, generator

    def __call__(self, img):
        if self.padding is not None:
            img = _pad(img, self.padding, self.fill, self.padding_mode)
        h, w = _size_of(img, "RandomCrop")
        th, tw = self.size
        if self.pad_if_needed and (h < th or w < tw):
            dw, dh = max(tw - w, 0), max(th - h, 0)
            img = _pad(img, (dw, dh, dw, dh), self.fill, self.padding_mode)
            h, w = _size_of(img, "RandomCrop")
        if h < th or w < tw:
            raise ShapeError(f"RandomCrop: crop size {self.size} is larger than the (padded) image ({h}, {w}); "
                             f"pass padding= or pad_if_needed=True")
        rng = _rng(self.generator)
        top = int(rng.integers(0, h - th + 1))
        left = int(rng.integers(0, w - tw + 1))
        return _crop(img, top, left, th, tw)

    def __repr__(self):
        return f"{type(self).__name__}(size={self.size}, padding={self.padding})"


class _RandomFlip:
    axis = -1

    def __init__(self, p=0.5, generator=None):
        if not 0.0 <= p <= 1.0:
            raise ArgumentError(f"{type(self).__name__}: p must be a probability in [0, 1], got {p}")
        self.p, self.generator = p, generator

    def __call__(self, img):
        if not _rng(self.generator).random() < self.p:
            return img
        if _is_pil(img):
            from PIL import Image
            return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT if self.axis == -1 else Image.Transpose.FLIP_TOP_BOTTOM)
        arr, wrap = _check_image(type(self).__name__, img)
        return wrap(np.ascontiguousarray(np.flip(arr, axis=self.axis)))

    def __repr__(self):
        return f"{type(self).__name__}(p={self.p})"


class RandomHorizontalFlip(_RandomFlip):
    """Flip the last (width) dimension with probability `p`.

        >>> import ember
        >>> RandomHorizontalFlip(p=1.0)(ember.tensor([[[1, 2, 3]]]))
        tensor([[[3, 2, 1]]])
    """

    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Flip the height dimension with probability `p`."""

    axis = -2


class Lambda:
    """Wrap a function as a transform.

        >>> Lambda(str.upper)("ember")
        'EMBER'
    """

    def __init__(self, lambd):
        if not callable(lambd):
            raise ArgumentError(f"Lambda: expected a callable, got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, x):
        return self.lambd(x)

    def __repr__(self):
        return f"{type(self).__name__}()"


class OneHot:
    """A class index (int, NumPy integer or integer tensor) -> one-hot tensor of `num_classes`.

        >>> OneHot(4)(2)
        tensor([0., 0., 1., 0.])
    """

    def __init__(self, num_classes, dtype=None):
        if not isinstance(num_classes, numbers.Integral) or num_classes < 1:
            raise ArgumentError(f"OneHot: num_classes must be a positive int, got {num_classes!r}")
        self.num_classes = int(num_classes)
        self.dtype = dtypes.get_default_dtype() if dtype is None else dtypes.as_dtype(dtype, "OneHot")

    def __call__(self, y):
        arr = y.numpy(force=True) if isinstance(y, Tensor) else np.asarray(y)
        if arr.dtype.kind not in "iu":
            raise DTypeError(f"OneHot: expected integer class indices, got dtype {arr.dtype}")
        if arr.size and (arr.min() < 0 or arr.max() >= self.num_classes):
            raise ArgumentError(f"OneHot: class indices must be in [0, {self.num_classes}), "
                                f"got values in [{arr.min()}, {arr.max()}]")
        out = (arr[..., None] == np.arange(self.num_classes)).astype(self.dtype.np)
        return tensor(out, device=y.device) if isinstance(y, Tensor) else from_numpy(out)

    def __repr__(self):
        return f"{type(self).__name__}(num_classes={self.num_classes})"
