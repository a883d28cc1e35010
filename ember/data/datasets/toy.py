"""scikit-learn's small bundled datasets as ember datasets (needs the `datasets` extra).

    pip install ember[datasets]      # scikit-learn

Each loader returns a `SupervisedDataset` of float32 inputs and int64
labels. `train=None` gives every sample; `train=True` / `False` gives a
stratified, seeded split (`test_fraction` of each class is the test part),
the same for a given `seed` on every run.

    >>> from ember.data.datasets import load_digits
    >>> ds = load_digits(train=True)
    >>> x, y = ds[0]
    >>> tuple(x.shape), x.dtype, y.dtype, len(ds) + len(load_digits(train=False))
    ((1, 8, 8), ember.float32, ember.int64, 1797)
"""
import numpy as np

from ember.data.datasets.base import MissingExtraError, SupervisedDataset, split_indices

__all__ = ["load_digits", "load_iris", "load_wine", "load_breast_cancer"]


def _sklearn_datasets(name):
    try:
        from sklearn import datasets
    except ImportError:
        raise MissingExtraError(f"{name}: needs scikit-learn, which is not installed; "
                                f"install the extra with `pip install ember[datasets]`") from None
    return datasets


def _make(name, data, target, classes, train, test_fraction, seed, transform, target_transform):
    target = np.asarray(target, dtype=np.int64)
    if train is not None:
        idx = split_indices(len(target), bool(train), test_fraction, seed, stratify=target)
        data, target = data[idx], target[idx]
    ds = SupervisedDataset(np.ascontiguousarray(data), target, transform, target_transform, classes)
    ds.name = name
    return ds


def load_digits(train=None, test_fraction=0.2, seed=0, transform=None, target_transform=None):
    """The 1,797 8x8 handwritten digits: samples `(1x8x8 float32 image in [0, 1], int64 label 0-9)`."""
    raw = _sklearn_datasets("load_digits").load_digits()
    images = (raw.images.astype(np.float32) / np.float32(16.0))[:, None]  # pixel counts are 0..16
    return _make("digits", images, raw.target, [str(c) for c in range(10)], train, test_fraction, seed,
                 transform, target_transform)


def _tabular(loader_name, train, test_fraction, seed, transform, target_transform):
    raw = getattr(_sklearn_datasets(loader_name), loader_name)()
    ds = _make(loader_name.removeprefix("load_"), raw.data.astype(np.float32), raw.target,
               [str(c) for c in raw.target_names], train, test_fraction, seed, transform, target_transform)
    ds.feature_names = [str(f) for f in raw.feature_names]
    return ds


def load_iris(train=None, test_fraction=0.2, seed=0, transform=None, target_transform=None):
    """Fisher's 150 irises: 4 float32 features, 3 classes."""
    return _tabular("load_iris", train, test_fraction, seed, transform, target_transform)


def load_wine(train=None, test_fraction=0.2, seed=0, transform=None, target_transform=None):
    """178 wines: 13 float32 features, 3 classes."""
    return _tabular("load_wine", train, test_fraction, seed, transform, target_transform)


def load_breast_cancer(train=None, test_fraction=0.2, seed=0, transform=None, target_transform=None):
    """569 breast mass samples: 30 float32 features, 2 classes (malignant, benign)."""
    return _tabular("load_breast_cancer", train, test_fraction, seed, transform, target_transform)
