"""Built-in datasets: synthetic generators, scikit-learn's toy sets, a text corpus, and file readers.

Nothing downloads. Synthetic data and the corpus need nothing beyond NumPy;
`load_digits` and friends need the `datasets` extra (scikit-learn);
`ImageFolder` needs the `images` extra (Pillow).

    >>> from ember.data.datasets import make_spirals
    >>> x, y = make_spirals(90, n_classes=3)[0]
    >>> tuple(x.shape), y.dtype
    ((2,), ember.int64)
"""
from ember.data.datasets.base import (DataFileError, MissingDataError, MissingExtraError, SupervisedDataset,
                                      split_indices)
from ember.data.datasets.corpus import CharCorpus, load_corpus_text
from ember.data.datasets.images import IMG_EXTENSIONS, DatasetFolder, ImageFolder, pil_loader
from ember.data.datasets.readers import MNIST, FashionMNIST, NpyDataset, NpzDataset, read_idx
from ember.data.datasets.synthetic import make_blobs, make_moons, make_sequence_task, make_sine, make_spirals
from ember.data.datasets.tabular import CSVDataset
from ember.data.datasets.toy import load_breast_cancer, load_digits, load_iris, load_wine

__all__ = ["SupervisedDataset", "split_indices", "DataFileError", "MissingDataError", "MissingExtraError",
           "CharCorpus", "load_corpus_text", "ImageFolder", "DatasetFolder", "pil_loader", "IMG_EXTENSIONS",
           "MNIST", "FashionMNIST", "NpyDataset", "NpzDataset", "read_idx", "CSVDataset",
           "make_moons", "make_spirals", "make_blobs", "make_sine", "make_sequence_task",
           "load_digits", "load_iris", "load_wine", "load_breast_cancer"]
