"""Callbacks that write files during training: `ModelCheckpoint` and `BackupAndRestore` (see the
package docstring for its contract with `fit`)."""
import os

import numpy as np

from ember.errors import ArgumentError
from ember.io.checkpoint import Checkpoint
from ember.keras.callbacks.base import Callback, History, MonitorCallback

__all__ = ["ModelCheckpoint", "BackupAndRestore"]


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
