"""Callbacks against Keras 3 (torch backend): the same deterministic fit with the same callbacks stops at
the same epoch, sets the same learning rates, calls the hooks in the same order and writes the same
CSV columns and checkpoint files."""
import csv

import numpy as np

from ember import keras as ek

COVERS = {"keras.callbacks": ["Callback", "EarlyStopping", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger",
                              "TerminateOnNaN", "LambdaCallback", "History", "ModelCheckpoint"]}


def setup(k, real):
    model = k.Sequential([k.Input(shape=(3,)), k.layers.Dense(1)])
    if real is not None:
        model.set_weights(real.get_weights())
    model.compile(optimizer=k.optimizers.SGD(0.05), loss="mse")
    return model


def fit_both(real_keras, make_callbacks, epochs=8, y_scale=1.0):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]], "float32")) * y_scale
    real = setup(real_keras, None)
    ours = setup(ek, real)
    out = []
    for k, model in ((real_keras, real), (ek, ours)):
        callbacks, record = make_callbacks(k)
        history = model.fit(x, y, epochs=epochs, batch_size=8, shuffle=False, verbose=0, callbacks=callbacks)
        out.append((history, record, model))
    return out


def test_hook_order_history_and_lambda(real_keras):
    def make(k):
        calls = []

        class Recorder(k.callbacks.Callback):
            def on_train_begin(self, logs=None):
                calls.append("train_begin")

            def on_epoch_begin(self, epoch, logs=None):
                calls.append(f"epoch_begin {epoch}")

            def on_train_batch_end(self, batch, logs=None):
                calls.append(f"batch_end {batch}")

            def on_epoch_end(self, epoch, logs=None):
                calls.append(f"epoch_end {epoch} {sorted(logs)}")

            def on_train_end(self, logs=None):
                calls.append("train_end")
        ends = []
        return [Recorder(), k.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: ends.append(e))], (calls, ends)
    (h_real, (c_real, e_real), _), (h_ours, (c_ours, e_ours), _) = fit_both(real_keras, make, epochs=2)
    assert c_ours == c_real and e_ours == e_real
    assert isinstance(h_ours, ek.callbacks.History) and h_ours.epoch == h_real.epoch
    np.testing.assert_allclose(h_ours.history["loss"], h_real.history["loss"], rtol=1e-5)


def test_early_stopping_and_reduce_lr(real_keras):
    def make(k):
        return [k.callbacks.EarlyStopping(monitor="loss", min_delta=0.05, patience=1, restore_best_weights=True),
                k.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=0.2)], None
    (h_real, _, real), (h_ours, _, ours) = fit_both(real_keras, make, epochs=30)
    assert len(h_ours.history["loss"]) == len(h_real.history["loss"]) < 30
    np.testing.assert_allclose(h_ours.history["loss"], h_real.history["loss"], rtol=1e-4)
    np.testing.assert_allclose(ours.optimizer.learning_rate, float(real.optimizer.learning_rate), rtol=1e-6)


def test_scheduler_terminate_on_nan_csv_and_checkpoints(real_keras, tmp_path):
    def make(k):
        folder = tmp_path / k.__name__
        folder.mkdir()
        return [k.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr),
                k.callbacks.CSVLogger(str(folder / "log.csv")),
                k.callbacks.ModelCheckpoint(str(folder / "w{epoch}.weights.h5" if k is real_keras else
                                                folder / "w{epoch}.weights.ember"), monitor="loss",
                                            save_best_only=True, save_weights_only=True)], folder
    (h_real, f_real, real), (h_ours, f_ours, ours) = fit_both(real_keras, make, epochs=3)
    np.testing.assert_allclose(h_ours.history["loss"], h_real.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(ours.optimizer.learning_rate, float(real.optimizer.learning_rate), rtol=1e-6)
    rows = [list(csv.reader(open(f / "log.csv"))) for f in (f_real, f_ours)]
    assert rows[1][0] == rows[0][0] and len(rows[1]) == len(rows[0])
    assert sorted(p.name.split(".")[0] for p in f_ours.glob("w*")) == sorted(p.name.split(".")[0]
                                                                           for p in f_real.glob("w*"))

    def nan_make(k):
        return [k.callbacks.TerminateOnNaN()], None
    (h_real, _, _), (h_ours, _, _) = fit_both(real_keras, nan_make, epochs=3, y_scale=1e30)
    assert len(h_ours.history["loss"]) == len(h_real.history["loss"])
