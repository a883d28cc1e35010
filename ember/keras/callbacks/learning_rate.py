"""Callbacks that set the learning rate: `ReduceLROnPlateau`, `LearningRateScheduler`."""
import inspect

import numpy as np

from ember.errors import ArgumentError
from ember.keras.callbacks.base import Callback, MonitorCallback

__all__ = ["ReduceLROnPlateau", "LearningRateScheduler"]


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
