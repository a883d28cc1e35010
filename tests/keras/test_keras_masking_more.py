"""Keras masks through merge layers and TimeDistributed, against Keras 3 (torch backend): Embedding(mask_zero)
-> two branches -> a merge (or TimeDistributed) -> LSTM, whose states skip the padded steps only if the mask
arrives; outputs compared with Keras's weights, and the mask itself compared where Keras exposes it."""
import numpy as np
import pytest

from ember import keras as ek

IDS = np.array([[3, 1, 4, 0, 0], [5, 9, 2, 6, 0], [1, 0, 0, 0, 0]], "int32")
MERGES = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"]


def build(k, merge):
    ids = k.Input((5,), dtype="int32")
    emb = k.layers.Embedding(10, 4, mask_zero=True)(ids)
    a, b = k.layers.Dense(4)(emb), k.layers.Dense(4, activation="tanh")(emb)
    if merge == "TimeDistributed":
        merged = k.layers.TimeDistributed(k.layers.Dense(3))(a)
    else:
        merged = getattr(k.layers, merge)()([a, b])
    return k.Model(ids, k.layers.LSTM(3, return_sequences=True)(merged))


@pytest.mark.parametrize("merge", MERGES + ["TimeDistributed"])
def test_mask_flows_through_like_keras(real_keras, merge):
    real, ours = build(real_keras, merge), build(ek, merge)
    ours.set_weights(real.get_weights())
    np.testing.assert_allclose(ours.predict(IDS, verbose=0), real.predict(IDS, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("merge", ["Add", "Maximum", "Concatenate"])
def test_merge_masks_match_keras(real_keras, merge):
    """The mask a merge computes from two masked inputs (one mask given as all true for Concatenate)."""
    ma = np.array([[1, 1, 0], [1, 0, 0]], bool)
    mb = np.array([[1, 0, 0], [1, 1, 1]], bool)
    x = np.ones((2, 3, 2), "float32")
    want = real_keras.layers.__dict__[merge]().compute_mask(
        [real_keras.ops.convert_to_tensor(x)] * 2, [real_keras.ops.convert_to_tensor(ma),
                                                    real_keras.ops.convert_to_tensor(mb)])
    got = ek.layers.__dict__[merge]().compute_mask([ek.ops.convert_to_tensor(x)] * 2,
                                                   [ek.ops.convert_to_tensor(ma), ek.ops.convert_to_tensor(mb)])
    np.testing.assert_array_equal(np.asarray(got.numpy()), np.asarray(want.cpu()))
