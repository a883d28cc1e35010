"""Keras's callbacks: plain objects with no-op `on_*` hooks, called by the one `fit` loop.

A callback stops training by setting `self.model.stop_training = True`. Arguments and defaults are
Keras's; an invalid one raises `ArgumentError` naming the callback, and a monitored metric missing
from the logs warns once, naming the keys that are there.

    >>> stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    >>> best = keras.callbacks.ModelCheckpoint("ckpt-{epoch:02d}-{val_loss:.3f}.ember", save_best_only=True,
    ...                                        save_weights_only=True)
    >>> plateau = keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=3)
    >>> model.fit(x, y, validation_split=0.2, callbacks=[stop, best, plateau])     # doctest: +SKIP

`TensorBoard(log_dir)` writes Keras's `train/` and `validation/` runs (epoch and batch metrics, weight
histograms, the step's graph) with `ember.utils.tensorboard` (the `tensorboard` extra).

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
from ember.keras.callbacks.base import HOOKS, Callback, History, LambdaCallback, MonitorCallback
from ember.keras.callbacks.callback_list import CallbackList
from ember.keras.callbacks.checkpoints import BackupAndRestore, ModelCheckpoint
from ember.keras.callbacks.learning_rate import LearningRateScheduler, ReduceLROnPlateau
from ember.keras.callbacks.progress import CSVLogger, ProgbarLogger
from ember.keras.callbacks.stopping import EarlyStopping, TerminateOnNaN
from ember.keras.callbacks.tensorboard import TensorBoard
from ember.keras.callbacks.remote import RemoteMonitor

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ProgbarLogger", "ModelCheckpoint",
           "BackupAndRestore", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "TerminateOnNaN",
           "LambdaCallback", "MonitorCallback", "HOOKS", "TensorBoard", "RemoteMonitor"]
