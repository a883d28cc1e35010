"""Masks travel from Embedding(mask_zero=True) and Masking through RNNs, Bidirectional, attention and
pooling as in Keras 3: the same models on real Keras (torch backend) and on ember.keras, with the
same weights and padded data, give the same outputs."""
import numpy as np
import pytest

from ember import keras as ek

COVERS = {"keras.layers": ["Embedding", "Masking", "LSTM", "GRU", "SimpleRNN", "Bidirectional", "MultiHeadAttention",
                           "Attention", "GlobalAveragePooling1D", "Dense", "Dropout", "LayerNormalization"]}


def tokens(seed=0, batch=5, steps=7, vocab=12):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, vocab, (batch, steps))
    for i, n in enumerate([0, 2, 4, 1, 3][:batch]):  # post-padding of different lengths (one row unpadded)
        if n:
            x[i, -n:] = 0
    x[3, :2] = 0  # and one row pre-padded
    return x


MODELS = {
    "lstm_last": lambda k: [k.layers.Embedding(12, 4, mask_zero=True), k.layers.LSTM(3)],
    "gru_sequences": lambda k: [k.layers.Embedding(12, 4, mask_zero=True), k.layers.GRU(3, return_sequences=True)],
    "rnn_backwards": lambda k: [k.layers.Embedding(12, 4, mask_zero=True),
                                k.layers.SimpleRNN(3, go_backwards=True, return_sequences=True)],
    "bidirectional_pool": lambda k: [k.layers.Embedding(12, 4, mask_zero=True),
                                     k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True)),
                                     k.layers.GlobalAveragePooling1D()],
    "bidirectional_last": lambda k: [k.layers.Embedding(12, 4, mask_zero=True),
                                     k.layers.Bidirectional(k.layers.GRU(2), merge_mode="sum")],
    "dense_norm_then_lstm": lambda k: [k.layers.Embedding(12, 4, mask_zero=True), k.layers.Dense(5),
                                       k.layers.LayerNormalization(), k.layers.Dropout(0.5), k.layers.LSTM(2)],
    "pooling": lambda k: [k.layers.Embedding(12, 4, mask_zero=True), k.layers.GlobalAveragePooling1D()],
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_sequential_masks_match_keras(real_keras, name):
    x = tokens()
    real = real_keras.Sequential([real_keras.Input(shape=(7,), dtype="int32")] + MODELS[name](real_keras))
    ours = ek.Sequential([ek.Input(shape=(7,), dtype="int32")] + MODELS[name](ek))
    ours.set_weights(real.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), real.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_masking_layer_into_lstm(real_keras):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 6, 3)).astype("float32")
    x[0, 4:] = 0.0
    x[2, :3] = -1.0

    def model(k):
        return k.Sequential([k.Input(shape=(6, 3)), k.layers.Masking(mask_value=-1.0),
                             k.layers.LSTM(2, return_sequences=True)])
    real, ours = model(real_keras), model(ek)
    ours.set_weights(real.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), real.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("which", ["mha", "attention"])
def test_attention_with_padding_masks(real_keras, which):
    x = tokens(2)

    def model(k):
        t = k.Input(shape=(7,), dtype="int32")
        e = k.layers.Embedding(12, 8, mask_zero=True)(t)
        if which == "mha":
            a = k.layers.MultiHeadAttention(num_heads=2, key_dim=4)(e, e)
        else:
            a = k.layers.Attention()([e, e])
        return k.Model(t, k.layers.GlobalAveragePooling1D()(a))
    real, ours = model(real_keras), model(ek)
    ours.set_weights(real.get_weights())
    np.testing.assert_allclose(ours.predict(x, verbose=0), real.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_masked_lstm_trains_like_keras(real_keras):
    x = tokens(3, batch=5)
    y = (x[:, 0] > 5).astype("float32")[:, None]

    def model(k):
        return k.Sequential([k.Input(shape=(7,), dtype="int32"), k.layers.Embedding(12, 4, mask_zero=True),
                             k.layers.LSTM(3), k.layers.Dense(1, activation="sigmoid")])
    real, ours = model(real_keras), model(ek)
    ours.set_weights(real.get_weights())
    for k, m in ((real_keras, real), (ek, ours)):
        m.compile(optimizer=k.optimizers.SGD(0.5), loss="binary_crossentropy")
    kw = dict(epochs=3, batch_size=5, shuffle=False, verbose=0)
    np.testing.assert_allclose(ours.fit(x, y, **kw).history["loss"], real.fit(x, y, **kw).history["loss"], rtol=1e-5)
