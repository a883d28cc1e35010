"""`ImageFolder`: images sorted into one sub-folder per class, as torchvision's (needs the `images` extra).

    pip install ember[images]        # Pillow

    root/cat/001.png
    root/cat/002.png
    root/dog/abc.jpg

    ds = ImageFolder("root", transform=ToTensor())
    ds.classes, ds.class_to_idx        # ['cat', 'dog'], {'cat': 0, 'dog': 1}
"""
import os

import numpy as np

from ember.data.dataset import Dataset
from ember.data.datasets.base import MissingDataError, MissingExtraError
from ember.errors import ArgumentError, IndexOutOfRangeError
from ember.ops.creation import tensor

__all__ = ["ImageFolder", "DatasetFolder", "pil_loader", "IMG_EXTENSIONS"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def _pil_image():
    try:
        from PIL import Image
    except ImportError:
        raise MissingExtraError("ImageFolder: reading images needs Pillow, which is not installed; "
                                "install the extra with `pip install ember[images]`") from None
    return Image


def pil_loader(path):
    """Open `path` with Pillow as an RGB image."""
    Image = _pil_image()
    with open(path, "rb") as f:
        img = Image.open(f)
        return img.convert("RGB")


def _find_classes(root):
    if not os.path.isdir(root):
        raise MissingDataError(f"ImageFolder: no folder at {root}")
    classes = sorted(e.name for e in os.scandir(root) if e.is_dir())
    if not classes:
        raise MissingDataError(f"ImageFolder: {root} has no sub-folders; put each class's files in "
                               f"{os.path.join(root, '<class name>')}")
    return classes, {c: i for i, c in enumerate(classes)}


def _make_samples(root, class_to_idx, extensions, is_valid_file):
    if (extensions is None) == (is_valid_file is None):
        raise ArgumentError("ImageFolder: give exactly one of extensions and is_valid_file")
    if is_valid_file is None:
        exts = tuple(e.lower() for e in extensions)
        is_valid_file = lambda p: p.lower().endswith(exts)  # noqa: E731
    samples, empty = [], []
    for cls in sorted(class_to_idx):
        found = []
        for dirpath, _, names in sorted(os.walk(os.path.join(root, cls), followlinks=True)):
            found += [(os.path.join(dirpath, n), class_to_idx[cls]) for n in sorted(names)
                      if is_valid_file(os.path.join(dirpath, n))]
        samples += found
        if not found:
            empty.append(cls)
    if empty:
        what = f"extensions {extensions}" if extensions is not None else "is_valid_file"
        raise MissingDataError(f"ImageFolder: found no valid file for classes {empty} under {root} ({what})")
    return samples


class DatasetFolder(Dataset):
    """Files in `root/<class>/...` read by `loader`; a sample is `(loader(path), class index)`.

    `classes` are the sorted sub-folder names, `class_to_idx` maps them to
    indices, `samples` (alias `imgs`) lists `(path, index)`, `targets` the
    indices. The class index comes back as an int64 tensor.
    """

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None, is_valid_file=None):
        self.root = os.path.expanduser(os.fspath(root))
        self.loader, self.extensions = loader, extensions
        self.transform, self.target_transform = transform, target_transform
        self.classes, self.class_to_idx = _find_classes(self.root)
        self.samples = _make_samples(self.root, self.class_to_idx, extensions, is_valid_file)
        self.targets = [t for _, t in self.samples]

    @property
    def imgs(self):
        return self.samples

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, index):
        n = len(self.samples)
        if not isinstance(index, (int, np.integer)) or not -n <= index < n:
            raise IndexOutOfRangeError(f"{type(self).__name__}: index {index!r} is out of range for a dataset "
                                       f"of length {n}")
        path, target = self.samples[index]
        sample, target = self.loader(path), tensor(target)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __repr__(self):
        return f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n    Root location: {self.root}"


class ImageFolder(DatasetFolder):
    """Images in `root/<class>/...`, opened as RGB PIL images (pass `transform=ToTensor()` for tensors)."""

    def __init__(self, root, transform=None, target_transform=None, loader=pil_loader, is_valid_file=None):
        if loader is pil_loader:
            _pil_image()  # fail now, not at the first sample
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None, transform,
                         target_transform, is_valid_file)
