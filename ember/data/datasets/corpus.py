"""A character corpus for language modelling: windows of `seq_len` characters and the next character of each.

The text that ships with ember (`corpus.txt`, about 35 KB of plain ASCII
English) is "The Year in the Valley", an essay on the seasons of a country
valley written for ember and released with it under the project's license,
so that examples and tests have a corpus without downloading one. Pass
`text=` or `path=` to use another.

    >>> from ember.data.datasets import CharCorpus
    >>> train = CharCorpus(seq_len=32, split="train")
    >>> x, y = train[0]
    >>> tuple(x.shape), x.dtype, train.vocab.decode(x[1:]) == train.vocab.decode(y[:-1])
    ((32,), ember.int64, True)
"""
import importlib.resources
import numbers
import os

import numpy as np

from ember.data.datasets.base import MissingDataError, SupervisedDataset
from ember.data.text import CharVocab
from ember.errors import ArgumentError, DTypeError

__all__ = ["CharCorpus", "load_corpus_text"]


def load_corpus_text():
    """The text of the corpus that ships with ember ("The Year in the Valley")."""
    return importlib.resources.files("ember.data.datasets").joinpath("corpus.txt").read_text(encoding="utf-8")


def _source(text, path):
    if text is not None and path is not None:
        raise ArgumentError("CharCorpus: give text= or path=, not both")
    if path is not None:
        path = os.fspath(path)
        if not os.path.isfile(path):
            raise MissingDataError(f"CharCorpus: no text file at {path}")
        with open(path, encoding="utf-8") as f:
            return f.read()
    if text is None:
        return load_corpus_text()
    if not isinstance(text, str):
        raise DTypeError(f"CharCorpus: text must be a str, got {type(text).__name__}")
    return text


class CharCorpus(SupervisedDataset):
    """Sample i is `(x, y)`: int64 tensors of `seq_len` character ids, y being x shifted by one.

    Windows start every `stride` characters (default `seq_len`, no overlap).
    The text splits in two contiguous parts: `split="train"` is the first
    `1 - val_fraction` of it, `"val"` the rest, `"all"` everything. The
    vocabulary is built from the whole text (sorted characters), so both
    parts share it; pass `vocab=` to reuse one.
    """

    def __init__(self, seq_len=64, stride=None, split="train", val_fraction=0.1, text=None, path=None, vocab=None,
                 transform=None, target_transform=None):
        if not isinstance(seq_len, numbers.Integral) or seq_len < 1:
            raise ArgumentError(f"CharCorpus: seq_len must be an int >= 1, got {seq_len!r}")
        stride = seq_len if stride is None else stride
        if not isinstance(stride, numbers.Integral) or stride < 1:
            raise ArgumentError(f"CharCorpus: stride must be an int >= 1, got {stride!r}")
        if split not in ("train", "val", "all"):
            raise ArgumentError(f"CharCorpus: split must be 'train', 'val' or 'all', got {split!r}")
        if not 0.0 <= val_fraction < 1.0:
            raise ArgumentError(f"CharCorpus: val_fraction must be in [0, 1), got {val_fraction}")
        full = _source(text, path)
        self.vocab = vocab if vocab is not None else CharVocab.from_text(full, order="sorted")
        cut = int(round(len(full) * (1.0 - val_fraction)))
        self.text = {"train": full[:cut], "val": full[cut:], "all": full}[split]
        ids = np.asarray(self.vocab.encode(self.text), dtype=np.int64)
        if len(ids) < seq_len + 1:
            raise ArgumentError(f"CharCorpus: the {split} text has {len(ids)} characters; seq_len={seq_len} "
                                f"needs at least {seq_len + 1} (lower seq_len or val_fraction, or give more text)")
        windows = np.lib.stride_tricks.sliding_window_view(ids, seq_len + 1)[::stride]
        super().__init__(windows[:, :-1], windows[:, 1:], transform, target_transform)
        self.seq_len, self.stride, self.split = int(seq_len), int(stride), split
        self.ids = ids

    def __repr__(self):
        return (f"CharCorpus(split={self.split!r}, characters={len(self.ids)}, seq_len={self.seq_len}, "
                f"stride={self.stride}, samples={len(self)}, vocab={len(self.vocab)})")
