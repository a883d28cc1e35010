"""ember.keras models: compile/fit/evaluate/predict, callbacks, summary and errors."""
import numpy as np
import pytest

import ember
from ember import keras
from ember.errors import ArgumentError, ShapeError

L = keras.layers


def _blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 4)).astype(np.float32) + np.eye(3, 4, dtype=np.float32)[y] * 3
    return x, y


def _model():
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(16, activation="relu"),
                              L.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_fit_evaluate_predict():
    keras.utils.set_random_seed(0)
    x, y = _blobs()
    model = _model()
    history = model.fit(x, y, epochs=20, batch_size=16, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history.history["loss"]) == 20
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, acc = model.evaluate(x, y, verbose=0)
    pred = model.predict(x)
    assert pred.shape == (200, 3)
    assert acc == pytest.approx(np.mean(pred.argmax(-1) == y))
    assert acc > 0.9


def test_sparse_crossentropy_matches_keras_formula():
    p = np.array([[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]], dtype=np.float32)
    y = np.array([1, 0])
    loss = keras.losses.get("sparse_categorical_crossentropy")(ember.tensor(y), ember.tensor(p)).item()
    assert loss == pytest.approx(-np.mean(np.log([0.7, 0.5])), rel=1e-5)
    zero = keras.losses.get("sparse_categorical_crossentropy")(ember.tensor([0]), ember.tensor([[0.0, 1.0]]))
    assert zero.item() == pytest.approx(-np.log(1e-7), rel=1e-4)  # clipped, not inf


def test_epoch_accuracy_is_over_all_samples():
    m = keras.metrics.get("accuracy")
    m.update_state(np.array([0, 1, 1]), np.eye(2)[[0, 0, 0]])
    m.update_state(np.array([1]), np.eye(2)[[1]])
    assert m.result() == pytest.approx(2 / 4)


class _Scripted(keras.callbacks.Callback):
    """Feeds a scripted val_loss to the logs and records the weights after each epoch."""

    def __init__(self, values):
        super().__init__()
        self.values, self.weights = values, []

    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def test_early_stopping_restores_best_weights():
    keras.utils.set_random_seed(0)
    x, y = _blobs(64)
    model = _model()
    script = _Scripted([1.0, 0.5, 0.9, 0.8, 0.7, 0.6, 0.4])
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    history = model.fit(x, y, epochs=7, verbose=0, callbacks=[script, stop])
    assert len(history.history["loss"]) == 5 and model.stop_training  # epochs 2, 3, 4 did not improve
    for got, best in zip(model.get_weights(), script.weights[1]):
        np.testing.assert_array_equal(got, best)
    assert not np.array_equal(model.get_weights()[0], script.weights[-1][0])


def test_summary_totals():
    model = keras.Sequential([keras.Input(shape=(8, 8, 1)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(),
                              L.Flatten(), L.Dense(10, activation="softmax")])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    total = 3 * 3 * 1 * 4 + 4 + 3 * 3 * 4 * 10 + 10
    assert f"Total params: {total:,}" in text and f"Trainable params: {total:,}" in text
    assert "(None, 6, 6, 4)" in text and "(None, 10)" in text and "Non-trainable params: 0" in text
    with pytest.raises(ArgumentError, match="not been built"):
        keras.Sequential([L.Dense(2)]).summary()


def test_errors_read_well():
    x, y = _blobs(10)
    model = keras.Sequential([L.Dense(3)])
    with pytest.raises(ArgumentError, match="compile"):
        model.fit(x, y)
    with pytest.raises(ArgumentError, match="known names: .*adam"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(ArgumentError, match="known names: .*sparse_categorical_crossentropy"):
        model.compile(optimizer="adam", loss="crossentropy")
    model = _model()
    with pytest.raises(ShapeError, match="different lengths.*10.*9"):
        model.fit(x, y[:9], verbose=0)
    with pytest.raises(ShapeError, match="categorical_crossentropy"):
        model.fit(x, keras.utils.to_categorical(y, 3), verbose=0)


def test_verbose_two_prints_one_line_per_epoch(capsys):
    keras.utils.set_random_seed(0)
    x, y = _blobs(32)
    _model().fit(x, y, epochs=2, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and out.count("loss:") == 2


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_digits_cnn_reaches_97_percent(seed):
    pytest.importorskip("sklearn")
    from ember.data.datasets import load_digits
    train, test = load_digits(train=True), load_digits(train=False)
    x_train, x_test = train.data.transpose(0, 2, 3, 1), test.data.transpose(0, 2, 3, 1)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(8, 8, 1)),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.MaxPooling2D(),
        L.Flatten(),
        L.Dense(64, activation="relu"),
        L.Dropout(0.25),
        L.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, train.targets, epochs=20, batch_size=32, verbose=0)
    _, accuracy = model.evaluate(x_test, test.targets, verbose=0)
    assert accuracy >= 0.97
