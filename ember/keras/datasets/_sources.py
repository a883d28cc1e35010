"""Where each Keras dataset file comes from and its checksum (Keras's own origins and hashes), and
the processing the sequence datasets share."""
import numpy as np

from ember.errors import ArgumentError
from ember.keras.file_utils import get_file

TF_DATASETS = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
# name -> (origin, SHA-256 or MD5 of the file, or None where Keras checks none)
SOURCES = {
    "mnist.npz": (TF_DATASETS + "mnist.npz", "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"),
    "imdb.npz": (TF_DATASETS + "imdb.npz", "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f"),
    "imdb_word_index.json": (TF_DATASETS + "imdb_word_index.json", "bfafd718b763782e994055a2d397834f"),
    "reuters.npz": (TF_DATASETS + "reuters.npz", "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916"),
    "reuters_word_index.json": (TF_DATASETS + "reuters_word_index.json", "4d44cc38712099c9e383dc6e5f11a921"),
    "boston_housing.npz": (TF_DATASETS + "boston_housing.npz",
                           "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5"),
    "california_housing.npz": (TF_DATASETS + "california_housing.npz",
                               "1a2e3a52e0398de6463aebe6f4a8da34fb21fbb6b934cf88c3425e766f2a1a6f"),
    "cifar-10-batches-py-target": ("https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
                                   "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce"),
    "cifar-100-python-target": ("https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                                "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7"),
    **{f: (TF_DATASETS + f, None) for f in ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                                            "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")},
}


def fetch(key, path=None, **kwargs):
    """The local path of the dataset file `key` (downloaded and checked on first use)."""
    origin, file_hash = SOURCES[key]
    return get_file(path or key, origin=origin, file_hash=file_hash, **kwargs)


def shuffled(seed, *arrays):
    """The arrays in one random order (NumPy's RandomState(seed), as Keras)."""
    indices = np.arange(len(arrays[0]))
    np.random.RandomState(seed).shuffle(indices)
    return [a[indices] for a in arrays]


def split_at(test_split, x, y):
    if not 0 <= test_split < 1:
        raise ArgumentError(f"load_data: test_split must be in [0, 1), got {test_split}")
    cut = int(len(x) * (1 - test_split))
    return (np.array(x[:cut]), np.array(y[:cut])), (np.array(x[cut:]), np.array(y[cut:]))


def word_sequences(xs, labels, start_char, index_from, maxlen, num_words, skip_top, oov_char):
    """Keras's processing of word-index sequences: a start mark, indices shifted by `index_from`,
    sequences of `maxlen` or more dropped, and words outside [skip_top, num_words) made `oov_char`."""
    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    else:
        xs = [[w + index_from for w in x] for x in xs]
    if maxlen:
        kept = [i for i, x in enumerate(xs) if len(x) < maxlen]
        xs, labels = [xs[i] for i in kept], np.asarray(labels)[kept]
        if not xs:
            raise ArgumentError(f"load_data: no sequence is shorter than maxlen={maxlen}; increase maxlen")
    if not num_words:
        num_words = max(max(x) for x in xs)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    return xs, labels


def object_array(lists):
    out = np.empty(len(lists), dtype=object)
    out[:] = lists
    return out
