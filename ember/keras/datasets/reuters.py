"""Reuters newswires as word-index sequences (object arrays of lists), with 46 topic labels."""
import json

import numpy as np

from ember.keras.datasets._sources import fetch, object_array, shuffled, word_sequences
from ember.keras.file_utils import load_npz


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2, seed=113,
              start_char=1, oov_char=2, index_from=3):
    """((x_train, y_train), (x_test, y_test)), shuffled and split as Keras does."""
    f = load_npz(fetch("reuters.npz", path))
    xs, labels = shuffled(seed, f["x"], f["y"])
    xs, labels = word_sequences(list(xs), labels, start_char, index_from, maxlen, num_words, skip_top, oov_char)
    cut = int(len(xs) * (1 - test_split))
    return (object_array(xs[:cut]), np.array(labels[:cut])), (object_array(xs[cut:]), np.array(labels[cut:]))


def get_word_index(path="reuters_word_index.json"):
    """{word: index} (indices in the data are shifted by `index_from`)."""
    with open(fetch("reuters_word_index.json", path)) as f:
        return json.load(f)
