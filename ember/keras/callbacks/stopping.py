"""Callbacks that stop training: `EarlyStopping`, `TerminateOnNaN`."""
import numpy as np

from ember.errors import ArgumentError
from ember.keras.callbacks.base import Callback, MonitorCallback

__all__ = ["EarlyStopping", "TerminateOnNaN"]


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
