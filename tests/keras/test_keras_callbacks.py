"""ember.keras callbacks against Keras's semantics: stopping, checkpoints, backup and resume after a
killed process, learning-rate callbacks, CSV logs, lambdas, progress output and argument errors."""
import csv
import io
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import ember
from ember import keras
from ember.backend.random import get_rng_state
from ember.errors import ArgumentError

L = keras.layers
CB = keras.callbacks
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(ROOT, "tests", "keras", "backup_and_restore_run.py")


def _data(n=32, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.standard_normal((n, 4)).astype(np.float32) + np.eye(3, 4, dtype=np.float32)[y] * 2
    return x, y


def _model(seed=0, optimizer="adam"):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(8, activation="relu"),
                              L.Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


class Scripted(CB.Callback):
    """Puts a scripted value of `key` in each epoch's logs and records the weights after each epoch."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key, self.weights = values, key, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.weights.append(self.model.get_weights())


def _fit(model, callbacks, epochs, **kwargs):
    x, y = _data()
    return model.fit(x, y, epochs=epochs, batch_size=8, verbose=0, callbacks=callbacks, **kwargs)


def _same(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))


# --- arguments -------------------------------------------------------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: CB.EarlyStopping(mode="lowest"), "EarlyStopping: mode"),
    (lambda: CB.EarlyStopping(patience=-1), "EarlyStopping: patience"),
    (lambda: CB.ModelCheckpoint("m.ember", mode="up"), "ModelCheckpoint: mode"),
    (lambda: CB.ModelCheckpoint("m.ember", save_freq="batch"), "ModelCheckpoint: save_freq"),
    (lambda: CB.ModelCheckpoint("m.ember", save_freq=0), "ModelCheckpoint: save_freq"),
    (lambda: CB.ReduceLROnPlateau(factor=1.0), "ReduceLROnPlateau: factor"),
    (lambda: CB.ReduceLROnPlateau(factor=2), "ReduceLROnPlateau: factor"),
    (lambda: CB.ReduceLROnPlateau(mode="big"), "ReduceLROnPlateau: mode"),
    (lambda: CB.ReduceLROnPlateau(cooldown=-1), "ReduceLROnPlateau: cooldown"),
    (lambda: CB.LearningRateScheduler(0.1), "LearningRateScheduler: schedule must be a function"),
    (lambda: CB.CSVLogger("log.csv", separator=",,"), "CSVLogger: separator"),
    (lambda: CB.LambdaCallback(on_epoch_end=3), "LambdaCallback: on_epoch_end"),
    (lambda: CB.LambdaCallback(on_epoch_ending=print), "LambdaCallback: unknown hook"),
    (lambda: CB.BackupAndRestore(""), "BackupAndRestore: backup_dir"),
    (lambda: CB.BackupAndRestore("b", save_freq=-2), "BackupAndRestore: save_freq"),
])
def test_bad_arguments_name_the_callback(make, message):
    with pytest.raises(ArgumentError, match=message):
        make()


@pytest.mark.parametrize("make", [
    lambda tmp: CB.EarlyStopping(monitor="val_loss"),
    lambda tmp: CB.ReduceLROnPlateau(monitor="val_loss"),
    lambda tmp: CB.ModelCheckpoint(os.path.join(tmp, "m.ember"), save_best_only=True, save_weights_only=True),
])
def test_missing_monitor_warns_once_with_the_available_keys(make, tmp_path):
    callback = make(str(tmp_path))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _fit(_model(), [callback], epochs=3)
    ours = [w for w in caught if type(callback).__name__ in str(w.message)]
    assert len(ours) == 1
    assert "'val_loss'" in str(ours[0].message) and "loss, accuracy" in str(ours[0].message)
    assert not os.listdir(tmp_path)  # save_best_only saved nothing without the metric


def test_auto_mode_maximizes_accuracy_and_minimizes_the_rest():
    assert CB.EarlyStopping(monitor="val_accuracy").mode == "max"
    assert CB.ModelCheckpoint("m", monitor="auc").mode == "max"
    assert CB.ReduceLROnPlateau(monitor="val_loss").mode == "min"
    assert CB.EarlyStopping(monitor="mean_squared_error").mode == "min"


# --- EarlyStopping ---------------------------------------------------------------------------
@pytest.mark.parametrize("values, kwargs, epochs_run", [
    ([1.0, 0.9, 0.95, 0.96, 0.97, 0.98], dict(patience=2), 4),        # epochs 2 and 3 did not improve
    ([1.0, 0.9, 0.95, 0.96, 0.97, 0.98], dict(patience=0), 3),        # stops at the first epoch without gain
    ([1.0, 0.99, 0.98, 0.97, 0.96, 0.95], dict(patience=1, min_delta=0.05), 2),
    ([1.0, 0.99, 0.98, 0.97, 0.96, 0.95], dict(patience=1, min_delta=0.005), 6),
    # a baseline never beaten: improvements do not restart the patience, so the first bad epoch stops
    ([0.9, 0.8, 0.85, 0.84, 0.83, 0.82], dict(patience=2, baseline=0.5), 3),
    ([0.9, 0.8, 0.85, 0.84, 0.83, 0.82], dict(patience=2), 4),
    ([0.9, 0.8, 0.85, 0.84, 0.86, 0.87], dict(patience=1, start_from_epoch=3), 5),  # best so far: 0.84
    ([0.9, 0.8, 0.85, 0.84, 0.86, 0.87], dict(patience=1), 3),
])
def test_early_stopping_patience_counts_like_keras(values, kwargs, epochs_run):
    model = _model()
    history = _fit(model, [Scripted(values), CB.EarlyStopping(**kwargs)], epochs=len(values))
    assert len(history.history["loss"]) == epochs_run
    assert model.stop_training == (epochs_run < len(values))


def test_early_stopping_max_mode_on_accuracy():
    model = _model()
    history = _fit(model, [Scripted([0.5, 0.6, 0.55, 0.58, 0.7], "val_accuracy"),
                           CB.EarlyStopping(monitor="val_accuracy", patience=2)], epochs=5)
    assert len(history.history["loss"]) == 4


def test_restore_best_weights_even_without_stopping_early(capsys):
    model = _model()
    script = Scripted([1.0, 0.5, 0.7, 0.6])
    _fit(model, [script, CB.EarlyStopping(patience=10, restore_best_weights=True, verbose=1)], epochs=4)
    assert not model.stop_training
    assert _same(model.get_weights(), script.weights[1])
    assert not np.array_equal(model.get_weights()[0], script.weights[-1][0])
    assert "best epoch: 2." in capsys.readouterr().out


def test_restore_best_weights_after_stopping_early():
    model = _model()
    script = Scripted([1.0, 0.5, 0.9, 0.8, 0.7, 0.6, 0.4])
    history = _fit(model, [script, CB.EarlyStopping(patience=3, restore_best_weights=True)], epochs=7)
    assert len(history.history["loss"]) == 5 and model.stop_training
    assert _same(model.get_weights(), script.weights[1])


def test_terminate_on_nan_stops_training():
    x, y = _data()
    x[3, 0] = np.nan
    model = _model()
    batches = []
    count = CB.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    history = model.fit(x, y, epochs=5, batch_size=8, shuffle=False, verbose=0,
                        callbacks=[CB.TerminateOnNaN(), count])
    assert model.stop_training and len(history.history["loss"]) == 1 and batches == [0]  # fit stops mid-epoch
    assert np.isnan(history.history["loss"][0])


# --- ModelCheckpoint -------------------------------------------------------------------------
def test_checkpoint_each_epoch_with_a_formatted_filepath(tmp_path):
    model = _model()
    script = Scripted([0.5, 0.25, 0.125])
    path = str(tmp_path / "ckpt-{epoch:02d}-{val_loss:.3f}.ember")
    _fit(model, [script, CB.ModelCheckpoint(path, save_weights_only=True)], epochs=3)
    assert sorted(os.listdir(tmp_path)) == ["ckpt-01-0.500.ember", "ckpt-02-0.250.ember", "ckpt-03-0.125.ember"]
    saved = ember.io.load(str(tmp_path / "ckpt-02-0.250.ember"))
    assert _same([t.numpy() for t in saved.values()], script.weights[1])


def test_checkpoint_save_best_only(tmp_path, capsys):
    model = _model()
    script = Scripted([1.0, 0.5, 0.7, 0.4, 0.45])
    every = CB.ModelCheckpoint(str(tmp_path / "e{epoch}.ember"), save_best_only=True, save_weights_only=True,
                               initial_value_threshold=0.6)
    best = CB.ModelCheckpoint(str(tmp_path / "best.ember"), save_best_only=True, save_weights_only=True, verbose=1)
    _fit(model, [script, every, best], epochs=5)
    assert sorted(os.listdir(tmp_path)) == ["best.ember", "e2.ember", "e4.ember"]
    model.load_weights(str(tmp_path / "best.ember"))  # the same model: its layer names match the file's
    assert _same(model.get_weights(), script.weights[3])
    out = capsys.readouterr().out
    assert "Epoch 1: val_loss improved from inf to 1.00000, saving model to" in out
    assert "Epoch 3: val_loss did not improve from 0.50000" in out


def test_checkpoint_max_mode(tmp_path):
    script = Scripted([0.5, 0.7, 0.6], "val_accuracy")
    _fit(_model(), [script, CB.ModelCheckpoint(str(tmp_path / "e{epoch}.ember"), monitor="val_accuracy",
                                               save_best_only=True, save_weights_only=True)], epochs=3)
    assert sorted(os.listdir(tmp_path)) == ["e1.ember", "e2.ember"]


def test_checkpoint_every_n_batches(tmp_path):
    path = str(tmp_path / "sub" / "e{epoch}-b{batch}.ember")  # the folder is created
    _fit(_model(), [CB.ModelCheckpoint(path, save_weights_only=True, save_freq=3)], epochs=3)  # 4 batches/epoch
    assert sorted(os.listdir(tmp_path / "sub")) == ["e1-b3.ember", "e2-b2.ember", "e3-b1.ember", "e3-b4.ember"]


def test_checkpoint_unknown_field_in_filepath(tmp_path):
    with pytest.raises(ArgumentError, match="ModelCheckpoint: filepath .* names 'val_auc'"):
        _fit(_model(), [CB.ModelCheckpoint(str(tmp_path / "{val_auc}.ember"), save_weights_only=True)], epochs=1)


def test_checkpoint_whole_model_uses_model_save(tmp_path):
    # Needs Model.save(path) (being added to models.py); fails with AttributeError until it exists.
    model = _model()
    _fit(model, [CB.ModelCheckpoint(str(tmp_path / "model-{epoch}.ember"))], epochs=2)
    assert sorted(os.listdir(tmp_path)) == ["model-1.ember", "model-2.ember"]
    assert ember.io.header(str(tmp_path / "model-2.ember"))["format"] == ember.io.FORMAT


# --- BackupAndRestore ------------------------------------------------------------------------
def _backup_file(folder):
    files = [f for f in os.listdir(folder) if not f.startswith(".")]
    assert len(files) == 1, files
    return os.path.join(folder, files[0])


def test_backup_holds_the_whole_training_state(tmp_path):
    model = _model()
    history = _fit(model, [CB.BackupAndRestore(str(tmp_path), delete_checkpoint=False)], epochs=3,
                   validation_split=0.25)
    saved = ember.io.load(_backup_file(tmp_path))
    assert _same([t.numpy() for t in saved["state"]["model"].values()], model.get_weights())
    opt_state = saved["state"]["optimizer"]["state"]
    live = model._step_optimizer.state_dict()["state"]
    assert sorted(opt_state) == sorted(live)
    for k in live:
        for name, value in live[k].items():
            assert np.array_equal(np.asarray(opt_state[k][name]), np.asarray(value))
    assert saved["rng"]["ember"] == get_rng_state()
    meta = saved["meta"]
    assert meta["epoch"] == 3 and meta["iterations"] == model.optimizer.iterations
    assert meta["history"] == {"epoch": history.epoch, "history": history.history}


def test_backup_is_deleted_after_successful_training(tmp_path):
    folder = tmp_path / "backup"
    _fit(_model(), [CB.BackupAndRestore(str(folder))], epochs=2)
    assert not folder.exists()


def test_restore_sets_everything_and_asks_fit_to_resume(tmp_path):
    first = _model()
    history = _fit(first, [CB.BackupAndRestore(str(tmp_path), delete_checkpoint=False)], epochs=2)
    rng = get_rng_state()
    second = _model(seed=5)
    x, y = _data()
    second.train_on_batch(x[:8], y[:8])  # builds the ember.optim optimizer, as fit does before on_train_begin
    second.history = CB.History()
    ember.manual_seed(123)
    backup = CB.BackupAndRestore(str(tmp_path))
    backup.set_model(second)
    backup.on_train_begin()
    assert second._initial_epoch_override == 2
    assert _same(second.get_weights(), first.get_weights())
    assert get_rng_state() == rng
    a, b = first._step_optimizer.state_dict(), second._step_optimizer.state_dict()
    assert [g["lr"] for g in a["param_groups"]] == [g["lr"] for g in b["param_groups"]]
    for k in a["state"]:
        for name in a["state"][k]:
            assert np.array_equal(np.asarray(a["state"][k][name]), np.asarray(b["state"][k][name]))
    second.history.on_train_begin()  # History clears itself after BackupAndRestore restored it...
    backup.on_epoch_begin(2)         # ...so the history comes back at the first epoch
    assert second.history.history == history.history and second.history.epoch == [0, 1]
    backup.on_train_end()
    assert second._initial_epoch_override is None and not tmp_path.exists()


def test_backup_every_n_batches_resumes_at_the_unfinished_epoch(tmp_path):
    _fit(_model(), [CB.BackupAndRestore(str(tmp_path), save_freq=3, delete_checkpoint=False)], epochs=2)
    meta = ember.io.load(_backup_file(tmp_path))["meta"]  # 8 batches: backups after batches 3 and 6
    assert meta["epoch"] == 1 and meta["history"]["epoch"] == [0]


def _run(*args):
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, SCRIPT, *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=120)


def test_killed_run_resumes_to_the_same_weights(tmp_path):
    # Needs fit to honour model._initial_epoch_override (the contract in ember/keras/callbacks.py).
    reference = _run(tmp_path / "ref_backup", tmp_path / "ref.ember")
    assert reference.returncode == 0, reference.stderr
    marker = tmp_path / "killed"
    killed = _run(tmp_path / "backup", tmp_path / "out.ember", marker)
    assert killed.returncode == -9 and marker.exists(), killed.stderr  # SIGKILL in epoch 3, batch 4
    assert not (tmp_path / "out.ember").exists()
    assert len(os.listdir(tmp_path / "backup")) == 1  # the backup of epoch 2
    resumed = _run(tmp_path / "backup", tmp_path / "out.ember", marker)
    assert resumed.returncode == 0, resumed.stderr
    ref, out = ember.io.load(str(tmp_path / "ref.ember")), ember.io.load(str(tmp_path / "out.ember"))
    assert out["epoch"] == [0, 1, 2, 3, 4], "the rerun did not resume at epoch 3: fit ignored the backup's epoch"
    assert out["history"] == ref["history"]
    for got, want in zip(out["weights"], ref["weights"]):
        assert np.array_equal(got, want)
    assert not (tmp_path / "backup").exists()


# --- learning rate ---------------------------------------------------------------------------
def test_reduce_lr_on_plateau_with_patience_and_cooldown():
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    plateau = CB.ReduceLROnPlateau(factor=0.5, patience=2, cooldown=1, verbose=1)
    history = _fit(model, [Scripted([1.0] * 6), plateau], epochs=6)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.025])
    assert model.optimizer.learning_rate == pytest.approx(0.025)
    assert model._step_optimizer.param_groups[0]["lr"] == pytest.approx(0.025)


def test_reduce_lr_on_plateau_resets_patience_on_improvement_and_respects_min_lr():
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    plateau = CB.ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.004)
    history = _fit(model, [Scripted([1.0, 0.5, 0.6, 0.4, 0.45, 0.46, 0.47]), plateau], epochs=7)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.1, 0.01, 0.01, 0.004, 0.004])


def test_reduce_lr_on_plateau_with_an_ember_optimizer():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(4,)), L.Dense(3, activation="softmax")])
    opt = ember.optim.SGD([{"params": [model.parameters().__next__()]},
                           {"params": list(model.parameters())[1:], "lr": 0.2}], lr=0.1)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    _fit(model, [Scripted([1.0] * 3), CB.ReduceLROnPlateau(factor=0.5, patience=1)], epochs=3)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.025, 0.025])


def test_learning_rate_scheduler_sets_and_logs_the_rate(capsys):
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    seen = []
    lr = lambda: model._step_optimizer.param_groups[0]["lr"]  # noqa: E731
    log = CB.LambdaCallback(on_train_batch_begin=lambda batch, logs: seen.append(lr()))
    history = _fit(model, [CB.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr, verbose=1), log],
                   epochs=3)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    assert seen == pytest.approx([0.1] * 4 + [0.05] * 4 + [0.025] * 4)
    assert "Epoch 2: LearningRateScheduler setting learning rate to 0.05." in capsys.readouterr().out


def test_learning_rate_scheduler_one_argument_schedule_and_zero_rate():
    model = _model(optimizer=keras.optimizers.SGD(learning_rate=0.1))
    before = model.get_weights()
    history = _fit(model, [CB.LearningRateScheduler(lambda epoch: 0.0)], epochs=2)
    assert history.history["learning_rate"] == [0.0, 0.0]
    assert _same(model.get_weights(), before)


def test_learning_rate_scheduler_bad_return_value():
    with pytest.raises(ArgumentError, match=r"LearningRateScheduler: schedule\(0, 0.001\) returned 'fast'"):
        _fit(_model(), [CB.LearningRateScheduler(lambda epoch, lr: "fast")], epochs=1)


# --- CSVLogger, LambdaCallback, History, ProgbarLogger ---------------------------------------
def _read_csv(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_rows_and_flush(tmp_path):
    path = str(tmp_path / "logs" / "train.csv")
    rows_seen = []
    peek = CB.LambdaCallback(on_epoch_end=lambda epoch, logs: rows_seen.append(len(_read_csv(path, ";"))))
    history = _fit(_model(), [CB.CSVLogger(path, separator=";"), peek], epochs=3, validation_split=0.25)
    assert rows_seen == [2, 3, 4]  # header + one row per epoch, on disk at each epoch end
    rows = _read_csv(path, ";")
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    assert [float(r[2]) for r in rows[1:]] == pytest.approx(history.history["loss"])


def test_csv_logger_append_keeps_the_header(tmp_path):
    path = str(tmp_path / "train.csv")
    model = _model()
    _fit(model, [CB.CSVLogger(path)], epochs=2)
    _fit(model, [Scripted([0.1, 0.2]), CB.CSVLogger(path, append=True)], epochs=2)  # a new key is left out
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]  # Keras adds the val_ twins
    assert len(rows) == 5 and rows[3][0] == "0" and rows[1][3:] == ["NA", "NA"]
    _fit(model, [CB.CSVLogger(path)], epochs=1)  # append=False starts over
    assert len(_read_csv(path)) == 2


def test_csv_logger_with_validation_every_other_epoch(tmp_path):
    path = str(tmp_path / "train.csv")
    history = _fit(_model(), [CB.CSVLogger(path)], epochs=4, validation_split=0.25, validation_freq=2)
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[4] for r in rows[1:]][::2] == ["NA", "NA"]
    assert [float(r[4]) for r in rows[2::2]] == pytest.approx(history.history["val_loss"])


def test_lambda_callback_calls_the_given_hooks():
    calls = []
    callback = CB.LambdaCallback(
        on_train_begin=lambda logs: calls.append("train_begin"),
        on_epoch_begin=lambda epoch, logs: calls.append(f"epoch_begin {epoch}"),
        on_train_batch_end=lambda batch, logs: calls.append(f"batch_end {batch} {sorted(logs)}"),
        on_epoch_end=lambda epoch, logs: calls.append(f"epoch_end {epoch} {sorted(logs)}"),
        on_train_end=lambda logs: calls.append("train_end"),
        on_predict_end=lambda logs: calls.append("never"))
    x, y = _data(16)
    _model().fit(x, y, epochs=2, batch_size=8, verbose=0, callbacks=[callback])
    batch = ["batch_end 0 ['accuracy', 'loss']", "batch_end 1 ['accuracy', 'loss']"]
    assert calls == ["train_begin", "epoch_begin 0", *batch, "epoch_end 0 ['accuracy', 'loss']",
                     "epoch_begin 1", *batch, "epoch_end 1 ['accuracy', 'loss']", "train_end"]


def test_history_records_every_epoch():
    history = _fit(_model(), [], epochs=3)
    assert history.epoch == [0, 1, 2] and sorted(history.history) == ["accuracy", "loss"]
    assert all(len(v) == 3 for v in history.history.values())


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def _progress(verbose, stream, epochs=2):
    bar = CB.ProgbarLogger(verbose, stream=stream)
    bar.set_params({"epochs": epochs, "steps": 4, "verbose": verbose})
    bar.on_epoch_begin(0)
    bar.start -= 50  # 50 s into the epoch after 1 step: 150 s (2:30) to go
    bar.last_draw -= 1
    bar.on_train_batch_end(0, {"loss": 0.5, "accuracy": 0.0004})
    bar.on_epoch_end(0, {"loss": 0.25, "accuracy": 0.75, "val_loss": 0.3})
    return stream.getvalue()


def test_progbar_on_a_terminal_draws_a_bar_with_eta_and_metrics():
    out = _progress(1, _Terminal())
    assert out.startswith("Epoch 1/2\n\r1/4 [======>.......................] - ETA: 2:30 - loss: 0.5000 - "
                          "accuracy: 4.0000e-04")
    assert "\r4/4 [==============================] - 50s 12" in out
    assert out.endswith("ms/step - loss: 0.2500 - accuracy: 0.7500 - val_loss: 0.3000\n")


def test_progbar_off_a_terminal_and_verbose_two_print_one_line_per_epoch():
    out = _progress(1, io.StringIO())
    assert "ETA" not in out and out.count("\n") == 2 and "4/4 [=====" in out
    out = _progress(2, io.StringIO())
    assert out.splitlines()[0] == "Epoch 1/2" and out.splitlines()[1].startswith("4/4 - 50s ")
    assert "[" not in out and "loss: 0.2500" in out


def test_fit_verbose_one_prints_the_bar(capsys):
    _fit_model = _model()
    x, y = _data()
    _fit_model.fit(x, y, epochs=2, batch_size=8, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and out.count("4/4 [==============================]") == 2 and "accuracy:" in out
