"""keras.utils: normalize and pad_sequences against hand-computed cases."""
import numpy as np
import pytest

from ember import keras
from ember.errors import ArgumentError

U = keras.utils


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_allclose(U.normalize(x), [[0.6, 0.8], [0, 0], [2 ** -0.5, 2 ** -0.5]])
    np.testing.assert_allclose(U.normalize(x, axis=0), x / np.array([np.sqrt(10), np.sqrt(17)]))
    np.testing.assert_allclose(U.normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0], [0.5, 0.5]])
    np.testing.assert_allclose(U.normalize(np.array([3.0, 4.0])), [[0.6, 0.8]])  # Keras returns 1-D input as a row


def test_pad_sequences_defaults_pad_and_cut_at_the_start():
    seqs = [[1, 2, 3], [4, 5], [6], []]
    out = U.pad_sequences(seqs)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[1, 2, 3], [0, 4, 5], [0, 0, 6], [0, 0, 0]])
    np.testing.assert_array_equal(U.pad_sequences(seqs, maxlen=2), [[2, 3], [4, 5], [0, 6], [0, 0]])
    np.testing.assert_array_equal(U.pad_sequences(seqs, maxlen=2, padding="post", truncating="post", value=-1),
                                  [[1, 2], [4, 5], [6, -1], [-1, -1]])
    floats = U.pad_sequences([[0.5], [1.5, 2.5]], dtype="float32", padding="post")
    np.testing.assert_array_equal(floats, np.array([[0.5, 0.0], [1.5, 2.5]], dtype=np.float32))
    vectors = U.pad_sequences([np.ones((1, 2)), np.zeros((3, 2))], maxlen=2)
    assert vectors.shape == (2, 2, 2) and vectors[0, 0].tolist() == [0, 0] and vectors[0, 1].tolist() == [1, 1]
    with pytest.raises(ArgumentError, match="padding must be 'pre' or 'post'"):
        U.pad_sequences(seqs, padding="middle")


def test_to_categorical_still_works():
    np.testing.assert_array_equal(U.to_categorical([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
