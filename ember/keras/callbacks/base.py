"""The callback base: `Callback` with every Keras hook as a no-op, `History`, the
`MonitorCallback` base of callbacks that watch one metric, and `LambdaCallback`."""
import warnings

from ember.errors import ArgumentError

__all__ = ["Callback", "History", "MonitorCallback", "LambdaCallback", "HOOKS"]


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
    def on_batch_begin(self, batch, logs=None): pass  # Keras's older names, called by the two below
    def on_batch_end(self, batch, logs=None): pass
    def on_train_batch_begin(self, batch, logs=None): self.on_batch_begin(batch, logs=logs)
    def on_train_batch_end(self, batch, logs=None): self.on_batch_end(batch, logs=logs)
    def on_test_begin(self, logs=None): pass
    def on_test_end(self, logs=None): pass
    def on_test_batch_begin(self, batch, logs=None): pass
    def on_test_batch_end(self, batch, logs=None): pass
    def on_predict_begin(self, logs=None): pass
    def on_predict_end(self, logs=None): pass
    def on_predict_batch_begin(self, batch, logs=None): pass
    def on_predict_batch_end(self, batch, logs=None): pass


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
