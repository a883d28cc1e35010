"""Keras's callbacks: plain objects with no-op `on_*` hooks, called by the one `fit` loop.

A callback stops training by setting `self.model.stop_training = True`. Arguments and defaults are
Keras's; an invalid one raises `ArgumentError` naming the callback, and a monitored metric missing
from the logs warns once, naming the keys that are there.

    >>> stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    >>> best = keras.callbacks.ModelCheckpoint("ckpt-{epoch:02d}-{val_loss:.3f}.ember", save_best_only=True,
    ...                                        save_weights_only=True)
    >>> plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=3)
    >>> model.fit(x, y, validation_split=0.2, callbacks=[stop, best, plateau])     # doctest: +SKIP

Resuming after a crash: `BackupAndRestore(backup_dir)` writes one backup file at each epoch end
(atomically, with `ember.io.Checkpoint`): the weights, the `ember.optim` optimizer state (and the
Keras optimizer's `iterations`), the RNG states of ember, NumPy and Python, the number of finished
epochs and the History so far. Rerunning the same script restores all of it and resumes at the next
epoch, with the same result as a run that was never interrupted. Its contract with `fit`:

1. `fit` builds the model and `model._step_optimizer` before `callbacks.on_train_begin()`;
2. it sets `model._initial_epoch_override = None`, calls `on_train_begin()`, then reads it: an int
   (set by `BackupAndRestore`) is the epoch its loop starts at instead of `initial_epoch`;
3. `BackupAndRestore.on_train_end` sets it back to None.
"""
import csv
import inspect
import os
import sys
import time
import warnings

import numpy as np

from ember.errors import ArgumentError
from ember.io.checkpoint import Checkpoint

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ProgbarLogger", "ModelCheckpoint",
           "BackupAndRestore", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "TerminateOnNaN",
           "LambdaCallback"]

HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
         "on_train_batch_end", "on_test_begin", "on_test_end", "on_test_batch_begin", "on_test_batch_end",
         "on_predict_begin", "on_predict_end", "on_predict_batch_begin", "on_predict_batch_end")


class Callback:
    """Base class with every Keras hook as a no-op; `self.model` and `self.params` are set by `fit`."""

    def __init__(self):
        self.model, self.params = None, {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None): pass
    def on_train_end(self, logs=None): pass
    def on_epoch_begin(self, epoch, logs=None): pass
    def on_epoch_end(self, epoch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): pass
    def on_train_batch_end(self, batch, logs=None): pass
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


class CallbackList(Callback):
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks, model, params):
        super().__init__()
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise ArgumentError(f"fit: callbacks must be keras.callbacks.Callback objects, "
                                    f"got {type(cb).__name__}")
            cb.set_model(model)
            cb.set_params(params)

    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, batch, logs=None): self._call("on_train_batch_begin", batch, logs)
    def on_train_batch_end(self, batch, logs=None): self._call("on_train_batch_end", batch, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_test_batch_begin(self, batch, logs=None): self._call("on_test_batch_begin", batch, logs)
    def on_test_batch_end(self, batch, logs=None): self._call("on_test_batch_end", batch, logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)
    def on_predict_batch_begin(self, batch, logs=None): self._call("on_predict_batch_begin", batch, logs)
    def on_predict_batch_end(self, batch, logs=None): self._call("on_predict_batch_end", batch, logs)


class History(Callback):
    """Records each epoch's logs: `history.history["loss"]` is the list of epoch losses."""

    def __init__(self):
        super().__init__()
        self.epoch, self.history = [], {}

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


# --- helpers shared by the callbacks ---------------------------------------------------------
MAX_NAMES = ("acc", "auc", "precision", "recall", "f1", "fmeasure", "iou")


class MonitorCallback(Callback):
    """Base of the callbacks that watch one metric: `mode` ("auto", "min", "max"), `min_delta`, and
    the one warning when the metric is missing. "auto" maximizes accuracy-like names, minimizes others."""

    def __init__(self, monitor, mode, min_delta=0.0):
        super().__init__()
        who = type(self).__name__
        if not isinstance(monitor, str) or not monitor:
            raise ArgumentError(f"{who}: monitor must be the name of a log entry, e.g. 'val_loss', got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ArgumentError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            name = monitor.lower()
            mode = "max" if "loss" not in name and any(k in name for k in MAX_NAMES) else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(min_delta)
        self._warned = False

    def _improved(self, value, reference):
        """True when `value` beats `reference` (None: nothing to beat) by more than `min_delta`."""
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def _monitored(self, logs, consequence):
        value = (logs or {}).get(self.monitor)
        if value is None and not self._warned:
            self._warned = True
            warnings.warn(f"{type(self).__name__}: metric {self.monitor!r} is not in the logs, {consequence}; "
                          f"available: {', '.join(logs or {}) or 'none'}", stacklevel=3)
        return value


def get_learning_rate(model, who):
    """The learning rate of the model's optimizer (a Keras optimizer or an `ember.optim` one)."""
    opt = getattr(model, "optimizer", None)
    if hasattr(opt, "learning_rate"):
        return float(opt.learning_rate)
    if getattr(opt, "param_groups", None):
        return float(opt.param_groups[0]["lr"])
    raise ArgumentError(f"{who}: the model's optimizer ({type(opt).__name__}) has no learning rate; compile the "
                        "model with a keras.optimizers or ember.optim optimizer")


def set_learning_rate(model, value, who):
    opt = getattr(model, "optimizer", None)
    if hasattr(opt, "learning_rate"):
        opt.learning_rate = float(value)
    elif getattr(opt, "param_groups", None):
        for group in opt.param_groups:
            group["lr"] = float(value)
    else:
        get_learning_rate(model, who)  # raises


def check_save_freq(save_freq, who):
    if save_freq == "epoch" or (isinstance(save_freq, int) and not isinstance(save_freq, bool) and save_freq > 0):
        return save_freq
    raise ArgumentError(f"{who}: save_freq must be 'epoch' or a positive int (a number of batches), "
                        f"got {save_freq!r}")


def batch_due(callback):
    """Count one batch for a callback with `save_freq` batches; True (and restart) when that many passed."""
    if callback.save_freq == "epoch":
        return False
    callback._batches += 1
    if callback._batches < callback.save_freq:
        return False
    callback._batches = 0
    return True


def set_iterations(optimizer, value):
    try:
        optimizer.iterations = value
    except AttributeError:  # a read-only property over `_iterations`
        optimizer._iterations = value


# --- stopping --------------------------------------------------------------------------------
class EarlyStopping(MonitorCallback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    With a `baseline`, the patience restarts only on epochs that also beat the baseline. With
    `restore_best_weights=True` the model ends training with the weights of its best epoch, whether
    training stopped early or not. Epochs before `start_from_epoch` are not watched.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__(monitor, mode, min_delta)
        if not isinstance(patience, int) or patience < 0:
            raise ArgumentError(f"EarlyStopping: patience must be a non-negative int, got {patience!r}")
        self.patience, self.verbose, self.baseline = patience, verbose, baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_weights = None, None

    def on_epoch_end(self, epoch, logs=None):
        value = self._monitored(logs, "not stopping on it")
        if value is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._improved(value, self.best):
            self.best, self.best_epoch = value, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improved(value, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


class TerminateOnNaN(Callback):
    """Stop training as soon as a batch's loss is NaN or infinite."""

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


# --- saving ----------------------------------------------------------------------------------
class ModelCheckpoint(MonitorCallback):
    """Save the model (`model.save`) or its weights (`model.save_weights`) at each epoch end, or every
    `save_freq` batches. `filepath` may name log entries and `epoch` (1-based), and `batch` (1-based)
    with a batch `save_freq`: "ckpt-{epoch:02d}-{val_loss:.3f}.ember". With `save_best_only`, a file is
    written only when `monitor` beats the best so far (`initial_value_threshold` to start from).
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False, save_weights_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None):
        super().__init__(monitor, mode)
        self.filepath = os.fspath(filepath)
        self.verbose, self.save_best_only, self.save_weights_only = verbose, save_best_only, save_weights_only
        self.save_freq = check_save_freq(save_freq, "ModelCheckpoint")
        self.best = initial_value_threshold
        self._epoch, self._batches = 0, 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if batch_due(self):
            self._save(self._epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs)

    def _path(self, epoch, batch, logs):
        fields = {**(logs or {}), "epoch": epoch + 1}
        if batch is not None:
            fields["batch"] = batch + 1
        try:
            return self.filepath.format(**fields)
        except KeyError as e:
            raise ArgumentError(f"ModelCheckpoint: filepath {self.filepath!r} names {e.args[0]!r}, which is not "
                                f"in the logs; available: {', '.join(fields)}") from None

    def _save(self, epoch, batch, logs):
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            value = self._monitored(logs, "saving nothing (save_best_only)")
            if value is None:
                return
            best = self.best if self.best is not None else (np.inf if self.mode == "min" else -np.inf)
            if not self._improved(value, self.best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best:.5f}")
                return
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best:.5f} to {value:.5f}, "
                      f"saving model to {path}")
            self.best = value
        elif self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class BackupAndRestore(Callback):
    """Back up the whole training state at each epoch end (or every `save_freq` batches) in `backup_dir`;
    a `fit` that finds a backup restores it and resumes (see the module docstring for the contract with
    `fit`). A backup taken mid-epoch resumes at the start of that epoch, from the backed-up state (as in
    Keras); with `save_freq="epoch"` the resumed run ends exactly where an uninterrupted one would. The
    History is the logs as this callback sees them: put it last to include keys other callbacks add.
    On a successful end of training the backup is deleted if `delete_checkpoint`.
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ArgumentError(f"BackupAndRestore: backup_dir must name a folder for the backup, got {backup_dir!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = check_save_freq(save_freq, "BackupAndRestore")
        self.delete_checkpoint = delete_checkpoint
        self.checkpoint, self.restored_from = None, None

    def on_train_begin(self, logs=None):
        model = self.model
        optimizer = getattr(model, "_step_optimizer", None)
        self.checkpoint = Checkpoint(self.backup_dir, model=_Weights(model), optimizer=optimizer, keep_last=1,
                                     prefix="backup")
        self._epoch, self._batches, self._log = 0, 0, {"epoch": [], "history": {}}
        self._history_pending = False
        meta = self.checkpoint.restore_latest()
        self.restored_from = meta and meta["path"]
        model._initial_epoch_override = None if meta is None else meta["epoch"]
        if meta is None:
            return
        self._epoch, self._log = meta["epoch"], meta["history"]
        if meta.get("iterations") is not None:
            set_iterations(model.optimizer, meta["iterations"])
        self._history_pending = True  # History clears itself in its own on_train_begin, after this one

    def _restore_history(self):
        history = getattr(self.model, "history", None)
        if self._history_pending and isinstance(history, History):
            history.epoch = list(self._log["epoch"])
            history.history = {k: list(v) for k, v in self._log["history"].items()}
        self._history_pending = False

    def on_epoch_begin(self, epoch, logs=None):
        self._restore_history()
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if batch_due(self):
            self._backup(self._epoch)

    def on_epoch_end(self, epoch, logs=None):
        self._log["epoch"].append(epoch)
        for key, value in (logs or {}).items():
            self._log["history"].setdefault(key, []).append(value)
        if self.save_freq == "epoch":
            self._backup(epoch + 1)

    def _backup(self, finished_epochs):
        iterations = getattr(getattr(self.model, "optimizer", None), "iterations", None)
        self.checkpoint.save(epoch=finished_epochs, history=self._log,
                             iterations=None if iterations is None else int(iterations))

    def on_train_end(self, logs=None):
        self._restore_history()
        self.model._initial_epoch_override = None
        if not self.delete_checkpoint:
            return
        for path in self.checkpoint.checkpoints():
            os.remove(path)
        try:
            os.rmdir(self.backup_dir)
        except OSError:  # the folder holds other files: leave it
            pass


class _Weights:
    """The model's state for a backup: saved by name, restored in order (as `set_weights`), because
    layer names are numbered per process and a model built again in the same process gets new ones."""

    def __init__(self, model):
        self.model = model

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.model.set_weights([np.asarray(v) for v in state.values()])


# --- learning rate ---------------------------------------------------------------------------
class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by `factor` when `monitor` has not improved by more than `min_delta`
    for `patience` epochs; then wait `cooldown` epochs before watching again. Never below `min_lr`.
    Adds "learning_rate" to the epoch's logs.
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto", min_delta=1e-4,
                 cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta)
        if not 0 <= factor < 1.0:
            raise ArgumentError(f"ReduceLROnPlateau: factor must be in [0, 1) (the learning rate is multiplied "
                                f"by it), got {factor!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if not isinstance(value, int) or value < 0:
                raise ArgumentError(f"ReduceLROnPlateau: {name} must be a non-negative int, got {value!r}")
        self.factor, self.patience, self.verbose = float(factor), patience, verbose
        self.cooldown, self.min_lr = cooldown, float(min_lr)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait, self.cooldown_counter, self.best = 0, 0, None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        logs["learning_rate"] = get_learning_rate(self.model, "ReduceLROnPlateau")
        value = self._monitored(logs, "not reducing the learning rate")
        if value is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(value, self.best):
            self.best, self.wait = value, 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                self._reduce(epoch, logs["learning_rate"])

    def _reduce(self, epoch, lr):
        if lr <= np.float32(self.min_lr):
            return
        new_lr = max(lr * self.factor, self.min_lr)
        set_learning_rate(self.model, new_lr, "ReduceLROnPlateau")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """At each epoch begin, set the learning rate to `schedule(epoch, lr)` (epoch 0-based; a one-argument
    `schedule(epoch)` works too). Adds "learning_rate" to the epoch's logs.

        >>> LearningRateScheduler(lambda epoch, lr: lr if epoch < 10 else lr * 0.9)   # doctest: +SKIP
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise ArgumentError(f"LearningRateScheduler: schedule must be a function (epoch, lr) -> new lr, "
                                f"got {type(schedule).__name__}")
        self.schedule, self.verbose = schedule, verbose
        self._takes_lr = _accepts(schedule, 2)

    def on_epoch_begin(self, epoch, logs=None):
        lr = get_learning_rate(self.model, "LearningRateScheduler")
        new_lr = self.schedule(epoch, lr) if self._takes_lr else self.schedule(epoch)
        if isinstance(new_lr, np.ndarray) and new_lr.ndim == 0:
            new_lr = new_lr.item()
        if isinstance(new_lr, (bool, np.bool_)) or not isinstance(new_lr, (int, float, np.number)) \
                or not np.isfinite(new_lr):
            raise ArgumentError(f"LearningRateScheduler: schedule({epoch}, {lr}) returned {new_lr!r}; it must "
                                "return the new learning rate, a finite float")
        set_learning_rate(self.model, float(new_lr), "LearningRateScheduler")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {float(new_lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_learning_rate(self.model, "LearningRateScheduler")


def _accepts(fn, n):
    """Whether `fn` can be called with `n` positional arguments (True when it cannot be inspected)."""
    try:
        inspect.signature(fn).bind(*range(n))
    except TypeError:
        return False
    except ValueError:
        return True
    return True


# --- logging ---------------------------------------------------------------------------------
class CSVLogger(Callback):
    """Write one row per epoch to `filename`: an "epoch" column (0-based, as Keras) then the log keys
    (sorted, taken from the first epoch, plus their "val_" twins when that epoch had no validation, as
    Keras; "NA" where an epoch lacks one). Flushed after each row. With `append=True` an existing file
    keeps its rows and its header's columns.
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        if not isinstance(separator, str) or len(separator) != 1:
            raise ArgumentError(f"CSVLogger: separator must be one character, got {separator!r}")
        self.filename, self.sep, self.append = os.fspath(filename), separator, append
        self.keys, self.writer, self.csv_file = None, None, None

    def on_train_begin(self, logs=None):
        self.keys, header = None, None
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.sep), None)
        self.write_header = not header
        if header:
            self.keys = [k for k in header if k != "epoch"]
        folder = os.path.dirname(self.filename)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.csv_file = open(self.filename, "a" if self.append else "w", newline="")
        self.writer = csv.writer(self.csv_file, delimiter=self.sep)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
            if not any(k.startswith("val_") for k in self.keys):  # validation_freq > 1 skips the first epoch
                self.keys += ["val_" + k for k in self.keys]
        if self.write_header:
            self.writer.writerow(["epoch"] + self.keys)
            self.write_header = False
        self.writer.writerow([epoch] + [_csv_value(logs.get(k, "NA")) for k in self.keys])
        self.csv_file.flush()

    def on_train_end(self, logs=None):
        if self.csv_file is not None:
            self.csv_file.close()
        self.csv_file, self.writer = None, None


def _csv_value(v):
    if isinstance(v, np.generic) or (isinstance(v, np.ndarray) and v.ndim == 0):
        return v.item()
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(map(str, v)) + "]"
    return v


class LambdaCallback(Callback):
    """A callback from functions: `LambdaCallback(on_epoch_end=lambda epoch, logs: print(logs["loss"]))`.
    Epoch and batch hooks take `(epoch_or_batch, logs)`, train/test/predict begin and end take `(logs)`.
    Other hooks (`on_test_batch_end=...`) may be given by name.
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        unknown = sorted(set(kwargs) - set(HOOKS))
        if unknown:
            raise ArgumentError(f"LambdaCallback: unknown hook(s) {', '.join(unknown)}; hooks are "
                                f"{', '.join(HOOKS)}")
        given = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        for hook, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise ArgumentError(f"LambdaCallback: {hook} must be a function, got {type(fn).__name__}")
            setattr(self, hook, fn)


def format_value(v):
    return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.4e}"


def format_logs(logs):
    return " - ".join(f"{k}: {format_value(v)}" for k, v in logs.items() if np.isscalar(v) and not isinstance(v, str))


def format_time(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{seconds:.0f}s"


class ProgbarLogger(Callback):
    """Progress output: "Epoch k/N" and a bar with ETA, loss and metrics redrawn in place (verbose=1,
    on a terminal; elsewhere only each epoch's final bar), or one line per epoch (verbose=2)."""

    def __init__(self, verbose=1, stream=None, width=30):
        super().__init__()
        self.verbose, self.stream, self.width = verbose, stream, width

    def _write(self, text):
        stream = self.stream or sys.stdout
        stream.write(text)
        stream.flush()

    def on_epoch_begin(self, epoch, logs=None):
        self.start = self.last_draw = time.perf_counter()
        self._write(f"Epoch {epoch + 1}/{self.params.get('epochs', '?')}\n")

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self.verbose == 1 and (self.stream or sys.stdout).isatty() and now - self.last_draw > 0.1:
            self.last_draw = now
            self._write("\r" + self._bar(batch + 1) + f" - ETA: {self._eta(batch + 1, now)} - "
                        + format_logs(logs or {}))

    def _bar(self, done):
        steps = self.params.get("steps") or done
        filled = min(self.width, int(self.width * done / max(steps, 1)))
        arrow = ">" if 0 < filled < self.width else ""
        bar = "=" * (filled - len(arrow)) + arrow + "." * (self.width - filled)
        return f"{done}/{steps} [{bar}]"

    def _eta(self, done, now):
        steps = self.params.get("steps") or done
        return format_time((now - self.start) / done * (steps - done))

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        steps = self.params.get("steps") or 0
        elapsed = now - self.start
        timing = f"{format_time(elapsed)} {elapsed / max(steps, 1) * 1000:.0f}ms/step"
        if self.verbose == 1:
            self._write(f"\r{self._bar(steps)} - {timing} - {format_logs(logs or {})}\n")
        else:
            self._write(f"{steps}/{steps} - {timing} - {format_logs(logs or {})}\n")
