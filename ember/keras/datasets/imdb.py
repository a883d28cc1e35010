"""IMDB reviews as word-index sequences (object arrays of lists) with 0/1 sentiment labels."""
import json

import numpy as np

from ember.keras.datasets._sources import fetch, object_array, word_sequences
from ember.keras.file_utils import load_npz


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113, start_char=1, oov_char=2,
              index_from=3, **kwargs):
    """((x_train, y_train), (x_test, y_test)), 25000 reviews each, processed as Keras does."""
    f = load_npz(fetch("imdb.npz", path))
    rng = np.random.RandomState(seed)
    parts = []
    for x, y in ((f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])):
        indices = np.arange(len(x))
        rng.shuffle(indices)  # one stream for both splits, as Keras
        parts.append((x[indices], y[indices]))
    n_train = len(parts[0][0])
    xs = list(parts[0][0]) + list(parts[1][0])
    labels = np.concatenate([parts[0][1], parts[1][1]])
    if maxlen:  # the filter keeps sequences shorter than maxlen (start mark included): the split point moves
        mark = 0 if start_char is None else 1
        n_train = sum(len(x) + mark < maxlen for x in xs[:n_train])
    xs, labels = word_sequences(xs, labels, start_char, index_from, maxlen, num_words, skip_top, oov_char)
    return (object_array(xs[:n_train]), labels[:n_train]), (object_array(xs[n_train:]), labels[n_train:])


def get_word_index(path="imdb_word_index.json"):
    """{word: index} (indices in the data are shifted by `index_from`)."""
    with open(fetch("imdb_word_index.json", path)) as f:
        return json.load(f)
