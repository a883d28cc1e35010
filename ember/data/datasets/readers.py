"""Datasets read from files on disk: IDX (MNIST, Fashion-MNIST), CSV, `.npy` / `.npz`, image folders.

Nothing downloads: the files must already be on disk, and a missing or
damaged file gets an error that names it and says what is wrong.

    >>> import numpy as np, tempfile, os
    >>> d = tempfile.mkdtemp()
    >>> np.save(os.path.join(d, "x.npy"), np.zeros((3, 2), np.float32))
    >>> np.save(os.path.join(d, "y.npy"), np.arange(3))
    >>> len(NpyDataset(os.path.join(d, "x.npy"), os.path.join(d, "y.npy")))
    3
"""
import gzip
import os

import numpy as np

from ember.data.datasets.base import DataFileError, MissingDataError, SupervisedDataset
from ember.data.datasets.tabular import CSVDataset
from ember.errors import ArgumentError

__all__ = ["read_idx", "MNIST", "FashionMNIST", "CSVDataset", "NpyDataset", "NpzDataset"]


# IDX type codes -> big-endian dtypes (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT")
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _read_bytes(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as e:
            raise DataFileError(f"read_idx: {path}: the gzip stream is damaged or truncated ({e})") from None
    return raw


def read_idx(path):
    """An IDX file (gzipped or not) as a NumPy array of its dtype and dims, checked against its header.

    MNIST images come back uint8 (n, 28, 28), labels uint8 (n,).
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise MissingDataError(f"read_idx: no file at {path}")
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataFileError(f"read_idx: {path}: {len(raw)} bytes is too short for an IDX header (4 bytes at least)")
    if raw[0] != 0 or raw[1] != 0:
        raise DataFileError(f"read_idx: {path}: bad magic number {raw[:4].hex()}; an IDX file starts with two "
                            f"zero bytes, a type code and the number of dims")
    code, ndim = raw[2], raw[3]
    if code not in _IDX_TYPES:
        raise DataFileError(f"read_idx: {path}: unknown IDX type code 0x{code:02x}; expected one of "
                            f"{', '.join(f'0x{c:02x}' for c in _IDX_TYPES)}")
    if ndim == 0:
        raise DataFileError(f"read_idx: {path}: the header says 0 dims; an IDX file has at least one")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataFileError(f"read_idx: {path}: truncated header: {ndim} dims need {header} bytes, "
                            f"the file has {len(raw)}")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_TYPES[code])
    expected = header + int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has extra bytes"
        raise DataFileError(f"read_idx: {path}: file {what}: the header says {dims} of {dtype.name} "
                            f"({expected} bytes with the header), the file has {len(raw)} bytes")
    arr = np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)
    return arr.astype(dtype.newbyteorder("="))  # native byte order, writable copy


class MNIST(SupervisedDataset):
    """MNIST from its four IDX files (gzipped or not) under `root`; nothing downloads.

    Looks in `root`, `root/raw` and `root/<ClassName>/raw` (torchvision's
    layout) for `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`,
    `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (each possibly
    ending in `.gz`). A sample is `(image, label)`: the image is a uint8
    (28, 28) NumPy array (pass `transform=ToTensor()` for a 1x28x28 float
    tensor), the label an int64 tensor.

        MNIST("~/data", train=True, transform=ToTensor())
    """

    classes = [f"{d} - {w}" for d, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])]
    files = {True: ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             False: ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}

    def __init__(self, root, train=True, transform=None, target_transform=None):
        self.root, self.train = os.path.expanduser(os.fspath(root)), bool(train)
        images_name, labels_name = self.files[self.train]
        images, labels = read_idx(self._find(images_name)), read_idx(self._find(labels_name))
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise DataFileError(f"{type(self).__name__}: {images_name} holds shape {images.shape} and "
                                f"{labels_name} shape {labels.shape}; expected (n, H, W) images and (n,) labels")
        super().__init__(images, labels.astype(np.int64), transform, target_transform, type(self).classes)

    def _find(self, name):
        dirs = [self.root, os.path.join(self.root, "raw"), os.path.join(self.root, type(self).__name__, "raw")]
        for d in dirs:
            for candidate in (name, name + ".gz"):
                if os.path.isfile(os.path.join(d, candidate)):
                    return os.path.join(d, candidate)
        need = ", ".join(n for pair in self.files.values() for n in pair)
        raise MissingDataError(f"{type(self).__name__}: {name} (or {name}.gz) not found in any of "
                               f"{', '.join(dirs)}; put the four IDX files ({need}) in {self.root} "
                               f"(ember downloads nothing)")

    def _input(self, i):
        return np.array(self.data[i])  # raw uint8 image, as torchvision gives a PIL image


class FashionMNIST(MNIST):
    """Fashion-MNIST: the same file names and format as MNIST, ten kinds of clothing."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
               "Ankle boot"]


def _load_npy(name, path, mmap):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise MissingDataError(f"{name}: no file at {path}")
    try:
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    except ValueError as e:
        raise DataFileError(f"{name}: {path}: not a readable .npy/.npz file without pickles ({e})") from None


class NpyDataset(SupervisedDataset):
    """Inputs from one `.npy` file and targets from another (memory-mapped unless `mmap=False`)."""

    def __init__(self, data_path, targets_path, mmap=True, transform=None, target_transform=None, classes=None):
        data = _load_npy("NpyDataset", data_path, mmap)
        targets = _load_npy("NpyDataset", targets_path, mmap)
        super().__init__(data, targets, transform, target_transform, classes)


class NpzDataset(SupervisedDataset):
    """Inputs and targets from two arrays of one `.npz` file (keys `data_key`, `target_key`)."""

    def __init__(self, path, data_key="x", target_key="y", transform=None, target_transform=None, classes=None):
        with _load_npy("NpzDataset", path, False) as archive:
            for key in (data_key, target_key):
                if key not in archive.files:
                    raise ArgumentError(f"NpzDataset: {os.fspath(path)} has no array {key!r}; it holds "
                                        f"{archive.files}; pass data_key= and target_key=")
            data, targets = archive[data_key], archive[target_key]
        super().__init__(data, targets, transform, target_transform, classes)
