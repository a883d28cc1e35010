"""Keras code written as a Keras user writes it, with only the import changed, reaching its targets."""
import numpy as np

from ember import keras

L = keras.layers


def test_bidirectional_lstm_classifies_sequences():
    # Is the first element of a sequence larger than the last? Only a model that sees both ends can tell.
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (1200, 10, 1)).astype(np.float32)
    y = (x[:, 0, 0] > x[:, -1, 0]).astype(np.float32)
    model = keras.Sequential([
        keras.Input(shape=(10, 1)),
        L.Bidirectional(L.LSTM(16)),
        L.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2), loss="binary_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[:1000], y[:1000], epochs=12, batch_size=50, verbose=0)
    loss, accuracy = model.evaluate(x[1000:], y[1000:], verbose=0)
    assert accuracy >= 0.93, (loss, accuracy)


def test_embedding_gru_functional_text_classifier():
    # Does token 7 occur in the sequence? An Embedding + GRU functional model with integer inputs.
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    tokens = rng.integers(1, 20, (1000, 12))
    tokens[rng.random(1000) < 0.5, rng.integers(0, 12)] = 7
    y = (tokens == 7).any(1).astype(np.int64)
    inputs = keras.Input(shape=(12,), dtype="int64")
    h = L.GRU(24)(L.Embedding(20, 16)(inputs))
    model = keras.Model(inputs, L.Dense(2, activation="softmax")(h))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(tokens[:800], y[:800], epochs=10, batch_size=32, verbose=0)
    assert model.evaluate(tokens[800:], y[800:], verbose=0)[1] >= 0.95
