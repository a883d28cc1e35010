"""Keras's callbacks: plain objects with no-op `on_*` hooks, called by the one `fit` loop.

A callback stops training by setting `self.model.stop_training = True`.

    >>> stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
"""
import sys
import time

import numpy as np

from ember.errors import ArgumentError

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ProgbarLogger"]


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


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by more than `min_delta` for `patience` epochs.

    With `restore_best_weights=True` the model ends training with the weights of its best epoch.
    `mode` is "min", "max" or "auto" (max for accuracy-like names, min otherwise).
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ArgumentError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        if mode == "auto":
            mode = "max" if any(k in monitor for k in ("acc", "auc", "precision", "recall")) else "min"
        self.monitor, self.mode, self.patience, self.verbose = monitor, mode, patience, verbose
        self.min_delta, self.baseline = abs(min_delta), baseline
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch

    def _improved(self, value, reference):
        if reference is None:
            return True
        if self.mode == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_weights = None, None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            print(f"EarlyStopping: metric {self.monitor!r} is not in the logs (available: "
                  f"{', '.join(sorted(logs or {}))}); not stopping", file=sys.stderr)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
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


def format_logs(logs):
    return " - ".join(f"{k}: {v:.4f}" for k, v in logs.items() if np.isscalar(v))


class ProgbarLogger(Callback):
    """Progress output: a bar per epoch (verbose=1) or one line per epoch (verbose=2)."""

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
            self._write("\r" + self._bar(batch + 1, logs, now))

    def _bar(self, done, logs, now):
        steps = self.params.get("steps") or done
        filled = int(self.width * done / steps)
        elapsed = now - self.start
        eta = elapsed / done * (steps - done)
        return (f"{done}/{steps} [{'=' * filled}{'.' * (self.width - filled)}] - ETA: {eta:.0f}s - "
                f"{format_logs(logs or {})}")

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        steps = self.params.get("steps") or 0
        per_step = (now - self.start) / max(steps, 1) * 1000
        if self.verbose == 1:
            bar = self._bar(steps, logs, now).split(" - ETA")[0]
            self._write(f"\r{bar} - {now - self.start:.0f}s {per_step:.0f}ms/step - {format_logs(logs or {})}\n")
        else:
            self._write(f"{steps}/{steps} - {now - self.start:.0f}s - {per_step:.0f}ms/step - "
                        f"{format_logs(logs or {})}\n")
